"""The payload of the Lambda function `sync` (invoked from the AWS console): `{"resources": ["orders",
"products"]}`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.errors import InvalidInputError
from chalicelib.sync.listing import describe, reason_of
from chalicelib.sync.service import RESOURCES, Resource


class SyncRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resources: list[Resource] = Field(default_factory=lambda: list(RESOURCES), min_length=1)

    @classmethod
    def parse(cls, event: Any) -> SyncRequest:
        """The function's payload, or `InvalidInputError` saying in one line what is wrong with it."""
        try:
            return cls.model_validate(event or {})
        except ValidationError as exc:
            raise InvalidInputError(f"sync payload: {reason_of(describe(exc))}") from None

    def ordered(self) -> list[Resource]:
        """The asked-for resources once each, products before orders (items match products)."""
        return [r for r in RESOURCES if r in self.resources]
