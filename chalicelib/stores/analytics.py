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
MIN_DEMAND_DAYS = 7  # days in stock in the 30-day window below which there is no demand estimate

# Recompute units, revenue, orders and the latest sale per product for the given days.
REFRESH_SALES = """
WITH sales AS (
    SELECT i.product_id,
           (o.created_at AT TIME ZONE :tz)::date AS day,
           sum(i.quantity)::integer              AS sales_qty,
           sum(i.total)                          AS revenue,
           count(DISTINCT o.id)::integer         AS orders,
           max(o.created_at)                     AS last_sale_at,
           coalesce(sum(i.quantity * c.cost), 0) AS cogs,
           coalesce(sum(i.total) FILTER (WHERE c.cost IS NULL), 0) AS uncosted_revenue
    FROM orders o
    JOIN order_items i ON i.order_id = o.id
    LEFT JOIN product_cost_periods c
           ON c.product_id = i.product_id AND o.created_at >= c.valid_from AND o.created_at < c.valid_to
    WHERE o.created_at >= (CAST(:first_day AS date)::timestamp AT TIME ZONE :tz)
      AND o.created_at <  ((CAST(:last_day AS date) + 1)::timestamp AT TIME ZONE :tz)
      AND (o.created_at AT TIME ZONE :tz)::date = ANY(CAST(:days AS date[]))
      AND o.status <> ALL (CAST(:not_sales AS text[]))
      AND o.deleted_upstream_at IS NULL
      AND i.product_id IS NOT NULL
    GROUP BY 1, 2
),
written AS (
    INSERT INTO product_trends AS t (product_id, day, sales_qty, revenue, orders, last_sale_at, cogs,
                                     uncosted_revenue)
    SELECT product_id, day, sales_qty, revenue, orders, last_sale_at, cogs, uncosted_revenue FROM sales
    ON CONFLICT (product_id, day) DO UPDATE SET
        sales_qty        = EXCLUDED.sales_qty,
        revenue          = EXCLUDED.revenue,
        orders           = EXCLUDED.orders,
        last_sale_at     = EXCLUDED.last_sale_at,
        cogs             = EXCLUDED.cogs,
        uncosted_revenue = EXCLUDED.uncosted_revenue
    WHERE (t.sales_qty, t.revenue, t.orders, t.last_sale_at, t.cogs, t.uncosted_revenue)
          IS DISTINCT FROM (EXCLUDED.sales_qty, EXCLUDED.revenue, EXCLUDED.orders, EXCLUDED.last_sale_at,
                            EXCLUDED.cogs, EXCLUDED.uncosted_revenue)
    RETURNING 1
),
cleared AS (
    UPDATE product_trends t
    SET sales_qty = 0, revenue = 0, orders = 0, last_sale_at = NULL, cogs = 0, uncosted_revenue = 0
    WHERE t.day = ANY(CAST(:days AS date[]))
      AND (t.sales_qty <> 0 OR t.orders <> 0 OR t.last_sale_at IS NOT NULL OR t.cogs <> 0
           OR t.uncosted_revenue <> 0)
      AND NOT EXISTS (SELECT 1 FROM sales s WHERE s.product_id = t.product_id AND s.day = t.day)
    RETURNING 1
)
SELECT (SELECT count(*) FROM written) + (SELECT count(*) FROM cleared)
"""

# The stock level each product shows today (the last sync of the day wins), and whether it was at
# zero at any run of the day (it could not be bought for part of it, at least).
RECORD_STOCK_LEVELS = """
INSERT INTO product_trends AS t (product_id, day, stock_level, out_of_stock)
SELECT id, (now() AT TIME ZONE :tz)::date, stock_quantity, stock_quantity <= 0
FROM products
WHERE deleted_upstream_at IS NULL AND (CAST(:ids AS bigint[]) IS NULL OR id = ANY(CAST(:ids AS bigint[])))
ON CONFLICT (product_id, day) DO UPDATE SET
    stock_level  = EXCLUDED.stock_level,
    out_of_stock = t.out_of_stock OR EXCLUDED.out_of_stock
WHERE t.stock_level IS DISTINCT FROM EXCLUDED.stock_level OR (EXCLUDED.out_of_stock AND NOT t.out_of_stock)
"""

