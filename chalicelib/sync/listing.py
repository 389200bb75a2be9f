"""Reading a listing: a bare JSON array streamed record by record, and each record's digest."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import ijson
from pydantic import ValidationError

from chalicelib.errors import UpstreamFormatError
from chalicelib.names import RULES_VERSION
from chalicelib.stores.runs import Quarantined

# Bump to make every record look changed once (e.g. after changing how records become rows).
DIGEST_VERSION = f"1.{RULES_VERSION}"
_BOM = b"\xef\xbb\xbf"
_READ = 256 * 1024  # bytes of the listing file read at a time


def iter_records(listing: BinaryIO) -> Iterator[Any]:
    """The elements of the top-level JSON array in the file `listing`, one at a time, read from its
    start (ijson: numbers with a fraction arrive as `Decimal`, never float). Raises
    `UpstreamFormatError` when it is not a JSON array, also when it breaks off halfway."""
    listing.seek(0)
    first = _first_byte(listing)
    if first != b"[":
        listing.seek(0)
        head = listing.read(120)
        if first is None:
            what = "an empty body" if not head else "a body of nothing but whitespace"
            raise UpstreamFormatError(f"the shop answered {what}, not a JSON array")
        what = "a JSON object" if first == b"{" else "something that is not JSON"
        excerpt = head.decode("utf-8", errors="replace")
        raise UpstreamFormatError(f"the shop answered {what}, not an array: {excerpt!r}")
    listing.seek(0)
    if listing.read(3) != _BOM:
        listing.seek(0)
    try:
        yield from ijson.items(listing, "item", buf_size=_READ)
    except (ijson.JSONError, UnicodeDecodeError) as exc:
        raise UpstreamFormatError(f"the shop's JSON is broken: {str(exc)[:200]}") from None


def _first_byte(listing: BinaryIO) -> bytes | None:
    """The first byte after a byte-order mark and any whitespace; None when there is none."""
    start = True
    while chunk := listing.read(_READ):
        if start:
            chunk, start = chunk.removeprefix(_BOM), False
        text = chunk.lstrip(b" \t\r\n")
        if text:
            return text[:1]
    return None


def digest(raw: Any, *extra: object) -> bytes:
    """A digest of the record as sent (and of anything else its row depends on, e.g. the category
    name): equal digests mean nothing to write."""
    text = repr((DIGEST_VERSION, raw, extra))
    return hashlib.blake2b(text.encode("utf-8", errors="surrogatepass"), digest_size=16).digest()


def external_id(raw: Any) -> int | None:
    """The record's id when it is a usable one (a positive integer), else None."""
    if isinstance(raw, dict):
        value = raw.get("id")
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 2**62:
            return value
    return None


def describe(error: ValidationError) -> str:
    """A validation error as one readable line: `total_amount: Input should be a valid decimal`."""
    parts = []
    for item in error.errors(include_url=False)[:5]:
        where = ".".join(str(part) for part in item["loc"]) or "record"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


@dataclass
class Outcome:
    """What applying one listing did."""

    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("fetched", "created", "updated", "unchanged", "invalid", "deleted", "restored"), 0
        )
    )
    quarantined: list[Quarantined] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def reject(self, raw: Any, reason: str) -> None:
        ident = raw.get("id") if isinstance(raw, dict) else None
        self.quarantined.append(Quarantined(None if ident is None else str(ident)[:100], reason, raw))
        self.counts["invalid"] += 1


class Changes:
    """Decides, record by record, what a listing changes against what the database holds.

    `known` maps each stored external id to (digest, deleted upstream?, ...). The rules are the same
    for every resource: a record without a usable id is rejected and makes the listing incomplete; a
    repeated id is rejected; a record whose digest did not change (and that is not deleted) is
    unchanged and needs no validation; absence means deletion only after a complete, non-empty listing.
    """

    def __init__(self, known: Mapping[int, tuple[Any, ...]], outcome: Outcome, resource: str) -> None:
        self.known = known
        self.outcome = outcome
        self.resource = resource
        self.seen: set[int] = set()
        self.complete = True

    def admit(self, raw: Any, *digest_extra: object) -> tuple[int, bytes] | None:
        """(id, digest) of a record that needs validating and writing; None when it does not."""
        counts = self.outcome.counts
        counts["fetched"] += 1
        ident = external_id(raw)
        if ident is None:
            self.complete = False
            self.outcome.reject(raw, _id_problem(raw))
            return None
        if ident in self.seen:
            self.outcome.reject(raw, "duplicate id in one listing: the first record with it was kept")
            return None
        self.seen.add(ident)
        record_digest = digest(raw, *digest_extra)
        before = self.known.get(ident)
        if before is not None and before[0] == record_digest and not before[1]:
            counts["unchanged"] += 1
            return None
        return ident, record_digest

    def accept(self, ident: int) -> str:
        """Count a valid record about to be written: `created`, `updated` or `restored`."""
        before = self.known.get(ident)
        kind = "created" if before is None else "restored" if before[1] else "updated"
        self.outcome.counts[kind] += 1
        return kind

    def see(self, ident: int) -> None:
        """A listed record that is not written (e.g. a pseudo-product): present, so not deleted."""
        self.seen.add(ident)

    @property
    def staged(self) -> int:
        counts = self.outcome.counts
        return counts["created"] + counts["updated"] + counts["restored"]

    def vanished(self) -> list[int]:
        """Ids to flag as deleted upstream; none (with a note saying why) when that cannot be known."""
        if not self.complete:
            self.outcome.notes.append("some records had no usable id: no deletions inferred")
            return []
        if not self.seen and self.known:
            self.outcome.notes.append(f"the shop listed no {self.resource} at all: no deletions inferred")
            return []
        return [ident for ident, stored in self.known.items() if not stored[1] and ident not in self.seen]


def _id_problem(raw: Any) -> str:
    if not isinstance(raw, dict):
        return f"not an object but {type(raw).__name__}"
    if "id" not in raw:
        return "id: missing"
    return f"id: not a positive integer ({str(raw.get('id'))[:40]!r})"
