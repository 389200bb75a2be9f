"""Products: list, one product with its analytics, its trends, and the staff's edits."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import edits, stores, wiring
from chalicelib.errors import NotFoundError
from chalicelib.routes.auth import caller
from chalicelib.routes.http import api_route, parse_id
from chalicelib.routes.models.common import Page
from chalicelib.routes.models.products import (
    AnalyticsUpdate,
    CategoryCount,
    CostUpdate,
    PriceUpdate,
    Product,
    ProductListQuery,
    StockUpdate,
    TrendPoint,
    TrendsQuery,
    VisibilityUpdate,
)
from chalicelib.stores import products as store

product_routes = Blueprint(__name__)


@api_route(
    product_routes,
    "/api/products",
    summary="List products with their analytics",
    query=ProductListQuery,
    response=Page[Product],
    errors=(400,),
)
def list_products(request: Any, query: ProductListQuery) -> Page[Product]:
    with wiring.database().transaction() as conn:
        stores.read_one_snapshot(conn)
        total, rows = store.list_products(
            conn,
            q=query.q,
            category=query.category,
            hidden=query.hidden,
            stock_status=query.stock_status,
            sort=query.sort,
            limit=query.limit,
            offset=query.offset,
        )
    return Page[Product](
        items=[Product.from_row(r) for r in rows], total=total, limit=query.limit, offset=query.offset
    )


@api_route(
    product_routes,
    "/api/products/categories",
    summary="Categories with their number of products",
    response=list[CategoryCount],
)
def list_categories(request: Any) -> list[CategoryCount]:
    with wiring.database().transaction() as conn:
        rows = store.categories(conn)
    return [CategoryCount(**row) for row in rows]


@api_route(
    product_routes,
    "/api/products/{product_id}",
    summary="One product with its analytics",
    response=Product,
    errors=(400, 404),
)
def get_product(request: Any, product_id: str) -> Product:
    ident = parse_id(product_id, "product_id")
    with wiring.database().transaction() as conn:
        row = store.get_product(conn, ident)
    if row is None:
        raise NotFoundError(f"product {ident} does not exist")
    return Product.from_row(row)


@api_route(
    product_routes,
    "/api/products/{product_id}/trends",
    summary="Sales and stock per shop-local day",
    query=TrendsQuery,
    response=list[TrendPoint],
    errors=(400, 404),
)
def product_trends(request: Any, product_id: str, query: TrendsQuery) -> list[TrendPoint]:
    ident = parse_id(product_id, "product_id")
    with wiring.database().transaction() as conn:
        if not store.exists(conn, ident):
            raise NotFoundError(f"product {ident} does not exist")
        rows = store.trends(conn, ident, days=query.days, tz=str(wiring.settings().shop_timezone.key))
    return [TrendPoint(**row) for row in rows]


def _edit(request: Any, product_id: str, changes: dict[str, Any]) -> Product:
    row = edits.edit_product(
        wiring.database(),
        parse_id(product_id, "product_id"),
        changes,
        by=caller(request),
        zone=wiring.settings().shop_timezone,
    )
    return Product.from_row(row)


@api_route(
    product_routes,
    "/api/products/{product_id}/stock",
    method="PUT",
    summary="Set the stock (a staff edit)",
    body=StockUpdate,
    response=Product,
    errors=(400, 404, 413),
)
def put_stock(request: Any, product_id: str, body: StockUpdate) -> Product:
    return _edit(request, product_id, {"stock_quantity": body.stock_quantity})


@api_route(
    product_routes,
    "/api/products/{product_id}/price",
    method="PUT",
    summary="Set the price (a staff edit)",
    body=PriceUpdate,
    response=Product,
    errors=(400, 404, 413),
)
def put_price(request: Any, product_id: str, body: PriceUpdate) -> Product:
    return _edit(request, product_id, {"price": body.price})


@api_route(
    product_routes,
    "/api/products/{product_id}/cost",
    method="PUT",
    summary="Set the cost price",
    body=CostUpdate,
    response=Product,
    errors=(400, 404, 413),
)
def put_cost(request: Any, product_id: str, body: CostUpdate) -> Product:
    return _edit(request, product_id, {"cost": body.cost})


@api_route(
    product_routes,
    "/api/products/{product_id}/visibility",
    method="PUT",
    summary="Hide or show a product",
    body=VisibilityUpdate,
    response=Product,
    errors=(400, 404, 413),
)
def put_visibility(request: Any, product_id: str, body: VisibilityUpdate) -> Product:
    return _edit(request, product_id, {"is_hidden": body.hidden})


@api_route(
    product_routes,
    "/api/products/{product_id}/analytics",
    method="PUT",
    summary="Set analytics inputs or override computed values",
    body=AnalyticsUpdate,
    response=Product,
    errors=(400, 404, 413),
)
def put_analytics(request: Any, product_id: str, body: AnalyticsUpdate) -> Product:
    return _edit(request, product_id, body.model_dump(include=body.model_fields_set))


@api_route(
    product_routes,
    "/api/products/{product_id}/overrides/{field}",
    method="DELETE",
    summary="Drop a staff edit",
    path_values={"field": tuple(store.STAFF_FIELDS)},
    response=Product,
    errors=(400, 404),
)
def drop_override(request: Any, product_id: str, field: str) -> Product:
    parse_id(product_id, "product_id")
    if field not in store.STAFF_FIELDS:
        raise NotFoundError(f"no staff field {field!r}; one of {', '.join(store.STAFF_FIELDS)}")
    return _edit(request, product_id, {field: None})
