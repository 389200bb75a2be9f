"""The payload of the Lambda function `sync` (invoked from the AWS console): `{"resources": ["orders",
"products"]}`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.problems import validated
from chalicelib.sync.service import RESOURCES, Resource


class SyncRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resources: list[Resource] = Field(default_factory=lambda: list(RESOURCES), min_length=1)

    @classmethod
    def parse(cls, event: Any) -> SyncRequest:
        """The function's payload, or `InvalidInputError` saying in one line what is wrong with it."""
        return validated(cls, event or {}, what="sync payload")

    def ordered(self) -> list[Resource]:
        """The asked-for resources once each, products before orders (items match products)."""
        return [r for r in RESOURCES if r in self.resources]
