"""Purchasing: what to order now, how much, and what it costs."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import stores, wiring
from chalicelib.routes.http import api_route
from chalicelib.routes.models.purchasing import PurchaseLine, PurchaseTotals, PurchasingList, PurchasingQuery
from chalicelib.stores import purchasing as store

purchasing_routes = Blueprint(__name__)


@api_route(
    purchasing_routes,
    "/api/purchasing",
    summary="Products to order now, most urgent first, with the order's totals",
    query=PurchasingQuery,
    response=PurchasingList,
    errors=(400,),
)
def purchasing_list(request: Any, query: PurchasingQuery) -> PurchasingList:
    with wiring.database().transaction() as conn:
        stores.read_one_snapshot(conn)
        totals, lines = store.purchasing_list(
            conn, category=query.category, limit=query.limit, offset=query.offset
        )
    return PurchasingList(
        totals=PurchaseTotals(**totals),
        items=[PurchaseLine.from_row(row) for row in lines],
        limit=query.limit,
        offset=query.offset,
    )
