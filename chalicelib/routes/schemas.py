"""pydantic models of the HTTP API: query strings, request bodies and responses (docs/api.md).

The same models validate requests, shape responses and generate `GET /api/openapi.json`.
Money is `Decimal`, sent as a string with two decimals; times are ISO 8601 with their offset.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Generic, Literal, Self, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from chalicelib.shop_records import MAX_MONEY
from chalicelib.stores.products import COMPUTED_OF, UPSTREAM_OF

OrderStatus = Literal[
    "unpaid", "paid", "processing", "shipped", "delivered", "cancelled", "overdue", "refunded"
]
ORDER_STATUSES: tuple[str, ...] = OrderStatus.__args__  # type: ignore[attr-defined]
Trend = Literal["growing", "falling", "stable"]
StockStatus = Literal["critical", "warning", "normal"]

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

# Text from outside, one rule for every field of every request model (and every path segment):
# no NUL (PostgreSQL cannot store it), no lone surrogate (not encodable as UTF-8), and no C0 control
# character, except tab, newline and carriage return in free text (notes, an address). Bidi marks and
# other printable Unicode are text like any other.
_FREE_TEXT_ALLOWED = {"\t", "\n", "\r"}
# The same rule as JSON Schema patterns, so the OpenAPI description says what is refused. (Lone
# surrogates are left out of them: a UTF-8 client cannot send one as text, and validators such as
# Rust's regex engine cannot even write the range; the server refuses them all the same.)
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"
FREE_TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def text_problem(value: str, *, free_text: bool = False) -> str | None:
    """Why `value` is refused as text from outside, or None when it is fine."""
    for char in value:
        code = ord(char)
        if code == 0:
            return "must not contain NUL characters"
        if 0xD800 <= code <= 0xDFFF:
            return "must not contain lone surrogates"
        if (code < 0x20 or code == 0x7F) and not (free_text and char in _FREE_TEXT_ALLOWED):
            return "must not contain control characters" + (
                " other than tab and newline" if free_text else ""
            )
    return None


def _describe_request(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """The request rules in the model's JSON Schema: the text pattern on every free string, and
    `minProperties` where at least one field must be named."""
    free: frozenset[str] = getattr(model, "FREE_TEXT", frozenset())
    for name, prop in schema.get("properties", {}).items():
        _pattern_strings(prop, FREE_TEXT_PATTERN if name in free else TEXT_PATTERN)
    if getattr(model, "AT_LEAST_ONE", False):
        schema["minProperties"] = 1


def _pattern_strings(node: dict[str, Any], pattern: str) -> None:
    if node.get("type") == "string" and not {"enum", "const", "format", "pattern"} & set(node):
        node["pattern"] = pattern
    for child in [*node.get("anyOf", []), *([node["items"]] if "items" in node else [])]:
        _pattern_strings(child, pattern)


class _Strict(BaseModel):
    """Request models refuse fields they do not know (a typo must not pass silently), and text that
    breaks the rule of `text_problem` (fields named in FREE_TEXT may hold tabs and newlines).
    AT_LEAST_ONE: a body must name at least one field."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_describe_request)
    FREE_TEXT: ClassVar[frozenset[str]] = frozenset()
    AT_LEAST_ONE: ClassVar[bool] = False

    @field_validator("*", mode="before")
    @classmethod
    def _clean_text(cls, value: Any, info: ValidationInfo) -> Any:
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                problem = text_problem(item, free_text=info.field_name in cls.FREE_TEXT)
                if problem:
                    raise PydanticCustomError("text", problem)
        return value


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


# -- query strings ---------------------------------------------------------------------------------


class Paging(_Strict):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=10_000_000)


class DateRange(_Strict):
    date_from: ShopDay | None = Field(None, description="first shop-local day, YYYY-MM-DD")
    date_to: ShopDay | None = Field(
        None, description="last shop-local day (inclusive), YYYY-MM-DD; 400 when before date_from"
    )

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from is after date_to")
        return self


class OrderListQuery(Paging, DateRange):
    status: list[Annotated[str, StringConstraints(max_length=64)]] | None = Field(
        None, description="repeatable"
    )
    q: SearchText | None = Field(None, description="customer name, city or the shop's order number")
    sort: Literal["created_at", "-created_at", "total_amount", "-total_amount"] = "-created_at"


class StatsQuery(DateRange):
    pass


class ProductListQuery(Paging):
    q: SearchText | None = Field(None, description="name or brand")
    category: Annotated[str, StringConstraints(max_length=200)] | None = None
    hidden: bool | None = Field(None, description="true or false; both when absent")
    stock_status: StockStatus | None = None
    sort: Literal[
        "name",
        "-name",
        "price",
        "-price",
        "stock_quantity",
        "-stock_quantity",
        "days_to_zero",
        "-avg_daily_sales_30d",
        "-updated_at",
    ] = "name"


class TrendsQuery(_Strict):
    days: int = Field(90, ge=1, le=365)


class RunListQuery(Paging):
    resource: Literal["orders", "products"] | None = None
    status: Literal["running", "succeeded", "partial", "failed", "skipped"] | None = None


# -- request bodies --------------------------------------------------------------------------------


class StatusUpdate(_Strict):
    status: OrderStatus


