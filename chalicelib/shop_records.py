"""pydantic models of the shop's records, as docs/shop-api.md describes them, validated one by one.

They accept what the shop really sends (money as strings like "4250.0", `DD.MM.YYYY HH:mm:ss` times in
the shop's zone, nulls, stray whitespace, unknown extra fields) and reject what is broken (bad money or
dates, items with quantity <= 0, orders without items, absurd numbers). Validate with
`validation_context(zone)` so shop times get their zone.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
)
from pydantic_core import PydanticCustomError

from chalicelib.json_numbers import OutOfRange
from chalicelib.problems import problem

MAX_MONEY = Decimal("999999999999.99")  # what NUMERIC(14, 2) holds


def validation_context(zone: ZoneInfo) -> dict[str, Any]:
    return {"zone": zone}


# -- what a record must be before anything else looks at it ----------------------------------------
# The text rule: every string the shop sends, keys and values at any depth, must be text PostgreSQL
# can hold: no NUL (text columns refuse it) and no lone surrogate (a JSON escape such as "\ud800"
# with no partner is valid JSON, but not Unicode, and cannot be encoded as UTF-8).
# The number bound: no number beyond what `json_numbers` reads (an `OutOfRange` in the record).
# A record breaking either is quarantined with the place and the reason, and costs that record
# alone; its payload is kept with U+FFFD in place of each such character. The listing's reader looks
# for them only in records whose JSON text holds such an escape (one regex; emoji written as
# surrogate pairs match too) or such a number: the walk below runs for those alone.
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")
SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


def _not_text(value: str) -> str | None:
    found = _NOT_TEXT.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "holds NUL (U+0000), which is not stored as text"
    return f"holds a lone surrogate (U+{ord(found.group()):04X}), which is not Unicode text"


def record_problem(value: Any, where: str = "") -> dict[str, Any] | None:
    """Where and why `value` (a record as parsed from JSON) breaks the text rule or the number
    bound, as a detail (`chalicelib.problems`: type `text`, `text_key` or `number_out_of_range`),
    or None."""
    if isinstance(value, str):
        found = _not_text(value)
        return problem(where or None, "text", found) if found else None
    if isinstance(value, OutOfRange):
        return problem(where or None, "number_out_of_range", f"the number {value} is out of range")
    if isinstance(value, dict):
        for key, item in value.items():
            place = f"{where}.{storable(key)}" if where else storable(key)
            found = _not_text(key) if isinstance(key, str) else None
            if found:
                return problem(place, "text_key", found)
            inner = record_problem(item, place)
            if inner:
                return inner
    elif isinstance(value, list):
        for index, item in enumerate(value):
            inner = record_problem(item, f"{where}.{index}" if where else str(index))
            if inner:
                return inner
    return None


def storable(value: Any) -> Any:
    """`value` with U+FFFD in place of every NUL and lone surrogate, keys included: what is kept of a
    quarantined record, and of any other text from the shop that is stored (a reason, an id)."""
    if isinstance(value, str):
        return _NOT_TEXT.sub("\ufffd", value)
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value


def _collapse_spaces(value: Any) -> Any:
    """Customers' names arrive as "  Иван  Петров ": trim and collapse the whitespace."""
    if isinstance(value, str):
        return " ".join(value.split())
    return value


def parse_shop_time(value: Any, zone: ZoneInfo) -> datetime | None:
    """`05.06.2025 21:31:26` in the shop's zone, or ISO 8601 (naive means the shop's zone)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PydanticCustomError("shop_time", "must be a time like 05.06.2025 21:31:26")
    text = value.strip()
    try:
        if len(text) == 19 and text[2] == "." and text[5] == "." and text[10] == " ":
            parsed = datetime(
                int(text[6:10]), int(text[3:5]), int(text[0:2]),
                int(text[11:13]), int(text[14:16]), int(text[17:19]),
            )  # fmt: skip
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise PydanticCustomError("shop_time", "is not a time like 05.06.2025 21:31:26") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    if not 2000 <= parsed.year <= 2100:
        raise PydanticCustomError("shop_time_range", "is not between the years 2000 and 2100")
    return parsed


def _shop_time(value: Any, info: ValidationInfo) -> datetime | None:
    zone = (info.context or {}).get("zone") or ZoneInfo("Europe/Moscow")
    return parse_shop_time(value, zone)


Money = Annotated[Decimal, Field(ge=0, le=MAX_MONEY, decimal_places=2, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=1_000_000_000)]
# Text is trimmed, and refused when it holds NUL (PostgreSQL text cannot): checked natively in
# pydantic-core, since a first sync validates millions of strings.
_NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000, pattern=_NO_NUL)] | None
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=_NO_NUL)]
PersonText = (
    Annotated[str, BeforeValidator(_collapse_spaces), StringConstraints(max_length=500, pattern=_NO_NUL)]
    | None
)
ShopTime = Annotated[datetime | None, BeforeValidator(_shop_time)]
RequiredShopTime = Annotated[datetime, BeforeValidator(_shop_time)]


class _Record(BaseModel):
    # Unknown fields are ignored (the shop may add some); integers are not taken from floats.
    model_config = ConfigDict(extra="ignore", frozen=True)


class ShopUser(_Record):
    id: int | None = None
    full_name: PersonText = None
    city: PersonText = None


class ShopOrderItem(_Record):
    name: Name
    quantity: Annotated[int, Field(gt=0, le=100_000)]
    price: Money


class ShopOrder(_Record):
    id: Annotated[int, Field(gt=0, le=2**62)]
    status: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=_NO_NUL)
    ]
    total_amount: Money
    bonus: Money | None = None
    delivery_cost: Money | None = None
    bank_card: Text = None
    created_at: RequiredShopTime
    paid_at: ShopTime = None
    shipped_at: ShopTime = None
    user: ShopUser | None = None
    order_items: Annotated[list[ShopOrderItem], Field(min_length=1, max_length=1000)]


class ShopCategory(_Record):
    """A record of the products listing that is a category (or the root), not a product."""

    id: Annotated[int, Field(gt=0, le=2**62)]
    name: Name


class ShopProduct(_Record):
    id: Annotated[int, Field(gt=0, le=2**62)]
    name: Name
    description: Text = None
    price: Money | None = None
    old_price: Money | None = None
    stock_quantity: Count
    brand: Text = None
    main_ingredient: Text = None
    dosage_form: Text = None
    weight: Text = None
    package_quantity: Count | None = None
    created_at: ShopTime = None
    updated_at: ShopTime = None
    deleted_at: ShopTime = None


def ancestry_path(ancestry: Any) -> list[str]:
    """`"1/5"` -> ["1", "5"]; None (or anything not a string) -> []."""
    if not isinstance(ancestry, str):
        return []
    return [part.strip() for part in ancestry.split("/") if part.strip()]


def record_id(part: str) -> int | None:
    """An ancestry part as a record id, when it is a plain number."""
    return int(part) if part.isascii() and part.isdigit() and len(part) <= 18 else None
