"""Sync runs (`sync_runs`) and the records they quarantined (`sync_quarantine`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.db import Connection, rows_as_dicts
from chalicelib.shop_records import storable
from chalicelib.stores.copy import copy_rows

MAX_PAYLOAD_CHARS = 64 * 1024
COUNT_NAMES = ("fetched", "created", "updated", "unchanged", "invalid", "deleted", "restored", "held")
RUN_COLUMNS = (
    "id, resource, trigger, status, started_at, finished_at, "
    + ", ".join(COUNT_NAMES)
    + ", error, error_code, not_modified, shape_drift, newest_data_at"
)

# The newest shop timestamp a resource holds (its records still listed): what "fresh" means by the
# data, not by the runs. Each is the first entry of an index (orders_created_at_idx) or a small table.
NEWEST_DATA = {
    "orders": "(SELECT max(created_at) FROM orders WHERE deleted_upstream_at IS NULL)",
    "products": "(SELECT max(upstream_updated_at) FROM products WHERE deleted_upstream_at IS NULL)",
}
NEWEST_OF_RESOURCE = (
    f"CASE resource WHEN 'orders' THEN {NEWEST_DATA['orders']} ELSE {NEWEST_DATA['products']} END"
)


@dataclass
class Quarantined:
    external_id: str | None
    reason: str  # one line, English: for logs and programs
    payload: Any
    details: list[dict[str, Any]]  # chalicelib.problems: what the console says, by type


START_RUN = f"""
INSERT INTO sync_runs (resource, trigger, status) VALUES (:resource, :trigger, 'running')
RETURNING {RUN_COLUMNS}
"""

RECORD_SKIPPED_RUN = f"""
INSERT INTO sync_runs (resource, trigger, status, finished_at, error, error_code)
VALUES (:resource, :trigger, 'skipped', clock_timestamp(), :reason, 'sync_running')
RETURNING {RUN_COLUMNS}
"""

FINISH_RUN = f"""
UPDATE sync_runs SET
    status = :status, finished_at = clock_timestamp(), error = :error, error_code = :error_code,
    not_modified = :not_modified, shape = CAST(:shape AS jsonb), shape_drift = :shape_drift,
    newest_data_at = {NEWEST_OF_RESOURCE},
    fetched = :fetched, created = :created, updated = :updated, unchanged = :unchanged,
    invalid = :invalid, deleted = :deleted, restored = :restored, held = :held
WHERE id = :id
RETURNING {RUN_COLUMNS}
"""

# Runs left 'running' by a process that died (Lambda timeout, lost connection): only called by
# the holder of the resource's lock, so no live run can be among them.
FAIL_INTERRUPTED_RUNS = """
UPDATE sync_runs SET status = 'failed', finished_at = clock_timestamp(),
       error = 'interrupted: the run stopped before it could record its end (timeout or lost connection)',
       error_code = 'interrupted'
WHERE resource = :resource AND status = 'running'
"""


def start_run(conn: Connection, *, resource: str, trigger: str) -> dict[str, Any]:
    conn.run(FAIL_INTERRUPTED_RUNS, resource=resource)
    return rows_as_dicts(conn, conn.run(START_RUN, resource=resource, trigger=trigger))[0]


def record_skipped_run(conn: Connection, *, resource: str, trigger: str, reason: str) -> dict[str, Any]:
    return rows_as_dicts(
        conn, conn.run(RECORD_SKIPPED_RUN, resource=resource, trigger=trigger, reason=reason)
    )[0]


def finish_run(
    conn: Connection,
    run_id: int,
    *,
    status: str,
    counts: dict[str, int],
    error: str | None,
    error_code: str | None = None,
    not_modified: bool = False,
    shape: dict[str, Any] | None = None,
    shape_drift: bool | None = None,
) -> dict[str, Any]:
    """`error`: what went wrong or was held back, in English; `error_code`: the same as a stable code
    (migration 0008 lists them); `shape`: the run's shape drift report (chalicelib/sync/shape.py);
    `shape_drift`: whether the ShapeDrift metric is on, when not the report's own say (a 304)."""
    params = {name: counts.get(name, 0) for name in COUNT_NAMES}
    rows = conn.run(
        FINISH_RUN,
        id=run_id,
        status=status,
        error=error,
        error_code=error_code,
        not_modified=not_modified,
        shape=None if shape is None else json.dumps(shape, ensure_ascii=False),
        shape_drift=bool(shape and shape["drift"]) if shape_drift is None else shape_drift,
        **params,
    )
    return rows_as_dicts(conn, rows)[0]


