"""Products: the list's query, the trends' range, the staff's edits and analytics inputs, and what is
answered."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from chalicelib.routes.models.common import (
    DaysToZero,
    DeliveryDays,
    MoneyIn,
    MoneyOut,
    Paging,
    Quantity,
    SearchText,
)
from chalicelib.routes.models.text import RequestModel
from chalicelib.stores.products import COMPUTED_OF, UPSTREAM_OF

Trend = Literal["growing", "falling", "stable"]


StockStatus = Literal["critical", "warning", "normal"]
AbcClass = Literal["A", "B", "C"]


class ProductFilters(RequestModel):
    """What selects and orders the products list (and its export)."""

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


class ProductListQuery(Paging, ProductFilters):
    pass


class TrendsQuery(RequestModel):
    days: int = Field(90, ge=1, le=365)


class StockUpdate(RequestModel):
    stock_quantity: Quantity


class PriceUpdate(RequestModel):
    price: MoneyIn


class CostUpdate(RequestModel):
    cost: MoneyIn


class VisibilityUpdate(RequestModel):
    hidden: Annotated[bool, Field(strict=True)]


class AnalyticsUpdate(RequestModel):
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
    service_level: (
        Annotated[
            Decimal,
            Field(ge=50, lt=100, decimal_places=1, allow_inf_nan=False),
            WithJsonSchema(
                {
                    "anyOf": [
                        {"type": "number", "minimum": 50, "exclusiveMaximum": 100, "multipleOf": 0.1},
                        {"type": "string", "pattern": r"^(5|6|7|8|9)\d(\.\d)?$"},
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


class AnalyticsDefaults(BaseModel):
    min_stock: int
    delivery_days: int
    in_transit: int
    service_level: Decimal = Field(description="percent; by the product's ABC class (A 95, B 90, C 85)")


class Recommendation(BaseModel):
    """How the computed `recommended_qty` is reached: demand × (delivery_days + cover_days) +
    safety_stock + min_stock − stock − in_transit, rounded up, never below 0; safety_stock =
    z × sigma × √delivery_days, z the normal quantile of the service level."""

    demand: Decimal = Field(description="units a day in force (the staff's, or the estimate)")
    demand_days: int
    sigma: Decimal | None = Field(description="spread of the daily demand over those days; null: no estimate")
    service_level: Decimal
    z: Decimal
    safety_stock: int
    delivery_days: int
    cover_days: int
    min_stock: int
    stock: int
    in_transit: int
    quantity: int = Field(description="the computed recommended quantity")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Recommendation:
        """From a row of `product_view`'s columns (stores/products.py, PRODUCT_COLUMNS)."""
        return cls(
            demand=row["avg_daily_sales_30d"], demand_days=row["demand_days"], sigma=row["demand_sigma"],
            service_level=row["service_level"], z=row["service_z"], safety_stock=row["safety_stock"],
            delivery_days=row["delivery_days"], cover_days=row["cover_days"], min_stock=row["min_stock"],
            stock=row["stock_quantity"], in_transit=row["in_transit"],
            quantity=row["computed_recommended_qty"],
        )  # fmt: skip


class ProductAnalytics(BaseModel):
    avg_daily_sales_30d: Decimal = Field(
        description="units a day over the last 30 days' days in stock (`demand_days`); 0 without an estimate"
    )
    demand_days: int = Field(
        description="days of the last 30 the product could be bought since it is known (days out of stock"
        " left out): what the average counts"
    )
    demand_estimated: bool = Field(
        description="false: too few such days for an estimate (the computed average is then 0)"
    )
    days_to_zero: int | None
    recommended_qty: int
    trend: Trend
    abc_class: AbcClass | None = Field(
        description="by revenue over the last 90 days: A makes the first 80%, B the next 15%, C the rest;"
        " null until first computed"
    )
    min_stock: int
    delivery_days: int
    in_transit: int
    service_level: Decimal = Field(description="percent, for the safety stock: the staff's, or by ABC class")
    stock_status: StockStatus
    last_sale_at: datetime | None
    computed: dict[str, Any] = Field(
        default_factory=dict, description="what the service computes, for each overridden value"
    )
    defaults: AnalyticsDefaults = Field(description="the inputs' values when the staff set none")
    recommendation: Recommendation = Field(description="the parts of the computed recommended_qty")


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
        defaults = AnalyticsDefaults(
            **{name: row[f"default_{name}"] for name in AnalyticsDefaults.model_fields}
        )
        recommendation = Recommendation.from_row(row)
        analytics = ProductAnalytics(
            **{
                name: row[name]
                for name in ProductAnalytics.model_fields
                if name not in ("computed", "defaults", "recommendation")
            },
            computed=computed,
            defaults=defaults,
            recommendation=recommendation,
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
