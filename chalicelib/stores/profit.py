"""Profit over shop-local days: revenue, cost of goods and the revenue of no known cost, by period,
product and category (docs/analytics.md, "Profit").

Everything sums the per-day tables, which keep each order's goods at the cost in force when it was
created (`product_cost_periods`, migration 0011): `order_daily_stats` per day and status (what the
periods read: a year is a few thousand rows), `product_trends` per product and day. Sales are the
orders the shop still lists whose effective status is not cancelled or refunded, as everywhere.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from chalicelib.db import Connection, rows_as_dicts
from chalicelib.stores.analytics import NOT_SALES

Group = Literal["day", "week", "month"]

# Each period of the range (weeks from Monday, months from the 1st; the first and the last cut to
# the range), with its sums; a period without sales has zeros.
BY_PERIOD = """
WITH periods AS (
    SELECT g::date AS start
    FROM generate_series(date_trunc(:unit, CAST(:date_from AS date)), CAST(:date_to AS date),
                         CAST('1 ' || :unit AS interval)) g
),
sums AS (
    SELECT date_trunc(:unit, s.day)::date AS start, sum(s.orders) AS orders, sum(s.goods_revenue) AS revenue,
           sum(s.cogs) AS cogs, sum(s.uncosted_revenue) AS uncosted_revenue
    FROM order_daily_stats s
    WHERE s.day BETWEEN :date_from AND :date_to
      AND s.listed AND s.status <> ALL (CAST(:not_sales AS text[]))
    GROUP BY 1
)
SELECT p.start,
       greatest(p.start, CAST(:date_from AS date)) AS first_day,
       least((p.start + CAST('1 ' || :unit AS interval) - interval '1 day')::date, CAST(:date_to AS date))
           AS last_day,
       coalesce(s.orders, 0)::integer AS orders, coalesce(s.revenue, 0) AS revenue,
       coalesce(s.cogs, 0) AS cogs,
       coalesce(s.uncosted_revenue, 0) AS uncosted_revenue
FROM periods p LEFT JOIN sums s USING (start)
ORDER BY p.start
"""

PRODUCT_SUMS = """
    SELECT t.product_id, sum(t.sales_qty)::bigint AS units, sum(t.revenue) AS revenue, sum(t.cogs) AS cogs,
           sum(t.uncosted_revenue) AS uncosted_revenue
    FROM product_trends t
    WHERE t.day BETWEEN :date_from AND :date_to AND (t.sales_qty <> 0 OR t.revenue <> 0)
    GROUP BY t.product_id
"""

PRODUCT_SORTS = {
    "-gross_profit": "s.revenue - s.uncosted_revenue - s.cogs DESC, s.product_id",
    "gross_profit": "s.revenue - s.uncosted_revenue - s.cogs ASC, s.product_id",
    "-revenue": "s.revenue DESC, s.product_id",
    "-uncosted_revenue": "s.uncosted_revenue DESC, s.product_id",
    "name": "lower(p.name), s.product_id",
}

# The range's products with sales, one page of them, and the sums of all of them (the part of the
# revenue that went to no product is the range's total less these).
BY_PRODUCT = f"""
WITH s AS ({PRODUCT_SUMS})
SELECT s.product_id, p.name, p.category, s.units, s.revenue, s.cogs, s.uncosted_revenue
FROM s JOIN products p ON p.id = s.product_id
WHERE (CAST(:category AS text) IS NULL OR p.category = :category)
ORDER BY {{order}}
LIMIT :limit OFFSET :offset
"""

PRODUCTS_TOTAL = f"""
WITH s AS ({PRODUCT_SUMS})
SELECT count(*)::integer AS products, coalesce(sum(s.units), 0)::bigint AS units,
       coalesce(sum(s.revenue), 0) AS revenue, coalesce(sum(s.cogs), 0) AS cogs,
       coalesce(sum(s.uncosted_revenue), 0) AS uncosted_revenue
FROM s JOIN products p ON p.id = s.product_id
WHERE (CAST(:category AS text) IS NULL OR p.category = :category)
"""

BY_CATEGORY = f"""
WITH s AS ({PRODUCT_SUMS})
SELECT p.category, count(*)::integer AS products, sum(s.units)::bigint AS units, sum(s.revenue) AS revenue,
       sum(s.cogs) AS cogs, sum(s.uncosted_revenue) AS uncosted_revenue
FROM s JOIN products p ON p.id = s.product_id
GROUP BY p.category
ORDER BY sum(s.revenue) - sum(s.uncosted_revenue) - sum(s.cogs) DESC, p.category NULLS LAST
"""


RANGE_TOTALS = """
SELECT coalesce(sum(s.goods_revenue), 0) AS revenue, coalesce(sum(s.cogs), 0) AS cogs,
       coalesce(sum(s.uncosted_revenue), 0) AS uncosted_revenue
FROM order_daily_stats s
WHERE s.day BETWEEN :date_from AND :date_to AND s.listed AND s.status <> ALL (CAST(:not_sales AS text[]))
"""


def unmatched(conn: Connection, *, date_from: date, date_to: date) -> dict[str, Any]:
    """The sums of the goods sold in the range that went to no product: all goods less the products'."""
    every = rows_as_dicts(
        conn, conn.run(RANGE_TOTALS, date_from=date_from, date_to=date_to, not_sales=list(NOT_SALES))
    )[0]
    products = rows_as_dicts(
        conn, conn.run(PRODUCTS_TOTAL, date_from=date_from, date_to=date_to, category=None)
    )[0]
    return {key: every[key] - products[key] for key in ("revenue", "cogs", "uncosted_revenue")}


def by_period(conn: Connection, *, date_from: date, date_to: date, group: Group) -> list[dict[str, Any]]:
    return rows_as_dicts(
        conn,
        conn.run(BY_PERIOD, date_from=date_from, date_to=date_to, unit=group, not_sales=list(NOT_SALES)),
    )


def by_product(
    conn: Connection,
    *,
    date_from: date,
    date_to: date,
    category: str | None,
    sort: str,
    limit: int,
    offset: int,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The sums of every product sold in the range (in `category`), and one page of them."""
    params = {"date_from": date_from, "date_to": date_to, "category": category}
    totals = rows_as_dicts(conn, conn.run(PRODUCTS_TOTAL, **params))[0]
    sql = BY_PRODUCT.format(order=PRODUCT_SORTS[sort])
    return totals, rows_as_dicts(conn, conn.run(sql, limit=limit, offset=offset, **params))


def by_category(conn: Connection, *, date_from: date, date_to: date) -> list[dict[str, Any]]:
    return rows_as_dicts(conn, conn.run(BY_CATEGORY, date_from=date_from, date_to=date_to))
