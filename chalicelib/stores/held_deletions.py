"""Deletions the guard held back (`held_deletions`) and what the staff decided about them
(migration 0013 says the rules; `chalicelib/sync/deletion_guard.py` decides what is held)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.db import Connection, rows_as_dicts

SAMPLE = 20  # external ids shown per resource: enough to look a few up in the shop

SUMMARY = f"""
SELECT r.resource,
       count(h.external_id) FILTER (WHERE h.ignored_at IS NULL) AS held,
       count(h.external_id) FILTER (WHERE h.ignored_at IS NOT NULL) AS ignored,
       min(h.held_at) FILTER (WHERE h.ignored_at IS NULL) AS held_since,
       (array_agg(h.external_id ORDER BY h.external_id)
            FILTER (WHERE h.external_id IS NOT NULL AND h.ignored_at IS NULL))[1:{SAMPLE}] AS sample,
       (SELECT min(run_id) FROM held_deletions f
        WHERE f.resource = r.resource AND f.ignored_at IS NULL) AS first_run_id,
       d.action AS last_action, d.records AS last_records, d.decided_by AS last_decided_by,
       d.decided_at AS last_decided_at
FROM (VALUES ('products'), ('orders')) r (resource)
LEFT JOIN held_deletions h ON h.resource = r.resource
LEFT JOIN LATERAL (
    SELECT action, records, decided_by, decided_at FROM held_deletion_decisions d
    WHERE d.resource = r.resource ORDER BY decided_at DESC, id DESC LIMIT 1
) d ON true
GROUP BY r.resource, d.action, d.records, d.decided_by, d.decided_at
ORDER BY r.resource = 'orders', r.resource
"""


def summary(conn: Connection) -> list[dict[str, Any]]:
    """Per resource: how many deletions are held and ignored, since when, a sample of their ids,
    and the last decision about them."""
    return rows_as_dicts(conn, conn.run(SUMMARY))


def ignored_ids(conn: Connection, resource: str) -> set[int]:
    rows = conn.run(
        "SELECT external_id FROM held_deletions WHERE resource = :r AND ignored_at IS NOT NULL", r=resource
    )
    return {row[0] for row in rows or []}


def release_listed(conn: Connection, resource: str, missing: Sequence[int]) -> None:
    """Forget every held or ignored record that is no longer missing (listed again, or flagged)."""
    conn.run(
        "DELETE FROM held_deletions WHERE resource = :r AND external_id <> ALL(CAST(:ids AS bigint[]))",
        r=resource,
        ids=list(missing),
    )


def hold(conn: Connection, resource: str, external_ids: Sequence[int]) -> None:
    """Hold these ids for the run in progress (one statement); an id held already keeps when it was
    first held and by which run."""
    conn.run(
        """INSERT INTO held_deletions (resource, external_id, run_id)
           SELECT :r, unnest(CAST(:ids AS bigint[])),
                  (SELECT max(id) FROM sync_runs WHERE resource = :r AND status = 'running')
           ON CONFLICT (resource, external_id) DO NOTHING""",
        r=resource,
        ids=list(external_ids),
    )


def release(conn: Connection, resource: str, external_ids: Sequence[int]) -> None:
    conn.run(
        "DELETE FROM held_deletions WHERE resource = :r AND external_id = ANY(CAST(:ids AS bigint[]))",
        r=resource,
        ids=list(external_ids),
    )


def held_count(conn: Connection, resource: str) -> int:
    rows = conn.run(
        "SELECT count(*) FROM held_deletions WHERE resource = :r AND ignored_at IS NULL", r=resource
    )
    return int(rows[0][0]) if rows else 0


def held_ids(conn: Connection, resource: str) -> list[int]:
    """The ids held and not ignored, locked until the end of the transaction."""
    rows = conn.run(
        """SELECT external_id FROM held_deletions WHERE resource = :r AND ignored_at IS NULL
           ORDER BY external_id FOR UPDATE""",
        r=resource,
    )
    return [row[0] for row in rows or []]


def ignore(conn: Connection, resource: str, by: str) -> int:
    """Keep the held records live: they are not held or flagged again while they stay missing."""
    rows = conn.run(
        """UPDATE held_deletions SET ignored_at = now(), ignored_by = :by
           WHERE resource = :r AND ignored_at IS NULL RETURNING 1""",
        r=resource,
        by=by,
    )
    return len(rows or [])


def record_decision(conn: Connection, resource: str, action: str, records: int, by: str) -> dict[str, Any]:
    rows = conn.run(
        """INSERT INTO held_deletion_decisions (resource, action, records, decided_by)
           VALUES (:r, :action, :records, :by)
           RETURNING resource, action, records, decided_by, decided_at""",
        r=resource,
        action=action,
        records=records,
        by=by,
    )
    return rows_as_dicts(conn, rows)[0]
