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


# The run writing, as the service sets it for the run's transaction (`set_config('strattera.run_id',
# ..., true)`, local to it): null outside a run (the staff applying held deletions).
RUN_ID = "CAST(NULLIF(current_setting('strattera.run_id', true), '') AS bigint)"

# Whether the staged batch holds any record the table held before the run (`:any_stored`; its run's
# `Changes` knows: only a run of the resource writes it, under the resource's lock). A statement's
# lookups of the stored rows by the staged ids are joined on it. A batch of new records alone, every
# batch of a first sync, has none to find, and the planner finds them by reading the whole table
# (cheaper by its costs than 10,000 index probes): at a million orders, four whole reads per batch,
# a fifth of the run, growing with every batch. False, the lookups are not run at all.
ANY_STORED = "CAST(:any_stored AS boolean)"
_NOT_SHOWN = ("external_id", "upstream_hash", "normalized_name")  # derived, or the key


def shown_name(column: str) -> str:
    """A column as the timeline names its field: the shop's value of `price` is `upstream_price`."""
    return column.removeprefix("upstream_")


def _as_json(row: Any, name: str, alias: str) -> str:
    """A column's value as JSON: money as its text ("4250.00", as the API writes it), never a JSON
    number that a reader would take for a float."""
    if "Decimal" in str(row.__annotations__[name]):
        return f"to_jsonb(CAST({alias}.{name} AS text))"
    return f"to_jsonb({alias}.{name})"


def history(table: str, entity: str, row: Any) -> str:
    """A CTE (`history AS (...)`) for the statement that upserts the staged rows of `table`: one
    `record_events` row for each stored row the upsert will rewrite whose shop values change (each
    changed column, old and new) or that comes back after being deleted upstream. It reads the rows as
    they were before the statement, as every CTE of it does; only when `:any_stored` (ANY_STORED)."""
    values = ",\n            ".join(
        f"('{shown_name(name)}', {_as_json(row, name, 't')}, {_as_json(row, name, 's')})"
        for name in row._fields
        if name not in _NOT_SHOWN
    )
    return f"""history AS (
    INSERT INTO record_events (entity, entity_id, run_id, kind, changes)
    SELECT '{entity}', t.id, {RUN_ID},
           CASE WHEN t.deleted_upstream_at IS NULL THEN 'changed' ELSE 'restored' END, c.changes
    FROM {table} t JOIN stage_{table} s USING (external_id)
    CROSS JOIN LATERAL (
        SELECT coalesce(jsonb_object_agg(f.name, jsonb_build_array(f.old, f.new)), '{{}}') AS changes
        FROM (VALUES
            {values}
        ) f (name, old, new)
        WHERE f.old IS DISTINCT FROM f.new
    ) c
    WHERE {ANY_STORED}
      AND (t.upstream_hash IS DISTINCT FROM s.upstream_hash OR t.deleted_upstream_at IS NOT NULL)
      AND (c.changes <> '{{}}' OR t.deleted_upstream_at IS NOT NULL)
)"""


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
    conn: Connection, table: str, entity: str, external_ids: Sequence[int], returning: str, **params: Any
) -> list[Any]:
    """Flag the rows of `table` that vanished from a complete listing (never delete them), each with
    a `deleted` event on its timeline; one value (`returning`, an expression over the row, with
    `params`) for each row flagged now."""
    if not external_ids:
        return []
    rows = conn.run(
        f"""WITH flagged AS (
                UPDATE {table} SET deleted_upstream_at = now(), updated_at = now()
                WHERE external_id = ANY(CAST(:ids AS bigint[])) AND deleted_upstream_at IS NULL
                RETURNING id, {returning} AS value
            ),
            logged AS (
                INSERT INTO record_events (entity, entity_id, run_id, kind)
                SELECT '{entity}', id, {RUN_ID}, 'deleted' FROM flagged
            )
            SELECT value FROM flagged""",
        ids=list(external_ids),
        **params,
    )
    return [row[0] for row in rows or []]
