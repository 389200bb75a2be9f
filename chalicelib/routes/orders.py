"""Orders: list, stats, one order, and the staff's edits."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalice import Blueprint

from chalicelib import edits, stores, wiring
from chalicelib.errors import NotFoundError
from chalicelib.routes.auth import caller
from chalicelib.routes.http import api_route, parse_id
from chalicelib.routes.models.common import Page
from chalicelib.routes.models.orders import (
    OrderDetail,
    OrderListQuery,
    OrderStats,
    OrderSummary,
    OrderUpdate,
    StatsQuery,
    StatusUpdate,
)
from chalicelib.stores import analytics
from chalicelib.stores import orders as store

order_routes = Blueprint(__name__)


def _tz() -> str:
    return str(wiring.settings().shop_timezone.key)


@api_route(
    order_routes,
    "/api/orders",
    summary="List orders",
    query=OrderListQuery,
    response=Page[OrderSummary],
    errors=(400,),
)
def list_orders(request: Any, query: OrderListQuery) -> Page[OrderSummary]:
    filters = store.filter_params(
        statuses=query.status, date_from=query.date_from, date_to=query.date_to, q=query.q, tz=_tz()
    )
    with wiring.database().transaction() as conn:
        stores.read_one_snapshot(conn)
        total, rows = store.list_orders(
            conn, filters=filters, sort=query.sort, limit=query.limit, offset=query.offset
        )
    items = [OrderSummary.from_row(row) for row in rows]
    return Page[OrderSummary](items=items, total=total, limit=query.limit, offset=query.offset)


@api_route(
    order_routes,
    "/api/orders/stats",
    summary="Order stats for a range of shop-local days",
    query=StatsQuery,
    response=OrderStats,
    errors=(400,),
)
def order_stats(request: Any, query: StatsQuery) -> OrderStats:
    with wiring.database().transaction() as conn:
        stores.read_one_snapshot(conn)
        found = store.stats(
            conn,
            date_from=query.date_from,
            date_to=query.date_to,
            tz=_tz(),
            not_sales=list(analytics.NOT_SALES),
        )
    paying = found.pop("paying_orders")
    average = (found["total_revenue"] / paying).quantize(Decimal("0.01")) if paying else Decimal("0.00")
    return OrderStats(
        date_from=query.date_from,
        date_to=query.date_to,
        total_orders=found["total_orders"],
        total_revenue=Decimal(found["total_revenue"]),
        average_order_value=average,
        by_status=found["by_status"],
        by_day=found["by_day"],
        recent_orders=[OrderSummary.from_row(row) for row in found["recent_orders"]],
    )


@api_route(
    order_routes,
    "/api/orders/{order_id}",
    summary="One order with its items",
    response=OrderDetail,
    errors=(400, 404),
)
def get_order(request: Any, order_id: str) -> OrderDetail:
    ident = parse_id(order_id, "order_id")
    with wiring.database().transaction() as conn:
        row = store.get_order(conn, ident)
    if row is None:
        raise NotFoundError(f"order {ident} does not exist")
    return OrderDetail.from_row(row)


@api_route(
    order_routes,
    "/api/orders/{order_id}/status",
    method="PUT",
    summary="Set the order's status (a staff edit)",
    body=StatusUpdate,
    response=OrderDetail,
    errors=(400, 404, 413),
)
def put_status(request: Any, order_id: str, body: StatusUpdate) -> OrderDetail:
    return _edit(request, parse_id(order_id, "order_id"), {"status": body.status})


@api_route(
    order_routes,
    "/api/orders/{order_id}",
    method="PUT",
    summary="Change staff fields of an order",
    body=OrderUpdate,
    response=OrderDetail,
    errors=(400, 404, 413),
)
def put_order(request: Any, order_id: str, body: OrderUpdate) -> OrderDetail:
    return _edit(request, parse_id(order_id, "order_id"), body.model_dump(include=body.model_fields_set))


@api_route(
    order_routes,
    "/api/orders/{order_id}/overrides/{field}",
    method="DELETE",
    summary="Drop a staff edit: the shop's value shows again",
    path_values={"field": tuple(store.STAFF_FIELDS)},
    response=OrderDetail,
    errors=(400, 404),
)
def drop_override(request: Any, order_id: str, field: str) -> OrderDetail:
    ident = parse_id(order_id, "order_id")
    if field not in store.STAFF_FIELDS:
        raise NotFoundError(f"no staff field {field!r}; one of {', '.join(store.STAFF_FIELDS)}")
    return _edit(request, ident, {field: None})


def _edit(request: Any, order_id: int, changes: dict[str, Any]) -> OrderDetail:
    row = edits.edit_order(
        wiring.database(), order_id, changes, by=caller(request), zone=wiring.settings().shop_timezone
    )
    return OrderDetail.from_row(row)