# The daily demand over the last 30 days (today included), counting only the days the product could
# be bought: from its first known day (a sale, or a stock level seen), leaving out the days it was out
# of stock (sales on such a day say less than its demand; counted, a product sold out for 20 of 30
# days would show a third of its demand). Fewer than MIN_DEMAND_DAYS such days: no estimate (NULL).
# Days before the sync saw any stock level count as days in stock (nothing says otherwise). Also the
# trend (last 15 days against the 15 before: +20% growing, -20% falling), the latest sale, and the
# ABC class by revenue over the last 90 days: A the products making the first 80% of it (the one that
# crosses 80% included), B the next 15%, C the rest.
RECOMPUTE_ANALYTICS = """
WITH today AS (
    SELECT (now() AT TIME ZONE :tz)::date AS d
),
first_known AS (
    SELECT p.id AS product_id,
           (SELECT t.day FROM product_trends t
            WHERE t.product_id = p.id AND (t.sales_qty > 0 OR t.stock_level IS NOT NULL)
            ORDER BY t.day LIMIT 1) AS day
    FROM products p
),
window_sales AS (
    SELECT t.product_id,
           coalesce(sum(t.sales_qty) FILTER (WHERE NOT t.out_of_stock), 0)  AS in_stock_sales,
           coalesce(sum(t.sales_qty::numeric * t.sales_qty) FILTER (WHERE NOT t.out_of_stock), 0)
                                                                    AS in_stock_squares,
           count(*) FILTER (WHERE t.out_of_stock AND t.day >= f.day)       AS out_days,
           coalesce(sum(t.sales_qty) FILTER (WHERE t.day > d - 15), 0)     AS recent,
           coalesce(sum(t.sales_qty) FILTER (WHERE t.day <= d - 15), 0)    AS previous
    FROM product_trends t JOIN first_known f USING (product_id), today
    WHERE t.day > d - 30 AND t.day <= d
    GROUP BY t.product_id
),
demand AS (
    SELECT f.product_id, coalesce(w.in_stock_sales, 0) AS sales, coalesce(w.in_stock_squares, 0) AS squares,
           coalesce(w.recent, 0) AS recent, coalesce(w.previous, 0) AS previous,
           CASE WHEN f.day IS NULL OR f.day > d THEN 0
                ELSE d - greatest(d - 29, f.day) + 1 - coalesce(w.out_days, 0)
           END AS days
    FROM first_known f CROSS JOIN today LEFT JOIN window_sales w USING (product_id)
),
revenue AS (
    SELECT p.id AS product_id, coalesce(r.amount, 0) AS amount
    FROM products p
    LEFT JOIN (
        SELECT t.product_id, sum(t.revenue) AS amount FROM product_trends t, today
        WHERE t.day > d - 90 AND t.day <= d GROUP BY t.product_id
    ) r ON r.product_id = p.id
),
abc AS (
    SELECT product_id,
           CASE WHEN amount <= 0 THEN 'C'
                WHEN ahead < 0.80 * total THEN 'A'
                WHEN ahead < 0.95 * total THEN 'B'
                ELSE 'C'
           END AS abc_class
    FROM (
        SELECT product_id, amount, sum(amount) OVER () AS total,
               sum(amount) OVER (ORDER BY amount DESC, product_id ROWS UNBOUNDED PRECEDING) - amount AS ahead
        FROM revenue
    ) ranked
),
computed AS (
    SELECT m.product_id, abc.abc_class,
           CASE WHEN m.days >= :min_days
                THEN round(m.sales / m.days::numeric, 3) END AS avg_daily_sales_30d,
           CASE WHEN m.days >= :min_days  -- the sample deviation; a day without a row sold nothing
                THEN round(sqrt(greatest(0, (m.squares - m.sales::numeric * m.sales / m.days)
                                            / (m.days - 1))), 3)
           END AS demand_sigma,
           m.days AS demand_days,
           CASE WHEN m.recent > m.previous * 1.2 THEN 'growing'
                WHEN m.recent < m.previous * 0.8 THEN 'falling'
                ELSE 'stable'
           END AS trend,
           (SELECT t.last_sale_at FROM product_trends t
            WHERE t.product_id = m.product_id AND t.sales_qty > 0
            ORDER BY t.day DESC LIMIT 1) AS last_sale_at
    FROM demand m JOIN abc USING (product_id)
)
INSERT INTO product_analytics AS a (product_id, avg_daily_sales_30d, demand_days, demand_sigma, trend,
                                    last_sale_at, abc_class, computed_at)
SELECT product_id, avg_daily_sales_30d, demand_days, demand_sigma, trend, last_sale_at, abc_class, now()
FROM computed
ON CONFLICT (product_id) DO UPDATE SET
    avg_daily_sales_30d = EXCLUDED.avg_daily_sales_30d,
    demand_days         = EXCLUDED.demand_days,
    demand_sigma        = EXCLUDED.demand_sigma,
    trend               = EXCLUDED.trend,
    last_sale_at        = EXCLUDED.last_sale_at,
    abc_class           = EXCLUDED.abc_class,
    computed_at         = now()
WHERE (a.avg_daily_sales_30d, a.demand_days, a.demand_sigma, a.trend, a.last_sale_at, a.abc_class)
      IS DISTINCT FROM (EXCLUDED.avg_daily_sales_30d, EXCLUDED.demand_days, EXCLUDED.demand_sigma,
                        EXCLUDED.trend, EXCLUDED.last_sale_at, EXCLUDED.abc_class)
"""


