"""Staging, the same for every resource: its rows COPYed into a temporary table shaped like its own
table, then merged into that table in one statement that writes the shop's columns only.

A resource declares its row once, as a NamedTuple whose fields are the columns of its table that the
sync writes (the shop's values: `upstream_*`, names, dates; never `staff_*`, which is how a staff edit
survives every sync). The stage's columns and types, the COPY's column list and the merge's column
lists and SET clause all come from that one declaration.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.db import Connection


def columns(names: Sequence[str], prefix: str = "") -> str:
    """A column list: `external_id, upstream_status, ...`, each name after `prefix` (`s.`)."""
    return ", ".join(f"{prefix}{name}" for name in names)


def create_stage(table: str, row: Any) -> str:
    """DDL of `stage_<table>`: `row`'s columns with the types `table` gives them, keyed by external
    id, dropped at commit. (No ANALYZE, ever: the planner sizes a table from its pages, which is all
    the merges' joins need; analyzing every batch cost a first sync of 100,000 orders 0.8 s.)"""
    return f"""
CREATE TEMP TABLE stage_{table} ON COMMIT DROP AS SELECT {columns(row._fields)} FROM {table} WITH NO DATA;
ALTER TABLE stage_{table} ADD PRIMARY KEY (external_id);
"""


def upsert(table: str, row: Any) -> str:
    """Insert the staged rows of `table`, or update the shop's columns of those whose digest changed
    (or that come back after being deleted upstream); a row whose digest did not change is not
    written (its `updated_at` stays)."""
    changed = ",\n        ".join(f"{name} = EXCLUDED.{name}" for name in row._fields if name != "external_id")
    return f"""
    INSERT INTO {table} AS t ({columns(row._fields)})
    SELECT {columns(row._fields)} FROM stage_{table}
    ON CONFLICT (external_id) DO UPDATE SET
        {changed},
        deleted_upstream_at = NULL,
        synced_at = now(),
        updated_at = now()
    WHERE t.upstream_hash IS DISTINCT FROM EXCLUDED.upstream_hash OR t.deleted_upstream_at IS NOT NULL"""


def mark_deleted(
    conn: Connection, table: str, external_ids: Sequence[int], returning: str, **params: Any
) -> list[Any]:
    """Flag the rows of `table` that vanished from a complete listing (never delete them); one value
    (`returning`, an expression over the row, with `params`) for each row flagged now."""
    if not external_ids:
        return []
    rows = conn.run(
        f"""UPDATE {table} SET deleted_upstream_at = now(), updated_at = now()
            WHERE external_id = ANY(CAST(:ids AS bigint[])) AND deleted_upstream_at IS NULL
            RETURNING {returning}""",
        ids=list(external_ids),
        **params,
    )
    return [row[0] for row in rows or []]
