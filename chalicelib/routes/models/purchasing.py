"""The purchasing list: its query, its lines and the order's totals."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from chalicelib.routes.models.common import MoneyOut
from chalicelib.routes.models.products import AbcClass, Recommendation, StockStatus
from chalicelib.routes.models.text import RequestModel


class PurchasingQuery(RequestModel):
    category: Annotated[str, StringConstraints(max_length=200)] | None = None
    limit: int = Field(500, ge=1, le=2000)
    offset: int = Field(0, ge=0, le=10_000_000)


class PurchaseLine(BaseModel):
    product_id: int
    name: str
    category: str | None
    abc_class: AbcClass | None
    stock_status: StockStatus
    stock_quantity: int
    in_transit: int
    demand: Decimal = Field(description="units a day in force (the staff's, or the estimate)")
    demand_days: int
    demand_estimated: bool = Field(description="false: too few days in stock for an estimate")
    demand_overridden: bool = Field(description="the demand is the staff's value")
    days_to_zero: int | None = Field(description="days of stock left at that demand; null without demand")
    delivery_days: int
    days_to_spare: int | None = Field(
        description="days_to_zero − delivery_days: below 0, the product runs out before a delivery arrives"
    )
    recommended_qty: int = Field(description="the staff's override, or the computed quantity")
    recommended_overridden: bool
    cost: MoneyOut | None = Field(description="cost per unit; null: not entered")
    line_cost: MoneyOut | None = Field(description="recommended_qty × cost; null without a cost")
    recommendation: Recommendation = Field(description="how the computed quantity is reached")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> PurchaseLine:
        return cls(
            product_id=row["id"], name=row["name"], category=row["category"], abc_class=row["abc_class"],
            stock_status=row["stock_status"], stock_quantity=row["stock_quantity"],
            in_transit=row["in_transit"], demand=row["avg_daily_sales_30d"],
            demand_days=row["demand_days"], demand_estimated=row["demand_estimated"],
            demand_overridden="avg_daily_sales_30d" in row["overridden"],
            days_to_zero=row["days_to_zero"], delivery_days=row["delivery_days"],
            days_to_spare=row["days_to_spare"], recommended_qty=row["recommended_qty"],
            recommended_overridden="recommended_qty" in row["overridden"], cost=row["cost"],
            line_cost=row["line_cost"], recommendation=Recommendation.from_row(row),
        )  # fmt: skip


class PurchaseTotals(BaseModel):
    lines: int = Field(description="products on the whole list")
    units: int = Field(description="sum of the recommended quantities")
    cost: MoneyOut = Field(description="sum of the line costs that are known")
    lines_without_cost: int = Field(description="lines to order with no cost entered: not in `cost`")


class PurchasingList(BaseModel):
    totals: PurchaseTotals
    items: list[PurchaseLine] = Field(description="the lines of this page, most urgent first")
    limit: int
    offset: int
