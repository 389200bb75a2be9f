"""A record's timeline: one event of the shop's or of the staff's, and the page of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from chalicelib.routes.models.common import Paging


class HistoryQuery(Paging):
    pass


class FieldChange(BaseModel):
    field: str = Field(description="as the record's API names it (`status`, `price`, `items`, ...)")
    old: Any = Field(description="before: the shop's value, or for a staff event the staff's (null: none)")
    new: Any = Field(description="after (null: none); a staff revert's is null: the shop's value is in force")


class HistoryEvent(BaseModel):
    at: datetime = Field(description="when the sync saw it, or the staff made it")
    source: Literal["shop", "staff"]
    kind: Literal["created", "changed", "deleted", "restored", "edited", "reverted"] = Field(
        description="created: first seen; changed, deleted, restored: the shop; edited, reverted: the staff"
    )
    run_id: int | None = Field(description="the sync run that saw it (shop events)")
    by: str | None = Field(description="who (staff events)")
    changes: list[FieldChange]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> HistoryEvent:
        changes = [
            FieldChange(field=name, old=pair[0], new=pair[1]) for name, pair in sorted(row["changes"].items())
        ]
        return cls(at=row["at"], source=row["source"], kind=row["kind"], run_id=row["run_id"], by=row["by"],
                   changes=changes)  # fmt: skip
