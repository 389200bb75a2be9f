"""Product trends per shop-local day, and the analytics derived from them (docs/sync.md, "Analytics").

Sales count the items of orders whose effective status is not `cancelled` or `refunded` and that the
shop still lists; days are the shop's (`tz`). Every write skips rows whose values did not change.
The refreshes here compute days from every order of them; the orders sync also moves both tables by a
re-sync's few changes itself (`sync/orders.py`, MERGE_MOVING_DAYS), which must keep them what these give.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from chalicelib.db import Connection

NOT_SALES = ("cancelled", "refunded")

# Recompute units, revenue, orders and the latest sale per product for the given days.
REFRESH_SALES = """
WITH sales AS (
    SELECT i.product_id,
           (o.created_at AT TIME ZONE :tz)::date AS day,
           sum(i.quantity)::integer              AS sales_qty,
           sum(i.total)                          AS revenue,
           count(DISTINCT o.id)::integer         AS orders,
           max(o.created_at)                     AS last_sale_at
    FROM orders o
    JOIN order_items i ON i.order_id = o.id
    WHERE o.created_at >= (CAST(:first_day AS date)::timestamp AT TIME ZONE :tz)
      AND o.created_at <  ((CAST(:last_day AS date) + 1)::timestamp AT TIME ZONE :tz)
      AND (o.created_at AT TIME ZONE :tz)::date = ANY(CAST(:days AS date[]))
      AND o.status <> ALL (CAST(:not_sales AS text[]))
      AND o.deleted_upstream_at IS NULL
      AND i.product_id IS NOT NULL
    GROUP BY 1, 2
),
written AS (
    INSERT INTO product_trends AS t (product_id, day, sales_qty, revenue, orders, last_sale_at)
    SELECT product_id, day, sales_qty, revenue, orders, last_sale_at FROM sales
    ON CONFLICT (product_id, day) DO UPDATE SET
        sales_qty    = EXCLUDED.sales_qty,
        revenue      = EXCLUDED.revenue,
        orders       = EXCLUDED.orders,
        last_sale_at = EXCLUDED.last_sale_at
    WHERE (t.sales_qty, t.revenue, t.orders, t.last_sale_at)
          IS DISTINCT FROM (EXCLUDED.sales_qty, EXCLUDED.revenue, EXCLUDED.orders, EXCLUDED.last_sale_at)
    RETURNING 1
),
cleared AS (
    UPDATE product_trends t SET sales_qty = 0, revenue = 0, orders = 0, last_sale_at = NULL
    WHERE t.day = ANY(CAST(:days AS date[]))
      AND (t.sales_qty <> 0 OR t.orders <> 0 OR t.last_sale_at IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM sales s WHERE s.product_id = t.product_id AND s.day = t.day)
    RETURNING 1
)
SELECT (SELECT count(*) FROM written) + (SELECT count(*) FROM cleared)
"""

# The stock level each product shows today (the last sync of the day wins).
RECORD_STOCK_LEVELS = """
INSERT INTO product_trends AS t (product_id, day, stock_level)
SELECT id, (now() AT TIME ZONE :tz)::date, stock_quantity
FROM products
WHERE deleted_upstream_at IS NULL AND (CAST(:ids AS bigint[]) IS NULL OR id = ANY(CAST(:ids AS bigint[])))
ON CONFLICT (product_id, day) DO UPDATE SET stock_level = EXCLUDED.stock_level
WHERE t.stock_level IS DISTINCT FROM EXCLUDED.stock_level
"""

# 30-day average of units sold per day (today included), the trend (last 15 days against the 15
# before: +20% growing, -20% falling) and the latest sale, for every product.
RECOMPUTE_ANALYTICS = """
WITH today AS (
    SELECT (now() AT TIME ZONE :tz)::date AS d
),
window_sales AS (
    SELECT t.product_id,
           sum(t.sales_qty)                                         AS last30,
           coalesce(sum(t.sales_qty) FILTER (WHERE t.day > d - 15), 0) AS recent,
           coalesce(sum(t.sales_qty) FILTER (WHERE t.day <= d - 15), 0) AS previous
    FROM product_trends t, today
    WHERE t.day > d - 30 AND t.day <= d
    GROUP BY t.product_id
),
computed AS (
    SELECT p.id AS product_id,
           round(coalesce(w.last30, 0) / 30.0, 3) AS avg_daily_sales_30d,
           CASE WHEN coalesce(w.recent, 0) > coalesce(w.previous, 0) * 1.2 THEN 'growing'
                WHEN coalesce(w.recent, 0) < coalesce(w.previous, 0) * 0.8 THEN 'falling'
                ELSE 'stable'
           END AS trend,
           (SELECT t.last_sale_at FROM product_trends t
            WHERE t.product_id = p.id AND t.sales_qty > 0
            ORDER BY t.day DESC LIMIT 1) AS last_sale_at
    FROM products p
    LEFT JOIN window_sales w ON w.product_id = p.id
)
INSERT INTO product_analytics AS a (product_id, avg_daily_sales_30d, trend, last_sale_at, computed_at)
SELECT product_id, avg_daily_sales_30d, trend, last_sale_at, now() FROM computed
ON CONFLICT (product_id) DO UPDATE SET
    avg_daily_sales_30d = EXCLUDED.avg_daily_sales_30d,
    trend               = EXCLUDED.trend,
    last_sale_at        = EXCLUDED.last_sale_at,
    computed_at         = now()
