"""The deletion guard: a shop glitch (half a listing, a filter left on) must not become a mass deletion.

A complete listing that leaves out more than `percent` of a resource's live records, and more than
`min_records` of them, flags none of them: they are held (`held_deletions`), the run is partial with
a reason that says how many and what share, and the stats, sales and analytics stay as they were.
Each run decides again from its own listing, so a record listed again leaves the hold by itself; the
staff apply the held deletions (`SyncService.apply_held_deletions`) or ignore them (they stay live,
and are neither held nor flagged again while the shop leaves them out). Below the threshold,
deletions are flagged as they always were.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from chalicelib.db import Connection
from chalicelib.stores import held_deletions
from chalicelib.sync.listing import Outcome


@dataclass(frozen=True)
class DeletionGuard:
    percent: Decimal = Decimal(10)
    min_records: int = 20

    def holds(self, missing: int, live: int) -> bool:
        """Whether flagging `missing` of `live` records is more than the guard lets through."""
        return missing > self.min_records and missing * 100 > self.percent * live

    def screen(
        self, conn: Connection, resource: str, missing: list[int] | None, live: int, outcome: Outcome
    ) -> list[int]:
        """The ids of `missing` to flag as deleted now (all, or none when they are held). `missing`
        None: the listing could not say what is missing, and the holds stay as they are. `live`: the
        records live before this listing."""
        if missing is None:  # what is held stays held, and counted
            outcome.counts["held"] = held_deletions.held_count(conn, resource)
            return []
        held_deletions.release_listed(conn, resource, missing)
        ignored = held_deletions.ignored_ids(conn, resource) if missing else set()
        candidates = [ident for ident in missing if ident not in ignored]
        if not self.holds(len(candidates), live):
            held_deletions.release(conn, resource, candidates)
            return candidates
        held_deletions.hold(conn, resource, candidates)
        outcome.counts["held"] = len(candidates)
        share = Decimal(100 * len(candidates)) / live
        outcome.notes.append((
            "deletions_held",
            f"{len(candidates):,} of the {live:,} live {resource} ({share:.1f}%) are missing from the"
            f" listing, more than the deletion guard lets through ({self.percent}% and {self.min_records}"
            f" records): none was flagged as deleted; apply or ignore them (POST /api/sync/held-deletions)",
        ))  # fmt: skip
        return []