def _payload_json(payload: Any) -> str:
    # jsonb holds neither U+0000 nor a lone surrogate: each becomes U+FFFD (the reason says where).
    text = json.dumps(storable(payload), ensure_ascii=False, default=str)
    if len(text) > MAX_PAYLOAD_CHARS:
        return json.dumps({"truncated": True, "excerpt": text[:MAX_PAYLOAD_CHARS]}, ensure_ascii=False)
    return text


def quarantine(conn: Connection, run_id: int, resource: str, records: Sequence[Quarantined]) -> None:
    copy_rows(
        conn,
        "sync_quarantine",
        ("run_id", "resource", "external_id", "reason", "payload", "details"),
        (
            (
                run_id,
                resource,
                storable(r.external_id),
                storable(r.reason[:2000]),
                _payload_json(r.payload),
                json.dumps(storable(r.details), ensure_ascii=False, default=str),
            )
            for r in records
        ),
    )


# -- reading runs ----------------------------------------------------------------------------------

LIST_FILTERS = """
    (CAST(:resource AS text) IS NULL OR resource = :resource)
    AND (CAST(:status AS text) IS NULL OR status = :status)
"""

LATEST_PER_RESOURCE = f"""
SELECT DISTINCT ON (resource, kind) kind, {RUN_COLUMNS}
FROM (
    SELECT 'last_run' AS kind, * FROM sync_runs WHERE status <> 'skipped'
    UNION ALL
    SELECT 'last_success', * FROM sync_runs WHERE status IN ('succeeded', 'partial')
    UNION ALL
    SELECT 'last_scheduled', * FROM sync_runs WHERE trigger = 'schedule'
) runs
ORDER BY resource, kind, started_at DESC, id DESC
"""


def list_runs(
    conn: Connection, *, resource: str | None, status: str | None, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    params = {"resource": resource, "status": status}
    total = conn.run(f"SELECT count(*) FROM sync_runs WHERE {LIST_FILTERS}", **params)[0][0]
    rows = conn.run(
        f"SELECT {RUN_COLUMNS} FROM sync_runs WHERE {LIST_FILTERS} ORDER BY started_at DESC, id DESC "
        "LIMIT :limit OFFSET :offset",
        limit=limit,
        offset=offset,
        **params,
    )
    return int(total), rows_as_dicts(conn, rows)


LAST_SHAPE_DRIFT = """
SELECT shape_drift FROM sync_runs
WHERE resource = :resource AND shape IS NOT NULL
ORDER BY started_at DESC, id DESC LIMIT 1
"""


def last_shape_drift(conn: Connection, resource: str) -> bool:
    """Whether the last run that read `resource`'s records found its shape drifted."""
    rows = conn.run(LAST_SHAPE_DRIFT, resource=resource)
    return bool(rows and rows[0][0])


NEWEST_NOW = f"SELECT {NEWEST_DATA['orders']} AS orders, {NEWEST_DATA['products']} AS products"


def newest_data(conn: Connection) -> dict[str, Any]:
    """{resource: the newest shop timestamp it holds now, or None}."""
    return rows_as_dicts(conn, conn.run(NEWEST_NOW))[0]


def get_run(conn: Connection, run_id: int) -> dict[str, Any] | None:
    rows = rows_as_dicts(
        conn, conn.run(f"SELECT {RUN_COLUMNS}, shape FROM sync_runs WHERE id = :id", id=run_id)
    )
    if not rows:
        return None
    run = rows[0]
    run["quarantined"] = rows_as_dicts(
        conn,
        conn.run(
            "SELECT external_id, reason, details, payload FROM sync_quarantine"
            " WHERE run_id = :id ORDER BY id",
            id=run_id,
        ),
    )
    return run


# A resource's data is stale when its last success is older than three schedule intervals (or there
# is none): what GET /api/sync/status, the overview and the morning digest say, and the Stale alarms.
STALE_AFTER = timedelta(minutes=15)


def is_stale(last_success: dict[str, Any] | None, now: datetime) -> bool:
    return last_success is None or now - (last_success["finished_at"] or now) > STALE_AFTER


def latest_runs(conn: Connection) -> dict[str, dict[str, dict[str, Any]]]:
    """{resource: {"last_run" | "last_success" | "last_scheduled": run}}."""
    latest: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows_as_dicts(conn, conn.run(LATEST_PER_RESOURCE)):
        latest.setdefault(row["resource"], {})[row.pop("kind")] = row
    return latest
