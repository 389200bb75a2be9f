"""Sync control: run a sync now, its status, and the run history with the quarantine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.errors import ConflictError, NotFoundError
from chalicelib.problems import problem
from chalicelib.routes.auth import caller
from chalicelib.routes.http import api_route, json_response, parse_id
from chalicelib.routes.models.common import Page
from chalicelib.routes.models.sync import (
    HeldDeletionAction,
    HeldDeletions,
    HeldDeletionsList,
    ResourceStatus,
    RunDetail,
    RunListQuery,
    SyncResult,
    SyncStatus,
)
from chalicelib.stores import held_deletions, runs
from chalicelib.sync.service import RESOURCES, Resource, RunSummary

sync_routes = Blueprint(__name__)

SCHEDULE = "rate(5 minutes)"
INTERVAL = timedelta(minutes=5)
# API Gateway cuts an HTTP request at 29 s: a sync started over HTTP gives up its retries in time to
# answer (docs/architecture.md, "Sync over HTTP").
HTTP_DEADLINE_S = 25.0


def _run_now(resources: tuple[Resource, ...]) -> Response:
    service = wiring.sync_service()
    summaries = []
    for resource in resources:
        summary = service.run(resource, trigger="http", record_skipped=False, deadline_s=HTTP_DEADLINE_S)
        if summary.status == "skipped":
            raise ConflictError(
                f"a {resource} sync is already running; try again when it has finished",
                details=[problem(None, "sync_running", f"a {resource} sync is running", resource=resource)],
            )
        summaries.append(summary)
    failed = any(s.status == "failed" for s in summaries)
    return json_response(SyncResult(runs=summaries), 502 if failed else 200)


@api_route(
    sync_routes,
    "/api/sync-orders",
    method="POST",
    summary="Sync orders now",
    response=SyncResult,
    errors=(409, 502),
)
def sync_orders(request: Any) -> Response:
    return _run_now(("orders",))


@api_route(
    sync_routes,
    "/api/sync-products",
    method="POST",
    summary="Sync products now",
    response=SyncResult,
    errors=(409, 502),
)
def sync_products(request: Any) -> Response:
    return _run_now(("products",))


@api_route(
    sync_routes,
    "/api/sync-all",
    method="POST",
    summary="Sync products, then orders, now",
    response=SyncResult,
    errors=(409, 502),
)
def sync_all(request: Any) -> Response:
    return _run_now(RESOURCES)


@api_route(
    sync_routes,
    "/api/sync/status",
    summary="Schedule, last runs and staleness per resource",
    response=SyncStatus,
)
def sync_status(request: Any) -> SyncStatus:
    with wiring.database().transaction() as conn:
        latest = runs.latest_runs(conn)
        newest = runs.newest_data(conn)
    now = datetime.now(UTC)
    resources = {}
    for resource in RESOURCES:
        found = latest.get(resource, {})
        last_success = found.get("last_success")
        scheduled = found.get("last_scheduled")
        resources[resource] = ResourceStatus(
            last_run=RunSummary.from_row(found["last_run"]) if "last_run" in found else None,
            last_success=RunSummary.from_row(last_success) if last_success else None,
            # in the past when the schedule is late: that is worth seeing
            next_expected_run=scheduled["started_at"] + INTERVAL if scheduled else now,
            stale=runs.is_stale(last_success, now),
            newest_data_at=newest[resource],
            data_age_seconds=None
            if newest[resource] is None
            else max(0, int((now - newest[resource]).total_seconds())),
        )
    return SyncStatus(
        schedule=SCHEDULE,
        interval_seconds=int(INTERVAL.total_seconds()),
        stale=any(r.stale for r in resources.values()),
        resources=resources,
    )


@api_route(
    sync_routes,
    "/api/sync/runs",
    summary="Run history, newest first",
    query=RunListQuery,
    response=Page[RunSummary],
    errors=(400,),
)
def list_runs(request: Any, query: RunListQuery) -> Page[RunSummary]:
    with wiring.database().transaction() as conn:
        total, rows = runs.list_runs(
            conn, resource=query.resource, status=query.status, limit=query.limit, offset=query.offset
        )
    return Page[RunSummary](
        items=[RunSummary.from_row(r) for r in rows], total=total, limit=query.limit, offset=query.offset
    )


@api_route(
    sync_routes,
    "/api/sync/runs/{run_id}",
    summary="One run with its quarantined records and its shape drift report",
    response=RunDetail,
    errors=(400, 404),
)
def get_run(request: Any, run_id: str) -> RunDetail:
    ident = parse_id(run_id, "run_id")
    with wiring.database().transaction() as conn:
        row = runs.get_run(conn, ident)
    if row is None:
        raise NotFoundError(f"sync run {ident} does not exist")
    summary = RunSummary.from_row({k: v for k, v in row.items() if k not in ("quarantined", "shape")})
    return RunDetail(**summary.model_dump(), shape=row["shape"], quarantined=row["quarantined"])


def _held() -> dict[str, HeldDeletions]:
    with wiring.database().transaction() as conn:
        found = held_deletions.summary(conn)
    return {row["resource"]: HeldDeletions.from_row(row) for row in found}


@api_route(
    sync_routes,
    "/api/sync/held-deletions",
    summary="Deletions the guard holds back, per resource, with the staff's last decision",
    response=HeldDeletionsList,
)
def list_held_deletions(request: Any) -> HeldDeletionsList:
    return HeldDeletionsList(resources=list(_held().values()))


@api_route(
    sync_routes,
    "/api/sync/held-deletions/{resource}",
    method="POST",
    summary="Apply the held deletions of a resource (flag them now) or ignore them (keep the records live)",
    path_values={"resource": RESOURCES},
    body=HeldDeletionAction,
    response=HeldDeletions,
    errors=(400, 404, 409),
)
def decide_held_deletions(request: Any, resource: str, body: HeldDeletionAction) -> HeldDeletions:
    chosen = next((known for known in RESOURCES if known == resource), None)
    if chosen is None:
        raise NotFoundError(f"no resource {resource!r}; one of {', '.join(RESOURCES)}")
    wiring.sync_service().decide_held_deletions(chosen, body.action, by=caller(request))
    return _held()[chosen]
