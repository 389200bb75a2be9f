"""Reading a listing: a bare JSON array read record by record from its file, and each record's digest.

The file is read as Latin-1 (one character per byte: decoding is a copy) and each element is parsed
with the standard library's C scanner straight from a window of that text, so the record's own bytes
come for free: its digest is a hash of them (a fraction of a microsecond) rather than of the parsed
value (as long again as the parse). That parse is exact for ids, numbers and ASCII text, which is all
deciding a record is unchanged needs; text beyond ASCII is read as UTF-8 only for the records that
are looked at further (`Scanned.exact`): a re-sync skips the UTF-8 decoding of most of its listing.
Memory holds the window (a quarter of a megabyte, more only for a larger record) and the record,
never the listing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, BinaryIO, NamedTuple, Protocol, TypeVar

from pydantic import ValidationError

from chalicelib import json_numbers
from chalicelib.errors import UpstreamFormatError
from chalicelib.names import RULES_VERSION
from chalicelib.problems import problem, reason_of, validation_details
from chalicelib.shop_records import SUSPECT_ESCAPE, record_problem
from chalicelib.stores.runs import Quarantined
from chalicelib.sync.compact import IdSet

# Bump to make every record look changed once (e.g. after changing how records become rows).
DIGEST_VERSION = f"2.{RULES_VERSION}"
_DIGEST_PREFIX = DIGEST_VERSION.encode() + b"\n"
_READ = 256 * 1024  # bytes of the listing file read at a time
MAX_RECORD_BYTES = 16 * 1024 * 1024  # one record larger than this is refused (the listing is broken)
MAX_ID = 2**62  # a usable external id is a positive integer up to this (a bigint with room)
_SPACE = re.compile(r"[ \t\r\n]*")
_BOM = b"\xef\xbb\xbf"
# Numbers as `_Scanner` reads them (without noting which are out of range: the value says).
_DECODER = json.JSONDecoder(parse_float=json_numbers.decimal, parse_constant=Decimal)
_BOUNDED = json.JSONDecoder(
    parse_float=json_numbers.decimal, parse_int=json_numbers.integer, parse_constant=Decimal
)


class Listed(NamedTuple):
    """One element of a listing."""

    value: Any  # as parsed: numbers with a fraction as Decimal
    digest: bytes  # of its text
    problem: dict[str, Any] | None  # where it breaks the text rule or the number bound (record_problem)


class Scanned(NamedTuple):
    """One element of a listing as first read: enough to tell whether it changed."""

    rough: Any  # parsed from the bytes as Latin-1: exact but for text beyond ASCII (an id is exact)
    digest: bytes  # of its bytes
    text: str  # its bytes, one character each
    suspect: bool  # it may break the text rule or the number bound: `exact` says

    def exact(self) -> Listed:
        """The element as parsed from UTF-8. Raises `UpstreamFormatError` when it is not UTF-8."""
        value = self.rough
        if not self.text.isascii():  # a flag of the string: no scan
            try:
                utf8 = self.text.encode("latin-1").decode("utf-8")
            except UnicodeDecodeError as exc:
                raise _broken(f"not UTF-8: {exc.reason}") from None
            try:
                value = _DECODER.raw_decode(utf8)[0]
            except ValueError:  # an integer of over 4,300 digits, as `_Scanner.value` reads it
                value = _BOUNDED.raw_decode(utf8)[0]
        return Listed(value, self.digest, record_problem(value) if self.suspect else None)


def iter_records(listing: BinaryIO) -> Iterator[Listed]:
    """Each element of the top-level JSON array in the file `listing`, read from its start, exactly.
    Raises `UpstreamFormatError` when it is not a JSON array, also when it breaks off halfway."""
    for scanned in scan_records(listing):
        yield scanned.exact()


def scan_records(listing: BinaryIO) -> Iterator[Scanned]:
    """`iter_records`, each element as first read (`Scanned`): for a large listing of which most
    records are unchanged. Their UTF-8 is checked only by `Scanned.exact`: an unchanged record's
    bytes are those of a record stored before (their digests are equal)."""
    listing.seek(0)
    scanner = _Scanner(listing)
    try:
        first = scanner.next_char()
        if first != "[":
            listing.seek(0)
            head = listing.read(120)
            if not first:
                what = "an empty body" if not head else "a body of nothing but whitespace"
                raise UpstreamFormatError(f"the shop answered {what}, not a JSON array")
            what = "a JSON object" if first == "{" else "something that is not JSON"
            excerpt = head.decode("utf-8", errors="replace")
            raise UpstreamFormatError(f"the shop answered {what}, not an array: {excerpt!r}")
        scanner.pos += 1
        if scanner.next_char() == "]":
            scanner.pos += 1  # an empty array
        else:
            yield from scanner.elements()
        if scanner.next_char():
            raise _broken("something follows the array")
    except json.JSONDecodeError as exc:
        raise _broken(exc.msg) from None
    except RecursionError:  # the C scanner recurses once per level of nesting
        raise _broken("a record nests too deeply to be read") from None


def _broken(reason: str) -> UpstreamFormatError:
    return UpstreamFormatError(f"the shop's JSON is broken: {reason or 'it breaks off'}"[:300])


class _Scanner:
    """A window of the listing's decoded text, from `pos`, refilled from the file as it is used up.
    `out_of_range`: whether the last value held a number beyond `json_numbers`' bound."""

    def __init__(self, file: BinaryIO) -> None:
        # Numbers with a fraction arrive as Decimal, never float (NaN and Infinity too: validation
        # refuses them), bounded by their text. Integers are read by the C scanner, which refuses
        # one of over 4,300 digits: that record alone is read again with bounded integers.
        decimal, integer = self._flagging(json_numbers.decimal), self._flagging(json_numbers.integer)
        self._decoder = json.JSONDecoder(parse_float=decimal, parse_constant=Decimal)
        self._bounded = json.JSONDecoder(parse_float=decimal, parse_int=integer, parse_constant=Decimal)
        self.out_of_range = False
        self._file = file
        self._start = True
        self.text = ""
        self.pos = 0
        self.eof = False

    def _more(self) -> bool:
        """Append the next piece of the file to the window (dropping what is behind `pos`)."""
        if self.eof:
            return False
        chunk = self._file.read(_READ)
        if self._start:
            chunk, self._start = chunk.removeprefix(_BOM), False  # a byte-order mark
        self.text = self.text[self.pos :] + chunk.decode("latin-1")
        self.pos = 0
        self.eof = not chunk
        return True

    def next_char(self) -> str:
        """The next character that is not whitespace (`pos` moves to it); "" at the end."""
        while True:
            self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self._more():
                return ""

    def elements(self) -> Iterator[Scanned]:
        """Each element of the array whose `[` is behind `pos`, with its digest; `pos` ends past the
        `]`. The run's innermost loop (a million times for a large shop): the common case (an element
        and its comma inside the window) is written out here with locals, the rest left to `value` and
        `next_char` (the calls this saves were 5% of reading a listing of 100,000 orders)."""
        blake2b, prefix, suspect_escape = hashlib.blake2b, _DIGEST_PREFIX, SUSPECT_ESCAPE.search
        space, scan = _SPACE.match, self._decoder.scan_once  # type: ignore[attr-defined]
        new = tuple.__new__  # Scanned(...) by its fields costs twice as long
        while True:
            window, start = self.text, space(self.text, self.pos).end()  # type: ignore[union-attr]
            self.out_of_range = False
            try:
                value, end = scan(window, start)
            except (StopIteration, ValueError):  # not a value, or an integer too long for int()
                end = -1
            if 0 <= end < len(window) or (end == len(window) and self.eof):
                text = window[start:end]
                self.pos = end
            else:  # an error, or a value that may go on in the next piece (a number cut in two)
                self.pos = start
                value, text = self.value()
            # A backslash first (memchr, a twentieth of the regex's time): most records have none.
            suspect = self.out_of_range or ("\\" in text and suspect_escape(text) is not None)
            digest = blake2b(prefix + text.encode("latin-1"), digest_size=16).digest()
            yield new(Scanned, (value, digest, text, suspect))
            after = self.text[self.pos] if self.pos < len(self.text) else ""
            if after not in (",", "]"):
                after = self.next_char()
                if after not in (",", "]"):
                    found = f"expected ',' or ']' after an element, found {after[:1]!r}"
                    raise _broken(found if after else "")
            self.pos += 1
            if after == "]":
                return

    def _flagging(self, parse: Callable[[str], Any]) -> Callable[[str], Any]:
        """`parse` (a `json_numbers` reader) that also notes an out-of-range number in the value."""

        def read(literal: str) -> Any:
            value = parse(literal)
            if isinstance(value, json_numbers.OutOfRange):
                self.out_of_range = True
            return value

        return read

    def value(self) -> tuple[Any, str]:
        """The JSON value at `pos` (after whitespace) and its text; `pos` moves past it."""
        self.next_char()
        self.out_of_range = False
        decoder = self._decoder
        while True:
            try:
                value, end = decoder.raw_decode(self.text, self.pos)
            except json.JSONDecodeError:
                if self.eof:
                    raise
                if len(self.text) - self.pos > MAX_RECORD_BYTES:
                    raise _broken(f"a record runs past {MAX_RECORD_BYTES} bytes") from None
            except ValueError:  # an integer of over 4,300 digits (int() refuses to read it)
                if decoder is self._bounded:
                    raise
                decoder = self._bounded
                continue
            else:
                # A value that ends with the window may go on (a number cut in two): read on.
                if end < len(self.text) or self.eof:
                    text = self.text[self.pos : end]
                    self.pos = end
                    return value, text
            self._more()