WHERE (a.avg_daily_sales_30d, a.trend, a.last_sale_at)
      IS DISTINCT FROM (EXCLUDED.avg_daily_sales_30d, EXCLUDED.trend, EXCLUDED.last_sale_at)
"""


# Orders and revenue per day and effective status (what the stats read) for the given days.
REFRESH_DAILY_STATS = """
WITH fresh AS (
    SELECT (o.created_at AT TIME ZONE :tz)::date AS day, o.status, o.deleted_upstream_at IS NULL AS listed,
           count(*)::integer AS orders, sum(o.total_amount) AS revenue
    FROM orders o
    WHERE o.created_at >= (CAST(:first_day AS date)::timestamp AT TIME ZONE :tz)
      AND o.created_at <  ((CAST(:last_day AS date) + 1)::timestamp AT TIME ZONE :tz)
      AND (o.created_at AT TIME ZONE :tz)::date = ANY(CAST(:days AS date[]))
    GROUP BY 1, 2, 3
),
written AS (
    INSERT INTO order_daily_stats AS s (day, status, listed, orders, revenue)
    SELECT day, status, listed, orders, revenue FROM fresh
    ON CONFLICT (day, status, listed) DO UPDATE SET orders = EXCLUDED.orders, revenue = EXCLUDED.revenue
    WHERE (s.orders, s.revenue) IS DISTINCT FROM (EXCLUDED.orders, EXCLUDED.revenue)
    RETURNING 1
)
DELETE FROM order_daily_stats s
WHERE s.day = ANY(CAST(:days AS date[]))
  AND NOT EXISTS (SELECT 1 FROM fresh f WHERE (f.day, f.status, f.listed) = (s.day, s.status, s.listed))
"""

BUILT_ZONE = "SELECT value FROM analytics_state WHERE key = 'timezone'"
FORGET_DAYS = """
DELETE FROM order_daily_stats;
UPDATE product_trends SET sales_qty = 0, revenue = 0, orders = 0, last_sale_at = NULL
WHERE sales_qty <> 0 OR orders <> 0 OR last_sale_at IS NOT NULL;
"""
ALL_ORDER_DAYS = "SELECT DISTINCT (created_at AT TIME ZONE :tz)::date FROM orders"
RECORD_ZONE = """
INSERT INTO analytics_state (key, value) VALUES ('timezone', :tz)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
"""


def refresh_days(conn: Connection, days: Iterable[date], *, tz: str) -> None:
    """Recompute everything kept per shop-local day (product sales, order stats) for `days`."""
    wanted = sorted(set(days))
    refresh_sales(conn, wanted, tz=tz)
    refresh_daily_stats(conn, wanted, tz=tz)


def refresh_daily_stats(conn: Connection, days: Iterable[date], *, tz: str) -> None:
    """Recompute the orders and revenue per status of `days`."""
    wanted = sorted(set(days))
    if wanted:
        conn.run(REFRESH_DAILY_STATS, days=wanted, first_day=wanted[0], last_day=wanted[-1], tz=tz)


def ensure_built_for(conn: Connection, *, tz: str) -> bool:
    """Rebuild the per-day tables when they were built for another zone, or never; True if it did."""
    built = conn.run(BUILT_ZONE)
    if built and built[0][0] == tz:
        return False
    conn.run(FORGET_DAYS)
    refresh_days(conn, [row[0] for row in conn.run(ALL_ORDER_DAYS, tz=tz) or []], tz=tz)
    conn.run(RECORD_ZONE, tz=tz)
    return True


def refresh_sales(conn: Connection, days: Iterable[date], *, tz: str) -> int:
    """Recompute the sales columns of `product_trends` for `days`; returns rows changed."""
    wanted = sorted(set(days))
    if not wanted:
        return 0
    rows = conn.run(
        REFRESH_SALES, days=wanted, first_day=wanted[0], last_day=wanted[-1], tz=tz, not_sales=list(NOT_SALES)
    ) or [[0]]
    return int(rows[0][0])


def record_stock_levels(conn: Connection, *, tz: str, product_ids: list[int] | None = None) -> None:
    conn.run(RECORD_STOCK_LEVELS, tz=tz, ids=product_ids)


def recompute_analytics(conn: Connection, *, tz: str) -> None:
    conn.run(RECOMPUTE_ANALYTICS, tz=tz)
