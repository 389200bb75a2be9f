"""Reading products for the API, from `product_view` (effective values and analytics)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chalicelib.db import Connection, rows_as_dicts
from chalicelib.stores import contains_pattern, streamed

# API field -> (table, staff column). Product fields live in `products`, analytics in `product_analytics`.
STAFF_FIELDS = {
    "price": ("products", "staff_price"),
    "stock_quantity": ("products", "staff_stock_quantity"),
    "cost": ("products", "staff_cost"),
    "is_hidden": ("products", "staff_is_hidden"),
    "min_stock": ("product_analytics", "staff_min_stock"),
    "delivery_days": ("product_analytics", "staff_delivery_days"),
    "in_transit": ("product_analytics", "staff_in_transit"),
    "avg_daily_sales_30d": ("product_analytics", "staff_avg_daily_sales_30d"),
    "days_to_zero": ("product_analytics", "staff_days_to_zero"),
    "recommended_qty": ("product_analytics", "staff_recommended_qty"),
    "trend": ("product_analytics", "staff_trend"),
    "service_level": ("product_analytics", "staff_service_level"),
}
UPSTREAM_OF = {"price": "upstream_price", "stock_quantity": "upstream_stock_quantity"}
# Analytics the service computes and the staff may override -> the view's computed column.
COMPUTED_OF = {
    "avg_daily_sales_30d": "computed_avg_daily_sales_30d",
    "days_to_zero": "computed_days_to_zero",
    "recommended_qty": "computed_recommended_qty",
    "trend": "computed_trend",
}

PRODUCT_COLUMNS = f"""
    p.id, p.external_id, p.name, p.category, p.brand, p.description, p.price, p.upstream_old_price AS old_price,
    p.stock_quantity, p.cost, p.margin, p.is_hidden, p.deleted_upstream_at, p.synced_at, p.updated_at,
    p.upstream_price, p.upstream_stock_quantity,
    p.avg_daily_sales_30d, p.days_to_zero, p.recommended_qty, p.trend, p.min_stock, p.delivery_days,
    p.in_transit, p.stock_status, p.last_sale_at,
    p.computed_avg_daily_sales_30d, p.computed_trend, p.computed_days_to_zero, p.computed_recommended_qty,
    p.default_min_stock, p.default_delivery_days, p.default_in_transit, p.demand_days, p.demand_estimated,
    p.abc_class, p.service_level, p.default_service_level, p.service_z, p.demand_sigma, p.safety_stock,
    p.cover_days,
    array_remove(ARRAY[{", ".join(f"CASE WHEN p.{column} IS NOT NULL THEN '{field}' END" for field, (_, column) in STAFF_FIELDS.items())}], NULL)
        AS overridden
"""  # noqa: E501 (generated from constants above)

FILTERS = """
    (CAST(:pattern AS text) IS NULL OR (p.name || ' ' || coalesce(p.brand, '')) ILIKE :pattern)
    AND (CAST(:category AS text) IS NULL OR p.category = :category)
    AND (CAST(:hidden AS boolean) IS NULL OR p.is_hidden = :hidden)
    AND (CAST(:stock_status AS text) IS NULL OR p.stock_status = :stock_status)
"""

SORTS = {
    "name": "lower(p.name) ASC, p.id ASC",
    "-name": "lower(p.name) DESC, p.id DESC",
    "price": "p.price ASC NULLS LAST, p.id ASC",
    "-price": "p.price DESC NULLS LAST, p.id DESC",
    "stock_quantity": "p.stock_quantity ASC, p.id ASC",
    "-stock_quantity": "p.stock_quantity DESC, p.id DESC",
    "days_to_zero": "p.days_to_zero ASC NULLS LAST, p.id ASC",
    "-avg_daily_sales_30d": "p.avg_daily_sales_30d DESC, p.id ASC",
    "-updated_at": "p.updated_at DESC, p.id DESC",
}

TRENDS = """
WITH days AS (
    SELECT generate_series((now() AT TIME ZONE :tz)::date - (:days - 1), (now() AT TIME ZONE :tz)::date,
                           interval '1 day')::date AS date
)
SELECT d.date, coalesce(t.sales_qty, 0) AS sales_qty, coalesce(t.revenue, 0) AS revenue,
       coalesce(t.orders, 0) AS orders, t.stock_level
FROM days d
LEFT JOIN product_trends t ON t.product_id = :id AND t.day = d.date
ORDER BY d.date
"""


def filter_params(
    *, q: str | None, category: str | None, hidden: bool | None, stock_status: str | None
) -> dict[str, Any]:
    return {
        "pattern": contains_pattern(q),
        "category": category,
        "hidden": hidden,
        "stock_status": stock_status,
    }


def count_products(conn: Connection, params: dict[str, Any]) -> int:
    return int(conn.run(f"SELECT count(*) FROM product_view p WHERE {FILTERS}", **params)[0][0])


def export_products(conn: Connection, *, params: dict[str, Any], sort: str) -> Iterator[dict[str, Any]]:
    """Every product the filters select, in the list's order: a batch at a time."""
    return streamed(
        conn, f"SELECT {PRODUCT_COLUMNS} FROM product_view p WHERE {FILTERS} ORDER BY {SORTS[sort]}", **params
    )


def list_products(
    conn: Connection,
    *,
    q: str | None,
    category: str | None,
    hidden: bool | None,
    stock_status: str | None,
    sort: str,
    limit: int,
    offset: int,
) -> tuple[int, list[dict[str, Any]]]:
    params = filter_params(q=q, category=category, hidden=hidden, stock_status=stock_status)
    total = count_products(conn, params)
    sql = f"""
        SELECT {PRODUCT_COLUMNS} FROM product_view p WHERE {FILTERS}
        ORDER BY {SORTS[sort]} LIMIT :limit OFFSET :offset
    """
    return int(total), rows_as_dicts(conn, conn.run(sql, limit=limit, offset=offset, **params))


def get_product(conn: Connection, product_id: int) -> dict[str, Any] | None:
    rows = conn.run(f"SELECT {PRODUCT_COLUMNS} FROM product_view p WHERE p.id = :id", id=product_id)
    found = rows_as_dicts(conn, rows)
    return found[0] if found else None


def exists(conn: Connection, product_id: int) -> bool:
    return bool(conn.run("SELECT 1 FROM products WHERE id = :id", id=product_id))


def trends(conn: Connection, product_id: int, *, days: int, tz: str) -> list[dict[str, Any]]:
    return rows_as_dicts(conn, conn.run(TRENDS, id=product_id, days=days, tz=tz))


CATEGORIES = """
SELECT category AS name, count(*) AS products
FROM products
WHERE category IS NOT NULL
GROUP BY category
ORDER BY lower(category), category
"""


def categories(conn: Connection) -> list[dict[str, Any]]:
    """Each category with the number of products that carry it (for a filter)."""
    return rows_as_dicts(conn, conn.run(CATEGORIES))