def digest(record_digest: bytes, *extra: object) -> bytes:
    """The digest of a record's row: its text's digest, with anything else the row depends on (e.g.
    the category's name). Equal digests mean nothing to write."""
    if not extra:
        return record_digest
    return hashlib.blake2b(
        record_digest + repr(extra).encode("utf-8", "surrogatepass"), digest_size=16
    ).digest()


def external_id(raw: Any) -> int | None:
    """The record's id when it is a usable one (a positive integer), else None."""
    if isinstance(raw, dict):
        value = raw.get("id")
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID:
            return value
    return None


def describe(error: ValidationError) -> list[dict[str, Any]]:
    """A record's validation error as the details a quarantined record keeps (at most five)."""
    return validation_details(error, at_most=5)


class Known(Protocol):
    """What the database holds per external id: (digest, deleted upstream?, ...). `StoredDigests`
    holds a large resource's in a tenth of a dict's memory; `KnownDict` a small one's."""

    def get(self, ident: int, /) -> tuple[Any, ...] | None: ...

    def items(self) -> Iterable[tuple[int, tuple[Any, ...]]]: ...

    def listed_count(self) -> int:
        """How many are not deleted upstream."""
        ...

    def __len__(self) -> int: ...


StoredT = TypeVar("StoredT", bound=tuple[Any, ...])


