"""A CloudWatch alarm's state change, as SNS delivers it: the notification's `Message` is the alarm's
JSON (AlarmName, NewStateValue, StateChangeTime, Trigger, ...). Validated like every input from
outside; what the stack's own alarms are (by the names deploy/resources.yaml gives them) is read here.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.errors import InvalidInputError
from chalicelib.problems import validated

# strattera-sync-<stage>-<resource>-<kind>, and strattera-sync-<stage>-<kind> for the stack's two others.
_RESOURCE_KIND = re.compile(r"-(orders|products)-(sync-failed|stale|deletions-held|shape-drift)$")
_WHOLE_KIND = re.compile(r"-(no-new-order|telegram-delivery-failed)$")


class AlarmChange(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str = Field(alias="AlarmName", min_length=1, max_length=255)
    description: str | None = Field(default=None, alias="AlarmDescription", max_length=1024)
    state: Literal["ALARM", "OK", "INSUFFICIENT_DATA"] = Field(alias="NewStateValue")
    reason: str = Field(default="", alias="NewStateReason", max_length=1024)
    changed_at: datetime = Field(alias="StateChangeTime")

    @classmethod
    def from_sns(cls, message: str) -> AlarmChange:
        """The alarm in an SNS notification's `Message`; `InvalidInputError` when it is not one."""
        try:
            raw: Any = json.loads(message)
        except ValueError:
            raise InvalidInputError("SNS message: not JSON") from None
        return validated(cls, raw, what="SNS message")

    @property
    def kind(self) -> str:
        if found := _RESOURCE_KIND.search(self.name):
            return found.group(2)
        return found.group(1) if (found := _WHOLE_KIND.search(self.name)) else "other"

    @property
    def resource(self) -> str | None:
        """orders or products: the part of the data the alarm is about (None: not one of ours)."""
        if found := _RESOURCE_KIND.search(self.name):
            return found.group(1)
        return "orders" if self.kind == "no-new-order" else None
