"""Profit: revenue, cost of goods at the time of sale, gross profit and margin over shop-local days,
by period, product and category; each with the share of its revenue of no known cost."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from chalice import Blueprint

from chalicelib import stores, wiring
from chalicelib.routes.http import api_route
from chalicelib.routes.models.profit import (
    CategoryFigures,
    Figures,
    PeriodFigures,
    ProductFigures,
    ProductTotals,
    ProfitByCategory,
    ProfitByProduct,
    ProfitProductsQuery,
    ProfitQuery,
    ProfitRange,
    ProfitReport,
)
from chalicelib.stores import profit as store

profit_routes = Blueprint(__name__)


def _today() -> date:
    return datetime.now(wiring.settings().shop_timezone).date()


@api_route(
    profit_routes,
    "/api/profit",
    summary="Revenue, cost of goods, gross profit and margin per day, week or month",
    query=ProfitQuery,
    response=ProfitReport,
    errors=(400,),
)
def profit_by_period(request: Any, query: ProfitQuery) -> ProfitReport:
    first, last = query.days(_today())
    with wiring.database().transaction() as conn:
        stores.read_one_snapshot(conn)
        rows = store.by_period(conn, date_from=first, date_to=last, group=query.group)
    sums = {key: sum((row[key] for row in rows), start=0) for key in ("revenue", "cogs", "uncosted_revenue")}
    return ProfitReport(
        date_from=first,
        date_to=last,
        group=query.group,
        totals=Figures.from_row(sums),
        periods=[
            PeriodFigures.from_row(
                row,
                start=row["start"],
                first_day=row["first_day"],
                last_day=row["last_day"],
                orders=row["orders"],
            )
            for row in rows
        ],
    )


@api_route(
    profit_routes,
    "/api/profit/products",
    summary="Profit per product sold in the range",
    query=ProfitProductsQuery,
    response=ProfitByProduct,
    errors=(400,),
)
def profit_by_product(request: Any, query: ProfitProductsQuery) -> ProfitByProduct:
    first, last = query.days(_today())
    with wiring.database().transaction() as conn:
        stores.read_one_snapshot(conn)
        totals, sold, rows = store.by_product(
            conn,
            date_from=first,
            date_to=last,
            category=query.category,
            sort=query.sort,
            limit=query.limit,
            offset=query.offset,
        )
        unmatched = store.unmatched(conn, date_from=first, date_to=last, sold=sold)
    return ProfitByProduct(
        date_from=first,
        date_to=last,
        totals=ProductTotals.from_row(totals, products=totals["products"], units=totals["units"]),
        unmatched=Figures.from_row(unmatched),
        items=[
            ProductFigures.from_row(
                row,
                product_id=row["product_id"],
                name=row["name"],
                category=row["category"],
                units=row["units"],
            )
            for row in rows
        ],
        total=totals["products"],
        limit=query.limit,
        offset=query.offset,
    )


@api_route(
    profit_routes,
    "/api/profit/categories",
    summary="Profit per category of the products sold in the range",
    query=ProfitRange,
    response=ProfitByCategory,
    errors=(400,),
)
def profit_by_category(request: Any, query: ProfitRange) -> ProfitByCategory:
    first, last = query.days(_today())
    with wiring.database().transaction() as conn:
        stores.read_one_snapshot(conn)
        rows = store.by_category(conn, date_from=first, date_to=last)
        unmatched = store.unmatched(conn, date_from=first, date_to=last, sold=store.sold_in(rows))
    return ProfitByCategory(
        date_from=first,
        date_to=last,
        items=[
            CategoryFigures.from_row(
                row, category=row["category"], products=row["products"], units=row["units"]
            )
            for row in rows
        ],
        unmatched=Figures.from_row(unmatched),
    )