class KnownDict(dict[int, StoredT]):
    """`Known` as a dict (for hundreds of records, not a million)."""

    def listed_count(self) -> int:
        return sum(1 for stored in self.values() if not stored[1])


@dataclass
class Outcome:
    """What applying one listing did."""

    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("fetched", "created", "updated", "unchanged", "invalid", "deleted", "restored", "held"), 0
        )
    )
    quarantined: list[Quarantined] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (code, English): why it is partial
    shape: dict[str, Any] | None = None  # the shape drift report (chalicelib/sync/shape.py)

    def reject(self, raw: Any, details: list[dict[str, Any]], *, category: bool = False) -> None:
        """Quarantine `raw` for what `details` say (`chalicelib.problems`); `category`: the record
        is one of the shop's product categories."""
        ident = raw.get("id") if isinstance(raw, dict) else None
        reason = reason_of(details)
        if category:
            reason = f"category: {reason}"
            details = [problem(None, "category", "the record is a product category"), *details]
        external = None if ident is None else str(ident)[:100]
        self.quarantined.append(Quarantined(external, reason, raw, details))
        self.counts["invalid"] += 1


class Changes:
    """Decides, record by record, what a listing changes against what the database holds.

    `known` maps each stored external id to (digest, deleted upstream?, ...). The rules are the same
    for every resource: a record without a usable id is rejected and makes the listing incomplete; a
    repeated id is rejected; a record whose digest did not change (and that is not deleted) is
    unchanged and needs no validation; absence means deletion only after a complete, non-empty listing.
    """

    def __init__(self, known: Known, outcome: Outcome, resource: str) -> None:
        self.known = known
        self.outcome = outcome
        self.resource = resource
        self.seen = IdSet()
        self.complete = True
        self._listed_seen = 0  # ids seen that `known` holds as listed

    def admit(self, scanned: Scanned, *digest_extra: object) -> bytes | None:
        """The digest to store with a record that needs validating and writing (`scanned.exact()`);
        None when it does not. `digest_extra`: what else its row depends on. A record breaking the
        text rule or the number bound is rejected here, after its id is seen (so it is not taken for
        deleted)."""
        raw = scanned[0]  # by position and without calls below: once per record
        counts = self.outcome.counts
        counts["fetched"] += 1
        ident = raw.get("id") if type(raw) is dict else None
        if type(ident) is not int or not 0 < ident <= MAX_ID:  # type(): True is not an id
            self.complete = False
            raw = scanned.exact().value
            self.outcome.reject(raw, [_id_problem(raw)])
            return None
        if not self.seen.add(ident):
            duplicate = "duplicate id in one listing: the first record with it was kept"
            self.outcome.reject(scanned.exact().value, [problem("id", "duplicate_id", duplicate)])
            return None
        record_digest = digest(scanned[1], *digest_extra) if digest_extra else scanned[1]
        before = self.known.get(ident)
        if before is not None and not before[1]:
            self._listed_seen += 1
            if before[0] == record_digest:
                counts["unchanged"] += 1
                return None
        if scanned[3]:
            listed = scanned.exact()
            if listed.problem:
                self.outcome.reject(listed.value, [listed.problem])
                return None
        return record_digest

    def accept(self, ident: int) -> str:
        """Count a valid record about to be written: `created`, `updated` or `restored`."""
        before = self.known.get(ident)
        kind = "created" if before is None else "restored" if before[1] else "updated"
        self.outcome.counts[kind] += 1
        return kind

    def see(self, ident: int) -> None:
        """A listed record that is not written (e.g. a pseudo-product): present, so not deleted."""
        before = self.known.get(ident)
        if self.seen.add(ident) and before is not None and not before[1]:
            self._listed_seen += 1

    @property
    def staged(self) -> int:
        counts = self.outcome.counts
        return counts["created"] + counts["updated"] + counts["restored"]

    def vanished(self) -> list[int] | None:
        """Ids of live records the listing left out (the deletion guard decides which to flag); None
        (with a note saying why) when that cannot be known."""
        if not self.complete:
            self.outcome.notes.append(("no_ids", "some records had no usable id: no deletions inferred"))
            return None
        if not self.seen and self.known:
            self.outcome.notes.append(
                ("empty_listing", f"the shop listed no {self.resource} at all: no deletions inferred")
            )
            return None
        if self._listed_seen == self.known.listed_count():
            return []  # every record listed before is listed still: no need to look at each
        return [ident for ident, stored in self.known.items() if not stored[1] and ident not in self.seen]


def _id_problem(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        return problem(None, "not_object", f"not an object but {type(raw).__name__}")
    if "id" not in raw:
        return problem("id", "missing", "missing")
    return problem("id", "id", f"not a positive integer ({str(raw.get('id'))[:40]!r})")
