"""Who is calling, and whether the service is up."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    BaseModel,
    Field,
)


class Me(BaseModel):
    name: str = Field(description="the token's name, as edits record it")
    access: Literal["full", "read"] = Field(description="`read`: every write answers 403")
    shop_timezone: str = Field(description="the zone of the shop's days, e.g. Europe/Moscow")


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unreachable"]
