"""Sync runs: one resource at a time, never overlapping, each recorded in `sync_runs`.

A run: take the resource's advisory lock (or record `skipped`), record `running`, fetch the listing
into a file of its own (no transaction open while the shop answers; see `spool`), then apply it from
that file in ONE transaction with the quarantine and the run's end. Anything failing rolls the whole
transaction back: nothing is written, no deletion is inferred, and the run is recorded `failed` with
the reason.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
import zlib
from collections.abc import Callable
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any, BinaryIO, Literal, Protocol

from pydantic import BaseModel

from chalicelib.db import Connection, Database
from chalicelib.errors import (
    ConflictError,
    DatabaseUnavailableError,
    ListingStorageError,
    StratteraError,
    UpstreamError,
    UpstreamFormatError,
    UpstreamHTTPError,
    UpstreamTimeoutError,
)
from chalicelib.logs import embedded_metrics
from chalicelib.shop_client import ShopClient
from chalicelib.stores import held_deletions, history, runs
from chalicelib.sync import spool, validators
from chalicelib.sync.listing import Outcome

log = logging.getLogger(__name__)

Resource = Literal["orders", "products"]
# What started a run: the 5-minute schedule, the Lambda function `sync` (from the AWS console), the
# shell (`python -m chalicelib.sync`), or HTTP (`POST /api/sync-*`, the staff console's buttons).
Trigger = Literal["schedule", "lambda", "cli", "http"]
# Read from runs stored before 0.5.1, when the Lambda function and the shell both wrote "console".
StoredTrigger = Literal[Trigger, "console"]
RESOURCES: tuple[Resource, ...] = ("products", "orders")  # products first: items match products


def lock_key(resource: str) -> int:
    """A stable advisory-lock key per resource."""
    return 0x53594E43_00000000 | zlib.crc32(resource.encode())


class Applier(Protocol):
    resource: str

    def prepare(self, conn: Connection) -> Any:
        """What `apply` needs from the database before the listing's first record (what is stored
        of each record). Read while the listing downloads, outside the run's transaction: only a
        run of this resource writes what it reads, and the run holds the resource's lock."""

    def apply(self, conn: Connection, listing: BinaryIO, prepared: Any) -> Outcome: ...

    def not_modified(self, conn: Connection) -> None:
        """The listing did not change (a 304): keep current what depends on the clock, not on it."""

    def delete(self, conn: Connection, external_ids: list[int]) -> int:
        """Flag these records deleted upstream outside a run, with what depends on them; how many."""


class ReadAhead:
    """`read(conn)` on a thread of its own from `start` (called when the listing's body starts to
    arrive: never for a 304), so that it overlaps the download (reading a million orders' digests
    takes a second). Until `wait` returns, the connection is the thread's."""

    def __init__(self, read: Callable[[Connection], Any], conn: Connection) -> None:
        self._read, self._conn = read, conn
        self._future: Future[Any] | None = None

    def start(self) -> None:
        if self._future is None:  # once, however many attempts the download takes
            executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-read-ahead")
            self._future = executor.submit(self._read, self._conn)
            executor.shutdown(wait=False)  # nothing more for it: its thread ends with the read

    def wait(self) -> None:
        if self._future is not None:
            futures.wait([self._future])

    def result(self) -> Any:
        """What `read` returned (read now if it was never started); raises what it raised."""
        return self._read(self._conn) if self._future is None else self._future.result()


class RunCounts(BaseModel):
    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    deleted: int = 0
    restored: int = 0
    held: int = 0  # missing from a complete listing, not flagged: the deletion guard held them


# Why a run failed, as the stable code the console says in the staff's language (most specific first).
RUN_ERROR_CODES: list[tuple[type[StratteraError], str]] = [
    (UpstreamHTTPError, "upstream_http"),
    (UpstreamTimeoutError, "upstream_timeout"),
    (UpstreamFormatError, "upstream_format"),
    (UpstreamError, "upstream_connection"),  # no connection, or it broke off
    (ListingStorageError, "listing_storage"),
    (DatabaseUnavailableError, "database_unavailable"),
]


def error_code(exc: BaseException) -> str:
    return next((code for kind, code in RUN_ERROR_CODES if isinstance(exc, kind)), "internal_error")


