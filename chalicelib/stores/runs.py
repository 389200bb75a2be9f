"""Sync runs (`sync_runs`) and the records they quarantined (`sync_quarantine`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.db import Connection, rows_as_dicts
from chalicelib.stores.copy import copy_rows

MAX_PAYLOAD_CHARS = 64 * 1024
COUNT_NAMES = ("fetched", "created", "updated", "unchanged", "invalid", "deleted", "restored")
RUN_COLUMNS = "id, resource, trigger, status, started_at, finished_at, " + ", ".join(COUNT_NAMES) + ", error"


@dataclass
class Quarantined:
    external_id: str | None
    reason: str
    payload: Any


START_RUN = f"""
INSERT INTO sync_runs (resource, trigger, status) VALUES (:resource, :trigger, 'running')
RETURNING {RUN_COLUMNS}
"""

RECORD_SKIPPED_RUN = f"""
INSERT INTO sync_runs (resource, trigger, status, finished_at, error)
VALUES (:resource, :trigger, 'skipped', clock_timestamp(), :reason)
RETURNING {RUN_COLUMNS}
"""

FINISH_RUN = f"""
UPDATE sync_runs SET
    status = :status, finished_at = clock_timestamp(), error = :error,
    fetched = :fetched, created = :created, updated = :updated, unchanged = :unchanged,
    invalid = :invalid, deleted = :deleted, restored = :restored
WHERE id = :id
RETURNING {RUN_COLUMNS}
"""

# Runs left 'running' by a process that died (Lambda timeout, lost connection): only called by
# the holder of the resource's lock, so no live run can be among them.
FAIL_INTERRUPTED_RUNS = """
UPDATE sync_runs SET status = 'failed', finished_at = clock_timestamp(),
       error = 'interrupted: the run stopped before it could record its end (timeout or lost connection)'
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
    conn: Connection, run_id: int, *, status: str, counts: dict[str, int], error: str | None
) -> dict[str, Any]:
    params = {name: counts.get(name, 0) for name in COUNT_NAMES}
    return rows_as_dicts(conn, conn.run(FINISH_RUN, id=run_id, status=status, error=error, **params))[0]


def _payload_json(payload: Any) -> str:
    text = json.dumps(payload, ensure_ascii=False, default=str)
    if len(text) > MAX_PAYLOAD_CHARS:
        return json.dumps({"truncated": True, "excerpt": text[:MAX_PAYLOAD_CHARS]}, ensure_ascii=False)
    return text


def quarantine(conn: Connection, run_id: int, resource: str, records: Sequence[Quarantined]) -> None:
    copy_rows(
        conn,
        "sync_quarantine",
        ("run_id", "resource", "external_id", "reason", "payload"),
        ((run_id, resource, r.external_id, r.reason[:2000], _payload_json(r.payload)) for r in records),
    )
