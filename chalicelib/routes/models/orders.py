"""Orders: the list's query, the stats' range, the staff's edits, and what is answered."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from chalicelib.routes.models.common import (
    DateRange,
    MoneyOut,
    Paging,
    SearchText,
    StaffText,
)
from chalicelib.routes.models.text import RequestModel

OrderStatus = Literal[
    "unpaid", "paid", "processing", "shipped", "delivered", "cancelled", "overdue", "refunded"
]


ORDER_STATUSES: tuple[str, ...] = OrderStatus.__args__  # type: ignore[attr-defined]

# An e-mail address as people write one: a name, @, a domain with a dot; no space, and no control
# character (the text rule's, written into the pattern so that the description says it too). The
# spaces and controls are listed, not `\s`: Python's `\s` takes U+0085 and U+001C-U+001F, a JSON
# Schema's (ECMAScript's) takes U+FEFF, and the description must refuse exactly what the API refuses
# (Schemathesis found an address with U+0085 that the description allowed and the API refused).
_NOT_IN_EMAIL = r"@\x00-\x20\x7f-\x9f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
EMAIL_PATTERN = rf"^[^{_NOT_IN_EMAIL}]+@[^{_NOT_IN_EMAIL}]+\.[^{_NOT_IN_EMAIL}]+$"
_EMAIL = re.compile(EMAIL_PATTERN)


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):  # not match: its `$` would let a final newline through
        raise PydanticCustomError("email", "not an e-mail address: write it as name@example.com")
    return value


Email = Annotated[
    str,
    StringConstraints(max_length=254),  # not stripped: the pattern refuses a space anywhere, as it says
    AfterValidator(_email),
    WithJsonSchema({"type": "string", "maxLength": 254, "pattern": EMAIL_PATTERN}, mode="validation"),
]


class OrderFilters(DateRange):
    """What selects and orders the orders list (and its export)."""

    status: list[Annotated[str, StringConstraints(max_length=64)]] | None = Field(
        None, description="repeatable"
    )
    q: SearchText | None = Field(None, description="customer name, city or the shop's order number")
    sort: Literal["created_at", "-created_at", "total_amount", "-total_amount"] = "-created_at"


class OrderListQuery(Paging, OrderFilters):
    pass


class StatsQuery(DateRange):
    pass


class StatusUpdate(RequestModel):
    status: OrderStatus


class OrderUpdate(RequestModel):
    """Any of the staff fields; `null` drops that field's edit."""

    FREE_TEXT = frozenset({"customer_address", "notes"})
    AT_LEAST_ONE = True

    status: OrderStatus | None = None
    customer_phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] | None = None
    customer_email: Email | None = None
    customer_address: StaffText | None = None
    tracking_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    notes: StaffText | None = None


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