class RunSummary(BaseModel):
    """One sync run, as `sync_runs` records it and the API shows it."""

    id: int | None
    resource: Resource
    trigger: StoredTrigger
    status: Literal["running", "succeeded", "partial", "failed", "skipped"]
    started_at: datetime
    finished_at: datetime | None
    counts: RunCounts
    error: str | None
    error_code: str | None = None  # the same as a stable code (migration 0008), for the console
    not_modified: bool = False  # the shop answered 304 to the last listing's validators
    shape_drift: bool = False  # the run's shape report raised the ShapeDrift alarm (its detail says why)
    newest_data_at: datetime | None = None  # the newest shop timestamp the resource held when it ended

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RunSummary:
        return cls(**row, counts=RunCounts(**{name: row[name] for name in runs.COUNT_NAMES}))

    @property
    def duration_s(self) -> float | None:
        if self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds(), 3)

    def one_line(self) -> str:
        """For people: `orders sync #12 succeeded in 1.2s: 3 created, 10 updated, ...`."""
        c = self.counts
        if self.not_modified:
            took = f" in {self.duration_s}s" if self.duration_s is not None else ""
            return (
                f"{self.resource} sync #{self.id} {self.status}{took}: not modified (the shop answered 304)"
            )
        line = (
            f"{self.resource} sync #{self.id} {self.status}"
            + (f" in {self.duration_s}s" if self.duration_s is not None else "")
            + f": {c.fetched} fetched, {c.created} created, {c.updated} updated, {c.unchanged} unchanged, "
            f"{c.invalid} invalid, {c.deleted} deleted, {c.restored} restored"
            + (f", {c.held} deletions held" if c.held else "")
        )
        return line + (f" ({self.error})" if self.error else "")


