"""Sync control: the run history's query, a run with its quarantine, the status per resource."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel
from pydantic import Field as PydanticField

from chalicelib.routes.models.common import Paging
from chalicelib.routes.models.text import RequestModel
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


class ShapeField(BaseModel):
    field: str = PydanticField(description="as the shop names it; `order_items[].price` inside each item")
    records: int = PydanticField(
        description="records (nested fields: items, or users) that have it (unknown) or lack it (missing)"
    )


class ShapeStatus(BaseModel):
    status: str
    records: int


class ShapeReport(BaseModel):
    """What the run's records said of the shop's shape beside the models (docs/sync.md, "Shape
    drift")."""

    examined: int = PydanticField(
        description="records read in full: orders new or changed since the last run (an unchanged record"
        " has the shape it had), every product and category"
    )
    unknown_fields: list[ShapeField] = PydanticField(description="fields the models do not know, most first")
    unknown_fields_more: int = PydanticField(description="distinct unknown names past the 50 listed")
    missing_fields: list[ShapeField] = PydanticField(description="expected fields absent, most first")
    new_statuses: list[ShapeStatus] = PydanticField(description="order statuses seen for the first time")
    quarantined_percent: Decimal = PydanticField(description="share of the listing quarantined")
    drift: bool = PydanticField(description="the ShapeDrift metric is on (its alarm fires)")
    drift_reasons: list[Literal["field_missing_everywhere", "quarantine_share"]]


class RunDetail(RunSummary):
    shape: ShapeReport | None = PydanticField(
        description="null: the run read no records (304, failed, skipped) or ran before shape reports"
    )
    quarantined: list[QuarantinedRecord]


class ResourceStatus(BaseModel):
    last_run: RunSummary | None
    last_success: RunSummary | None
    next_expected_run: datetime
    stale: bool
    newest_data_at: datetime | None = PydanticField(
        description="the newest shop timestamp held: the newest listed order's created_at, the newest"
        " listed product's updated_at as the shop sends it; null: none (no orders, or no product time sent)"
    )
    data_age_seconds: int | None = PydanticField(description="how long ago that was")


class SyncStatus(BaseModel):
    schedule: str
    interval_seconds: int
    stale: bool
    resources: dict[Literal["orders", "products"], ResourceStatus]


class SyncResult(BaseModel):
    runs: list[RunSummary]


class HeldDecision(BaseModel):
    """The staff's last answer to a hold: who, when, and how many records it concerned."""

    action: Literal["apply", "ignore"]
    records: int
    decided_by: str
    decided_at: datetime


class HeldDeletions(BaseModel):
    """What the deletion guard holds for one resource (docs/sync.md, "The deletion guard")."""

    resource: Literal["orders", "products"]
    held: int = PydanticField(description="live records missing from the shop's listing, not flagged")
    ignored: int = PydanticField(
        description="records the staff chose to keep live while the shop leaves them out"
    )
    held_since: datetime | None = PydanticField(description="when the oldest of those held went missing")
    first_run_id: int | None = PydanticField(description="the run that held the oldest of them")
    sample: list[int] = PydanticField(description="up to 20 of the held records' shop ids, smallest first")
    last_decision: HeldDecision | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> HeldDeletions:
        decision = None
        if row["last_action"] is not None:
            decision = HeldDecision(
                action=row["last_action"], records=row["last_records"],
                decided_by=row["last_decided_by"], decided_at=row["last_decided_at"],
            )  # fmt: skip
        return cls(
            resource=row["resource"], held=row["held"], ignored=row["ignored"], held_since=row["held_since"],
            first_run_id=row["first_run_id"], sample=row["sample"] or [], last_decision=decision,
        )  # fmt: skip


class HeldDeletionsList(BaseModel):
    resources: list[HeldDeletions]


class HeldDeletionAction(RequestModel):
    """What to do with the deletions held for a resource."""

    action: Literal["apply", "ignore"] = PydanticField(
        description="`apply`: flag them as deleted now; `ignore`: keep the records live"
    )
