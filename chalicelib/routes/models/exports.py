"""Exports: which file, in which language, and each list's own filters."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from chalicelib.routes.models.orders import OrderFilters
from chalicelib.routes.models.products import ProductFilters
from chalicelib.routes.models.profit import ProfitQuery
from chalicelib.routes.models.text import RequestModel
from chalicelib.stores.profit import PRODUCT_SORTS


class FileChoice(RequestModel):
    format: Literal["csv", "xlsx"] = Field(
        "csv", description="csv: UTF-8 with BOM, `;`, decimal comma (Russian Excel); xlsx: Excel's own"
    )
    lang: Literal["ru", "en"] = Field("ru", description="the language of the column titles and of labels")


class OrdersExportQuery(FileChoice, OrderFilters):
    pass


class ProductsExportQuery(FileChoice, ProductFilters):
    pass


class PurchasingExportQuery(FileChoice):
    category: Annotated[str, StringConstraints(max_length=200)] | None = None
    qty: list[Annotated[str, StringConstraints(pattern=r"^\d{1,18}:\d{1,9}$")]] | None = Field(
        None,
        max_length=2000,
        description="repeatable, `<product_id>:<quantity>`: this order's quantity of a line instead of"
        " the recommended one (as the purchasing page sends what was changed there)",
    )


class ProfitExportQuery(FileChoice, ProfitQuery):
    table: Literal["periods", "categories", "products"] = "periods"
    category: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        None, description="products only"
    )
    sort: Literal[tuple(PRODUCT_SORTS)] = "-gross_profit"  # type: ignore[valid-type]
