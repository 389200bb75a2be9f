"""Sync control: the run history's query, a run with its quarantine, the status per resource."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from pydantic import Field as PydanticField

from chalicelib.routes.models.common import Paging
from chalicelib.sync.service import RunSummary


class RunListQuery(Paging):
    resource: Literal["orders", "products"] | None = None
    status: Literal["running", "succeeded", "partial", "failed", "skipped"] | None = None


class Problem(BaseModel):
    """One thing wrong with a record (chalicelib/problems.py)."""

    field: str | None = PydanticField(description="where, e.g. `total_amount` or `order_items.0.price`")
    type: str = PydanticField(description="a stable code: pydantic's, or the service's (docs/api.md)")
    message: str = PydanticField(description="in English, for programs and logs")
    limit: str | None = None


class QuarantinedRecord(BaseModel):
    external_id: str | None
    reason: str = PydanticField(description="the details as one line, in English")
    details: list[Problem] = PydanticField(description="empty for records quarantined before 0.5.1")
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