# Orders and revenue per day and effective status (what the stats read) for the given days, with
# their goods' revenue, cost of goods at the cost in force when each order was created, and the
# revenue of the goods of no known cost (no cost then, or matched to no product).
REFRESH_DAILY_STATS = """
WITH days AS (
    SELECT o.id, (o.created_at AT TIME ZONE :tz)::date AS day, o.created_at, o.status,
           o.deleted_upstream_at IS NULL AS listed, o.total_amount
    FROM orders o
    WHERE o.created_at >= (CAST(:first_day AS date)::timestamp AT TIME ZONE :tz)
      AND o.created_at <  ((CAST(:last_day AS date) + 1)::timestamp AT TIME ZONE :tz)
      AND (o.created_at AT TIME ZONE :tz)::date = ANY(CAST(:days AS date[]))
),
goods AS (
    SELECT d.id, sum(i.total) AS revenue, coalesce(sum(i.quantity * c.cost), 0) AS cogs,
           coalesce(sum(i.total) FILTER (WHERE c.cost IS NULL), 0) AS uncosted
    FROM days d
    JOIN order_items i ON i.order_id = d.id
    LEFT JOIN product_cost_periods c
           ON c.product_id = i.product_id AND d.created_at >= c.valid_from AND d.created_at < c.valid_to
    GROUP BY d.id
),
fresh AS (
    SELECT d.day, d.status, d.listed, count(*)::integer AS orders, sum(d.total_amount) AS revenue,
           coalesce(sum(g.revenue), 0) AS goods_revenue, coalesce(sum(g.cogs), 0) AS cogs,
           coalesce(sum(g.uncosted), 0) AS uncosted_revenue
    FROM days d LEFT JOIN goods g USING (id)
    GROUP BY 1, 2, 3
),
written AS (
    INSERT INTO order_daily_stats AS s (day, status, listed, orders, revenue, goods_revenue, cogs,
                                        uncosted_revenue)
    SELECT day, status, listed, orders, revenue, goods_revenue, cogs, uncosted_revenue FROM fresh
    ON CONFLICT (day, status, listed) DO UPDATE SET
        orders = EXCLUDED.orders, revenue = EXCLUDED.revenue, goods_revenue = EXCLUDED.goods_revenue,
        cogs = EXCLUDED.cogs, uncosted_revenue = EXCLUDED.uncosted_revenue
    WHERE (s.orders, s.revenue, s.goods_revenue, s.cogs, s.uncosted_revenue)
          IS DISTINCT FROM (EXCLUDED.orders, EXCLUDED.revenue, EXCLUDED.goods_revenue, EXCLUDED.cogs,
                            EXCLUDED.uncosted_revenue)
    RETURNING 1
)
DELETE FROM order_daily_stats s
WHERE s.day = ANY(CAST(:days AS date[]))
  AND NOT EXISTS (SELECT 1 FROM fresh f WHERE (f.day, f.status, f.listed) = (s.day, s.status, s.listed))
"""

BUILT_ZONE = "SELECT value FROM analytics_state WHERE key = 'timezone'"
FORGET_DAYS = """
DELETE FROM order_daily_stats;
UPDATE product_trends
SET sales_qty = 0, revenue = 0, orders = 0, last_sale_at = NULL, cogs = 0, uncosted_revenue = 0
WHERE sales_qty <> 0 OR orders <> 0 OR last_sale_at IS NOT NULL OR cogs <> 0 OR uncosted_revenue <> 0;
"""
ALL_ORDER_DAYS = "SELECT DISTINCT (created_at AT TIME ZONE :tz)::date FROM orders"
RECORD_ZONE = """
INSERT INTO analytics_state (key, value) VALUES ('timezone', :tz)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
"""


# Today, and any later shop-local day with orders (a shop's clock ahead of ours): the days whose
# cost of goods a cost edit made now can change.
DAYS_FROM_NOW = """
SELECT (now() AT TIME ZONE :tz)::date
UNION
SELECT DISTINCT (created_at AT TIME ZONE :tz)::date FROM orders WHERE created_at >= now()
"""


def days_from_now(conn: Connection, *, tz: str) -> list[date]:
    return [row[0] for row in conn.run(DAYS_FROM_NOW, tz=tz)]


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
    conn.run(RECOMPUTE_ANALYTICS, tz=tz, min_days=MIN_DEMAND_DAYS)