class SyncService:
    """Runs syncs. Built once per process by the wiring; tests build their own."""

    def __init__(
        self,
        db: Database,
        client: ShopClient,
        appliers: dict[str, Applier],
        *,
        deadline_s: float = 240.0,
        clock: Callable[[], float] = time.monotonic,
        listing_context: str = "",
        listing_dir: str | None = None,
        history_retention_days: int = 400,
    ) -> None:
        """`listing_context`: what a saved listing's validators are good for (the shop's zone, the
        digest rules); validators saved under another context are not sent, so that run fetches in full.
        `listing_dir`: the folder for the listings' files (default: the system's temporary folder).
        `history_retention_days`: how long the shop's changes stay on the records' timelines."""
        self._db = db
        self._client = client
        self._appliers = appliers
        self._deadline_s = deadline_s
        self._clock = clock
        self._listing_context = listing_context
        self._listing_dir = listing_dir or tempfile.gettempdir()
        self._history_days = history_retention_days

    def run_all(self, *, trigger: Trigger, record_skipped: bool = True) -> list[RunSummary]:
        """Products, then orders."""
        return [self.run(resource, trigger=trigger, record_skipped=record_skipped) for resource in RESOURCES]

    def run(
        self,
        resource: Resource,
        *,
        trigger: Trigger,
        record_skipped: bool = True,
        deadline_s: float | None = None,
    ) -> RunSummary:
        """One run of `resource`. When another run of it holds the lock, the result has status
        `skipped` (recorded in `sync_runs` unless `record_skipped` is False). `deadline_s` shortens
        the run's time budget (an HTTP request has less time than a scheduled Lambda)."""
        applier = self._appliers[resource]
        deadline = self._clock() + min(self._deadline_s, deadline_s or self._deadline_s)
        try:
            with self._db.connection() as conn:
                if not conn.run("SELECT pg_try_advisory_lock(:key)", key=lock_key(resource))[0][0]:
                    return self._skipped(conn, resource, trigger, record_skipped)
                try:
                    run = runs.start_run(conn, resource=resource, trigger=trigger)
                    summary = self._run_locked(conn, applier, run, deadline)
                finally:
                    # A dead connection has released its locks already.
                    with contextlib.suppress(Exception):
                        conn.run("SELECT pg_advisory_unlock(:key)", key=lock_key(resource))
        except DatabaseUnavailableError as exc:
            # No connection, or it was lost: nowhere to record the run, so the log line (with the
            # RunFailed metric the alarm reads) is its record; the caller sees the error (503 over
            # HTTP, exit 1 from the shell). A run left `running` is marked interrupted by the next.
            self._log(self._unrecorded(resource, trigger, "failed", exc.message, "database_unavailable"))
            raise
        self._log(summary)
        return summary

    def decide_held_deletions(
        self, resource: Resource, action: Literal["apply", "ignore"], *, by: str
    ) -> dict[str, Any]:
        """The staff's answer to the deletions the guard holds for `resource`: flag them now
        (`apply`), or keep the records live (`ignore`). Under the resource's lock, so that no run
        decides about the same records meanwhile; recorded with who and when (the decision)."""
        with self._db.connection() as conn:
            if not conn.run("SELECT pg_try_advisory_lock(:key)", key=lock_key(resource))[0][0]:
                raise ConflictError(f"a {resource} sync is running: try again in a minute")
            try:
                conn.run("BEGIN")
                if action == "apply":
                    held = held_deletions.held_ids(conn, resource)
                    records = self._appliers[resource].delete(conn, held)
                    held_deletions.release(conn, resource, held)
                else:
                    records = held_deletions.ignore(conn, resource, by)
                decision = held_deletions.record_decision(conn, resource, action, records, by)
                conn.run("COMMIT")
            except Exception:
                with contextlib.suppress(Exception):
                    conn.run("ROLLBACK")
                raise
            finally:
                with contextlib.suppress(Exception):
                    conn.run("SELECT pg_advisory_unlock(:key)", key=lock_key(resource))
        log.info(
            f"held {resource} deletions: {action} ({records} records) by {by}",
            extra={"event": "held_deletions", "resource": resource, "action": action, "records": records},
        )
        return decision

    @staticmethod
    def _unrecorded(
        resource: Resource, trigger: Trigger, status: Literal["failed", "skipped"], reason: str, code: str
    ) -> RunSummary:
        """A run that has no row in `sync_runs` (id None): only its log line tells of it."""
        now = datetime.now().astimezone()
        return RunSummary(
            id=None, resource=resource, trigger=trigger, status=status,
            started_at=now, finished_at=now, counts=RunCounts(), error=reason, error_code=code,
        )  # fmt: skip

    def _skipped(self, conn: Connection, resource: Resource, trigger: Trigger, record: bool) -> RunSummary:
        reason = f"another {resource} sync is running"
        if record:
            summary = RunSummary.from_row(
                runs.record_skipped_run(conn, resource=resource, trigger=trigger, reason=reason)
            )
        else:
            summary = self._unrecorded(resource, trigger, "skipped", reason, "sync_running")
        self._log(summary)
        return summary

    def _run_locked(
        self, conn: Connection, applier: Applier, run: dict[str, Any], deadline: float
    ) -> RunSummary:
        run_id = run["id"]
        resource = applier.resource
        try:
            with spool.listing_file(self._listing_dir, resource) as file:
                return self._fetch_and_apply(conn, applier, run_id, deadline, file)
        except Exception as exc:
            error = (
                exc.message if isinstance(exc, StratteraError) else f"internal error: {type(exc).__name__}"
            )
            if not isinstance(exc, StratteraError):
                log.exception("sync run failed", extra={"run_id": run_id, "resource": applier.resource})
            try:
                conn.run("ROLLBACK")
                code = error_code(exc)
                row = runs.finish_run(
                    conn, run_id, status="failed", counts={"fetched": 0}, error=error, error_code=code
                )
            except Exception:
                # The connection is gone; the next run of this resource marks this one failed.
                raise DatabaseUnavailableError(f"lost the database during the run: {error}") from exc
            return RunSummary.from_row(row)

    def _fetch_and_apply(
        self, conn: Connection, applier: Applier, run_id: int, deadline: float, file: BinaryIO
    ) -> RunSummary:
        resource = applier.resource
        saved = validators.load(conn, resource=resource, context=self._listing_context)
        ahead = ReadAhead(applier.prepare, conn)
        try:
            listing = self._client.fetch_listing(
                resource, deadline=deadline, into=file, validators=saved, on_body=ahead.start
            )
        finally:
            ahead.wait()  # the connection is the run's again
        log.info(
            f"{resource} listing: {'not modified (304)' if listing.not_modified else 'fetched'}",
            extra={
                "event": "listing",
                "run_id": run_id,
                "resource": resource,
                "validators_sent": saved is not None,
                "shop_sent_validators": bool(listing.validators.etag or listing.validators.last_modified),
                "not_modified": listing.not_modified,
                "bytes": listing.size,
                "wire_bytes": listing.wire_bytes,
                "encoding": listing.encoding,
            },
        )
        if listing.not_modified:  # no record to write, no deletion to infer
            conn.run("BEGIN")
            applier.not_modified(conn)
            # The listing that held deletions is the listing still: they stay held, and counted
            # (the RecordsHeld alarm stays on until the staff decide).
            counts = {"held": held_deletions.held_count(conn, resource)}
            # So is the shape it had: the ShapeDrift alarm stays as the last full read left it.
            row = runs.finish_run(
                conn, run_id, status="succeeded", counts=counts, error=None, not_modified=True,
                shape_drift=runs.last_shape_drift(conn, resource),
            )  # fmt: skip
            conn.run("COMMIT")
            return RunSummary.from_row(row)
        conn.run("BEGIN")
        # Sorts and hashes of a first sync (300,000 items) spill to disk at the default 4 MB.
        conn.run("SET LOCAL work_mem = '64MB'")
        # A run's statements take milliseconds to a second; compiling them (JIT, on by default since
        # PostgreSQL 12, for any plan that looks costly) took 20-30 ms each and saved less.
        conn.run("SET LOCAL jit = off")
        # The run's own deadline, not the API's statement timeout, bounds its statements.
        remaining_ms = max(1_000, int((deadline - self._clock()) * 1000))
        conn.run(f"SET LOCAL statement_timeout = {remaining_ms}")
        # The run the records' timelines name (chalicelib/sync/staging.py, RUN_ID).
        conn.run("SELECT set_config('strattera.run_id', CAST(:run AS text), true)", run=run_id)
        outcome = applier.apply(conn, file, ahead.result())
        history.prune(conn, days=self._history_days)  # by its index on seen_at: the oldest few
        runs.quarantine(conn, run_id, applier.resource, outcome.quarantined)
        status = "partial" if outcome.quarantined or outcome.notes else "succeeded"
        note = "; ".join(text for _, text in outcome.notes) or None
        code = outcome.notes[0][0] if outcome.notes else None
        row = runs.finish_run(
            conn,
            run_id,
            status=status,
            counts=outcome.counts,
            error=note,
            error_code=code,
            shape=outcome.shape,
        )
        # In the transaction that applied the listing: a failed run never saves them.
        validators.save(conn, resource=resource, validators=listing.validators, context=self._listing_context)
        conn.run("COMMIT")
        return RunSummary.from_row(row)

    @staticmethod
    def _log(summary: RunSummary) -> None:
        log.info(
            summary.one_line(),
            extra={
                "event": "sync_run",
                "run_id": summary.id,
                "resource": summary.resource,
                "trigger": summary.trigger,
                "status": summary.status,
                "duration_s": summary.duration_s,
                "counts": summary.counts.model_dump(),
                "error": summary.error,
                **metrics(summary),
            },
        )


def metrics(summary: RunSummary) -> dict[str, Any]:
    """The run's metrics (per resource), in its log line: the alarms use them."""
    values: dict[str, float] = {
        "RunSucceeded": float(summary.status in ("succeeded", "partial")),
        "RunFailed": float(summary.status == "failed"),
        "RunSkipped": float(summary.status == "skipped"),
        "RunNotModified": float(summary.not_modified),
        "ShapeDrift": float(summary.shape_drift),
        "DurationSeconds": summary.duration_s or 0.0,
        **{
            f"Records{name.capitalize()}": float(count) for name, count in summary.counts.model_dump().items()
        },
    }
    if summary.newest_data_at is not None and summary.finished_at is not None:
        # How old the shop's newest data is: a run can succeed while the shop's own data stands still.
        values["DataAgeSeconds"] = max(0.0, (summary.finished_at - summary.newest_data_at).total_seconds())
    return embedded_metrics(
        values,
        dimensions={"Resource": summary.resource},
        units={"DurationSeconds": "Seconds", "DataAgeSeconds": "Seconds"},
    )