class OrderUpdate(_Strict):
    """Any of the staff fields; `null` drops that field's edit."""

    FREE_TEXT = frozenset({"customer_address", "notes"})
    AT_LEAST_ONE = True

    status: OrderStatus | None = None
    customer_phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] | None = None
    customer_email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)] | None = None
    customer_address: StaffText | None = None
    tracking_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    notes: StaffText | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> OrderUpdate:
        if not self.model_fields_set:
            raise ValueError("name at least one field to change")
        return self


class StockUpdate(_Strict):
    stock_quantity: Quantity


class PriceUpdate(_Strict):
    price: MoneyIn


class CostUpdate(_Strict):
    cost: MoneyIn


class VisibilityUpdate(_Strict):
    hidden: Annotated[bool, Field(strict=True)]


class AnalyticsUpdate(_Strict):
    """Inputs (`min_stock`, `delivery_days`, `in_transit`) and overrides of computed values; `null`
    drops that field's edit."""

    AT_LEAST_ONE = True

    min_stock: Quantity | None = None
    delivery_days: DeliveryDays | None = None
    in_transit: Quantity | None = None
    avg_daily_sales_30d: (
        Annotated[
            Decimal,
            Field(ge=0, le=Decimal("999999999.999"), decimal_places=3, allow_inf_nan=False),
            WithJsonSchema(
                {
                    "anyOf": [
                        {"type": "number", "minimum": 0, "maximum": 999999999.999, "multipleOf": 0.001},
                        {"type": "string", "pattern": r"^\d{1,9}(\.\d{1,3})?$"},
                    ]
                },
                mode="validation",
            ),
        ]
        | None
    ) = None
    days_to_zero: DaysToZero | None = None
    recommended_qty: Quantity | None = None
    trend: Trend | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> AnalyticsUpdate:
        if not self.model_fields_set:
            raise ValueError("name at least one field to change")
        return self


# -- responses -------------------------------------------------------------------------------------


class Customer(BaseModel):
    name: str | None
    city: str | None
    telegram_id: int | None
    phone: str | None
    email: str | None
    address: str | None


class OrderItem(BaseModel):
    name: str
    quantity: int
    price: MoneyOut
    total: MoneyOut
    product_id: int | None


class Order(BaseModel):
    id: int
    external_id: int
    status: str
    upstream_status: str
    overridden: list[str]
    total_amount: MoneyOut
    delivery_cost: MoneyOut | None
    bonus: MoneyOut | None
    bank_card: str | None
    customer: Customer
    tracking_number: str | None
    notes: str | None
    created_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    deleted_upstream_at: datetime | None
    synced_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any], **extra: Any) -> Self:
        customer = Customer(
            name=row["customer_name"],
            city=row["customer_city"],
            telegram_id=row["customer_telegram_id"],
            phone=row["customer_phone"],
            email=row["customer_email"],
            address=row["customer_address"],
        )
        return cls(**{**row, **extra}, customer=customer)


class OrderSummary(Order):
    item_count: int


class OrderDetail(Order):
    items: list[OrderItem]


class StatusCount(BaseModel):
    status: str
    count: int
    revenue: MoneyOut


class DayTotal(BaseModel):
    date: date
    orders: int
    revenue: MoneyOut


class OrderStats(BaseModel):
    date_from: date | None
    date_to: date | None
    total_orders: int
    total_revenue: MoneyOut
    average_order_value: MoneyOut
    by_status: list[StatusCount]
    by_day: list[DayTotal]
    recent_orders: list[OrderSummary]


class ProductAnalytics(BaseModel):
    avg_daily_sales_30d: Decimal
    days_to_zero: int | None
    recommended_qty: int
    trend: Trend
    min_stock: int
    delivery_days: int
    in_transit: int
    stock_status: StockStatus
    last_sale_at: datetime | None
    computed: dict[str, Any] = Field(
        default_factory=dict, description="what the service computes, for each overridden value"
    )


class Product(BaseModel):
    id: int
    external_id: int
    name: str
    category: str | None
    brand: str | None
    description: str | None
    price: MoneyOut | None
    old_price: MoneyOut | None
    stock_quantity: int
    cost: MoneyOut | None
    margin: MoneyOut | None
    is_hidden: bool
    overridden: list[str]
    upstream: dict[str, Any] = Field(description="the shop's latest values of overridden fields")
    deleted_upstream_at: datetime | None
    synced_at: datetime
    updated_at: datetime
    analytics: ProductAnalytics

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Product:
        upstream = {
            field: (f"{row[column]:.2f}" if isinstance(row[column], Decimal) else row[column])
            for field, column in UPSTREAM_OF.items()
            if field in row["overridden"]
        }
        computed = {
            field: (str(row[column]) if isinstance(row[column], Decimal) else row[column])
            for field, column in COMPUTED_OF.items()
            if field in row["overridden"]
        }
        analytics = ProductAnalytics(
            **{name: row[name] for name in ProductAnalytics.model_fields if name != "computed"},
            computed=computed,
        )
        return cls(**row, upstream=upstream, analytics=analytics)


class TrendPoint(BaseModel):
    date: date
    sales_qty: int
    revenue: MoneyOut
    orders: int
    stock_level: int | None


class CategoryCount(BaseModel):
    name: str
    products: int


class Me(BaseModel):
    name: str = Field(description="the token's name, as edits record it")
    access: Literal["full", "read"] = Field(description="`read`: every write answers 403")
    shop_timezone: str = Field(description="the zone of the shop's days, e.g. Europe/Moscow")


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unreachable"]
