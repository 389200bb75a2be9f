"""Sync control: the run history's query, a run with its quarantine, the status per resource."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
)

from chalicelib.routes.models.common import Paging
from chalicelib.sync.service import RunSummary


class RunListQuery(Paging):
    resource: Literal["orders", "products"] | None = None
    status: Literal["running", "succeeded", "partial", "failed", "skipped"] | None = None


class QuarantinedRecord(BaseModel):
    external_id: str | None
    reason: str
    payload: Any


class RunDetail(RunSummary):
    quarantined: list[QuarantinedRecord]


class ResourceStatus(BaseModel):
    last_run: RunSummary | None
    last_success: RunSummary | None
    next_expected_run: datetime
    stale: bool


class SyncStatus(BaseModel):
    schedule: str
    interval_seconds: int
    stale: bool
    resources: dict[Literal["orders", "products"], ResourceStatus]


class SyncResult(BaseModel):
    runs: list[RunSummary]
