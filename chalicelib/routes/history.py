"""Timelines: every change of an order's or a product's values, the shop's and the staff's, newest
first (chalicelib/stores/history.py)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import wiring
from chalicelib.errors import NotFoundError
from chalicelib.routes.http import api_route, parse_id
from chalicelib.routes.models.common import Page
from chalicelib.routes.models.history import HistoryEvent, HistoryQuery
from chalicelib.stores import history

history_routes = Blueprint(__name__)


def _timeline(entity: str, ident: int, query: HistoryQuery) -> Page[HistoryEvent]:
    with wiring.database().transaction() as conn:
        found = history.timeline(conn, entity, ident, limit=query.limit, offset=query.offset)
    if found is None:
        raise NotFoundError(f"{entity} {ident} does not exist")
    total, rows = found
    return Page[HistoryEvent](
        items=[HistoryEvent.from_row(row) for row in rows],
        total=total,
        limit=query.limit,
        offset=query.offset,
    )


@api_route(
    history_routes,
    "/api/orders/{order_id}/history",
    summary="The order's timeline: the shop's changes, the staff's edits and reverts, newest first",
    query=HistoryQuery,
    response=Page[HistoryEvent],
    errors=(400, 404),
)
def order_history(request: Any, order_id: str, query: HistoryQuery) -> Page[HistoryEvent]:
    return _timeline("order", parse_id(order_id, "order_id"), query)


@api_route(
    history_routes,
    "/api/products/{product_id}/history",
    summary="The product's timeline: the shop's changes, the staff's edits and reverts, newest first",
    query=HistoryQuery,
    response=Page[HistoryEvent],
    errors=(400, 404),
)
def product_history(request: Any, product_id: str, query: HistoryQuery) -> Page[HistoryEvent]:
    return _timeline("product", parse_id(product_id, "product_id"), query)
