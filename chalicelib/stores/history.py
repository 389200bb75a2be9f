"""A record's timeline: what the shop changed (`record_events`, written by the sync), what the staff
edited or reverted (`staff_edits`), and when the sync first saw it, newest first.

The creation is not stored as an event: the record's `first_seen_at` says when, and the run then
writing its resource says which (a first sync of a million orders writes no million events)."""

from __future__ import annotations

from typing import Any

from chalicelib.db import Connection, rows_as_dicts

ENTITY_TABLE = {"order": "orders", "product": "products"}

TIMELINE = """
SELECT e.seen_at AS at, 'shop' AS source, e.kind, e.run_id, NULL AS by, e.changes, e.id AS seq
FROM record_events e WHERE e.entity = :entity AND e.entity_id = :id
UNION ALL
SELECT s.edited_at, 'staff', CASE WHEN s.new_value IS NULL THEN 'reverted' ELSE 'edited' END, NULL,
       s.edited_by, jsonb_build_object(s.field, jsonb_build_array(s.old_value, s.new_value)), s.id
FROM staff_edits s WHERE s.entity = :entity AND s.entity_id = :id
UNION ALL
SELECT r.first_seen_at, 'shop', 'created',
       (SELECT w.id FROM sync_runs w
        WHERE w.resource = :resource AND w.status <> 'skipped' AND w.started_at <= r.first_seen_at
        ORDER BY w.started_at DESC LIMIT 1),
       NULL, '{{}}'::jsonb, 0
FROM {table} r WHERE r.id = :id
"""

# The page and the total in one reading of the timeline; only a page past its end needs the count alone.
PAGE = """
SELECT t.*, count(*) OVER () AS total FROM ({timeline}) t
ORDER BY at DESC, seq DESC LIMIT :limit OFFSET :offset
"""
COUNT = "SELECT count(*) FROM ({timeline}) t"


def timeline(
    conn: Connection, entity: str, ident: int, *, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]] | None:
    """The total and one page of the record's timeline, newest first (each row also says the
    `total`); None when there is no such record."""
    table = ENTITY_TABLE[entity]
    params = {"entity": entity, "id": ident, "resource": table}
    sql = TIMELINE.format(table=table)
    page = rows_as_dicts(conn, conn.run(PAGE.format(timeline=sql), limit=limit, offset=offset, **params))
    total = page[0]["total"] if page else conn.run(COUNT.format(timeline=sql), **params)[0][0]
    if total == 0:
        return None  # not even its creation: no such record
    return int(total), page


PRUNE = "DELETE FROM record_events WHERE seen_at < now() - make_interval(days => CAST(:days AS integer))"


def prune(conn: Connection, *, days: int) -> int:
    """Drop the shop's events older than `days` (the staff's edits stay: they are the cost history
    profit reads); how many went."""
    conn.run(PRUNE, days=days)
    return int(conn.row_count)
