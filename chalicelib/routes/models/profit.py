"""Profit: the range asked, and the figures of a period, a product or a category.

Every set of figures says how much of its revenue has no known cost (`uncosted_revenue` and its share):
the profit and the margin are those of the rest, never the uncosted goods counted at cost 0.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.routes.models.common import DateRange, MoneyOut, Paging, ShopDay
from chalicelib.stores.profit import PRODUCT_SORTS, Group

MAX_RANGE_DAYS = 3660  # ten years a request
DEFAULT_DAYS = 30


class ProfitRange(DateRange):
    """`date_from`, `date_to`: shop-local days, both included; by default the last 30 days to today."""

    date_to: ShopDay | None = Field(
        None,
        description=f"last shop-local day (inclusive), YYYY-MM-DD; 400 when before date_from or more than"
        f" {MAX_RANGE_DAYS} days after it",
    )

    @model_validator(mode="after")
    def _bounded(self) -> ProfitRange:
        if self.date_from and self.date_to and (self.date_to - self.date_from).days >= MAX_RANGE_DAYS:
            raise PydanticCustomError("range_too_long", "at most {le} days at a time", {"le": MAX_RANGE_DAYS})
        return self

    def days(self, today: date) -> tuple[date, date]:
        """The range in force: what was asked, the rest from `today` (the shop's)."""
        last = self.date_to or (
            min(today, self.date_from + timedelta(days=DEFAULT_DAYS - 1)) if self.date_from else today
        )
        first = self.date_from or last - timedelta(days=DEFAULT_DAYS - 1)
        return first, last


class ProfitQuery(ProfitRange):
    group: Group = Field("day", description="periods of a day, a week (from Monday) or a month")


class ProfitProductsQuery(ProfitRange, Paging):
    category: Annotated[str, StringConstraints(max_length=200)] | None = None
    sort: Literal[tuple(PRODUCT_SORTS)] = "-gross_profit"  # type: ignore[valid-type]


PERCENT = Decimal("0.1")


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return None if not whole else (100 * part / whole).quantize(PERCENT, rounding=ROUND_HALF_UP)


class Figures(BaseModel):
    revenue: MoneyOut = Field(description="the goods sold: their items' totals")
    uncosted_revenue: MoneyOut = Field(
        description="of which goods of no known cost: no cost in force when sold, or matched to no product"
    )
    uncosted_share: Decimal | None = Field(
        description="uncosted_revenue as a percent of revenue; null: no revenue"
    )
    costed_revenue: MoneyOut = Field(description="revenue − uncosted_revenue")
    cogs: MoneyOut = Field(
        description="cost of goods: quantity × the cost in force when the order was created"
    )
    gross_profit: MoneyOut = Field(description="costed_revenue − cogs")
    margin: Decimal | None = Field(description="gross_profit as a percent of costed_revenue; null: none")

    @staticmethod
    def of(revenue: Decimal, cogs: Decimal, uncosted_revenue: Decimal) -> dict[str, Any]:
        costed = revenue - uncosted_revenue
        profit = costed - cogs
        return {
            "revenue": revenue,
            "uncosted_revenue": uncosted_revenue,
            "uncosted_share": percent(uncosted_revenue, revenue),
            "costed_revenue": costed,
            "cogs": cogs,
            "gross_profit": profit,
            "margin": percent(profit, costed),
        }

    @classmethod
    def from_row(cls, row: dict[str, Any], **extra: Any) -> Any:
        return cls(**extra, **Figures.of(row["revenue"], row["cogs"], row["uncosted_revenue"]))


class PeriodFigures(Figures):
    start: date = Field(description="the period's first day (a Monday, a 1st), perhaps before the range")
    first_day: date = Field(description="its first day in the range")
    last_day: date = Field(description="its last day in the range")
    orders: int = Field(description="sales orders")


class ProfitReport(BaseModel):
    date_from: date
    date_to: date
    group: Group
    totals: Figures
    periods: list[PeriodFigures] = Field(description="every period of the range, oldest first")


class ProductFigures(Figures):
    product_id: int
    name: str
    category: str | None
    units: int


class CategoryFigures(Figures):
    category: str | None = Field(description="null: products without a category")
    products: int = Field(description="products of it sold in the range")
    units: int


class ProductTotals(Figures):
    products: int
    units: int


class ProfitByProduct(BaseModel):
    date_from: date
    date_to: date
    totals: ProductTotals = Field(description="the sums of every product sold in the range (in the category)")
    unmatched: Figures = Field(
        description="goods sold that were matched to no product (their cost is unknown); all categories"
    )
    items: list[ProductFigures]
    total: int
    limit: int
    offset: int


class ProfitByCategory(BaseModel):
    date_from: date
    date_to: date
    items: list[CategoryFigures]
    unmatched: Figures = Field(description="goods sold that were matched to no product")
