"""What many models share: money (in as a number or a string with at most two decimals, out as a
string with two), whole numbers, shop-local days, paging and the page of a list."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from chalicelib.routes.models.text import RequestModel
from chalicelib.shop_records import MAX_MONEY

# Money out: "4250.00". Money in: a number or a string, >= 0, at most two decimal places.
MoneyOut = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json")]


MONEY_PATTERN = r"^\d{1,12}(\.\d{1,2})?$"


MoneyIn = Annotated[
    Decimal,
    Field(ge=0, le=MAX_MONEY, decimal_places=2, allow_inf_nan=False),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": float(MAX_MONEY), "multipleOf": 0.01},
                {"type": "string", "pattern": MONEY_PATTERN},
            ],
            "description": "at least 0, at most two decimal places: a number or a string",
            "examples": ["1990.00"],
        },
        mode="validation",
    ),
]


def _whole_number(value: Any) -> Any:
    """An integer, or a number with no fraction (JSON Schema counts 12.0 an integer); never a
    string or a boolean (which pydantic's lax mode would take)."""
    if isinstance(value, float) and value.is_integer():  # False for inf and NaN
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return value


# The Field before the validator, so the JSON Schema says minimum and maximum.
Quantity = Annotated[int, Field(strict=True, ge=0, le=1_000_000_000), BeforeValidator(_whole_number)]


DeliveryDays = Annotated[int, Field(strict=True, ge=0, le=3650), BeforeValidator(_whole_number)]


DaysToZero = Annotated[int, Field(strict=True, ge=0, le=100_000), BeforeValidator(_whole_number)]


SearchText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


StaffText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


T = TypeVar("T")


DAY_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


def _iso_day(value: Any) -> Any:
    """A day only as YYYY-MM-DD (pydantic alone would take a number such as 0 for a date)."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.fullmatch(DAY_PATTERN, value):
        raise PydanticCustomError("date_format", "a day as YYYY-MM-DD")
    return value


ShopDay = Annotated[
    date,
    BeforeValidator(_iso_day),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DAY_PATTERN}, mode="validation"),
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class Paging(RequestModel):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=10_000_000)


class DateRange(RequestModel):
    date_from: ShopDay | None = Field(None, description="first shop-local day, YYYY-MM-DD")
    date_to: ShopDay | None = Field(
        None, description="last shop-local day (inclusive), YYYY-MM-DD; 400 when before date_from"
    )

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise PydanticCustomError("date_range", "date_from is after date_to")
        return self
