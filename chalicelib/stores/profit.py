"""Profit over shop-local days: revenue, cost of goods and the revenue of no known cost, by period,
product and category (docs/analytics.md, "Profit").

Everything sums the per-day tables, which keep each order's goods at the cost in force when it was
created (`product_cost_periods`, migration 0011): `order_daily_stats` per day and status (what the
periods read: a year is a few thousand rows), `product_trends` per product and day. Sales are the
orders the shop still lists whose effective status is not cancelled or refunded, as everywhere.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
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

# Each product sold in the range, with its sums: its whole calendar months from
# `product_month_sales` (migration 0015), the days at the range's two ends from `product_trends`.
# `months_from`/`months_to`: the whole months, [from, to) (`whole_months`).
PRODUCT_SUMS = """
    SELECT s.product_id, p.name, p.category, s.units, s.revenue, s.cogs, s.uncosted_revenue
    FROM (
        SELECT t.product_id, sum(t.sales_qty)::bigint AS units, sum(t.revenue) AS revenue,
               sum(t.cogs) AS cogs, sum(t.uncosted_revenue) AS uncosted_revenue
        FROM (
            SELECT m.product_id, m.sales_qty, m.revenue, m.cogs, m.uncosted_revenue
            FROM product_month_sales m
            WHERE m.month >= :months_from AND m.month < :months_to
            UNION ALL
            SELECT d.product_id, d.sales_qty, d.revenue, d.cogs, d.uncosted_revenue
            FROM product_trends d
            WHERE (d.day >= :date_from AND d.day < :months_from)
               OR (d.day >= :months_to AND d.day <= :date_to)
        ) t
        WHERE t.sales_qty <> 0 OR t.revenue <> 0
        GROUP BY t.product_id
    ) s JOIN products p ON p.id = s.product_id
"""

PRODUCT_SORTS = {
    "-gross_profit": "s.revenue - s.uncosted_revenue - s.cogs DESC, s.product_id",
    "gross_profit": "s.revenue - s.uncosted_revenue - s.cogs ASC, s.product_id",
    "-revenue": "s.revenue DESC, s.product_id",
    "-uncosted_revenue": "s.uncosted_revenue DESC, s.product_id",
    "name": "lower(s.name), s.product_id",
}

# One page of the range's products (in `category`), with the sums of all of them (`total_*`) and of
# every product sold whatever its category (`sold_*`: the part of the revenue that went to no
# product is the range's total less these). One row with an empty page's columns when the page is
# past the end, so that the sums still come.
BY_PRODUCT = f"""
WITH sold AS MATERIALIZED ({PRODUCT_SUMS}),
chosen AS (SELECT * FROM sold WHERE CAST(:category AS text) IS NULL OR category = :category),
totals AS (
    SELECT count(*)::integer AS total_products, coalesce(sum(units), 0)::bigint AS total_units,
           coalesce(sum(revenue), 0) AS total_revenue, coalesce(sum(cogs), 0) AS total_cogs,
           coalesce(sum(uncosted_revenue), 0) AS total_uncosted_revenue
    FROM chosen
),
every AS (
    SELECT coalesce(sum(revenue), 0) AS sold_revenue, coalesce(sum(cogs), 0) AS sold_cogs,
           coalesce(sum(uncosted_revenue), 0) AS sold_uncosted_revenue
    FROM sold
),
page AS (SELECT * FROM chosen s ORDER BY {{order}} LIMIT :limit OFFSET :offset)
SELECT totals.*, every.*, s.product_id, s.name, s.category, s.units, s.revenue, s.cogs, s.uncosted_revenue
FROM totals CROSS JOIN every LEFT JOIN page s ON true
ORDER BY {{order}}
"""

BY_CATEGORY = f"""
WITH s AS ({PRODUCT_SUMS})
SELECT s.category, count(*)::integer AS products, sum(s.units)::bigint AS units, sum(s.revenue) AS revenue,
       sum(s.cogs) AS cogs, sum(s.uncosted_revenue) AS uncosted_revenue
FROM s
GROUP BY s.category
ORDER BY sum(s.revenue) - sum(s.uncosted_revenue) - sum(s.cogs) DESC, s.category NULLS LAST
"""


RANGE_TOTALS = """
SELECT coalesce(sum(s.goods_revenue), 0) AS revenue, coalesce(sum(s.cogs), 0) AS cogs,
       coalesce(sum(s.uncosted_revenue), 0) AS uncosted_revenue
FROM order_daily_stats s
WHERE s.day BETWEEN :date_from AND :date_to AND s.listed AND s.status <> ALL (CAST(:not_sales AS text[]))
"""

SUMS = ("revenue", "cogs", "uncosted_revenue")


def whole_months(date_from: date, date_to: date) -> dict[str, date]:
    """The calendar months wholly inside the range, as [months_from, months_to); none (both the day
    after the range, so that every day of it is an end's) when there are none."""
    start = date_from if date_from.day == 1 else _next_month(date_from)
    end = (date_to + timedelta(days=1)).replace(day=1)
    if start >= end:
        start = end = date_to + timedelta(days=1)
    return {"months_from": start, "months_to": end}


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def unmatched(conn: Connection, *, date_from: date, date_to: date, sold: dict[str, Any]) -> dict[str, Any]:
    """The sums of the goods sold in the range that went to no product: all goods less `sold`, the
    sums of the products' (`by_product`'s or the categories' of `by_category`)."""
    every = rows_as_dicts(
        conn, conn.run(RANGE_TOTALS, date_from=date_from, date_to=date_to, not_sales=list(NOT_SALES))
    )[0]
    return {key: every[key] - sold[key] for key in SUMS}


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
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """The sums of every product sold in the range (in `category`), of every product sold whatever
    its category (for `unmatched`), and one page of them."""
    sql = BY_PRODUCT.format(order=PRODUCT_SORTS[sort])
    found = rows_as_dicts(
        conn,
        conn.run(
            sql,
            date_from=date_from,
            date_to=date_to,
            category=category,
            limit=limit,
            offset=offset,
            **whole_months(date_from, date_to),
        ),
    )
    first = found[0]
    totals = {key: first[f"total_{key}"] for key in ("products", "units", *SUMS)}
    sold = {key: first[f"sold_{key}"] for key in SUMS}
    page = [
        {key: row[key] for key in ("product_id", "name", "category", "units", *SUMS)}
        for row in found
        if row["product_id"] is not None
    ]
    return totals, sold, page


def by_category(conn: Connection, *, date_from: date, date_to: date) -> list[dict[str, Any]]:
    return rows_as_dicts(
        conn, conn.run(BY_CATEGORY, date_from=date_from, date_to=date_to, **whole_months(date_from, date_to))
    )


def sold_in(categories: list[dict[str, Any]]) -> dict[str, Any]:
    """The sums of every product sold: those of `by_category`'s rows."""
    return {key: sum((row[key] for row in categories), Decimal(0)) for key in SUMS}
