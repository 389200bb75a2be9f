"""Reading orders for the API: lists with filters, one order with its items, stats.

Every read uses the effective columns (`status` is COALESCE(staff_status, upstream_status)).
Filters are optional parameters (`CAST(:x AS ...) IS NULL OR ...`): PostgreSQL plans each call with
its values, so an absent filter costs nothing and a present one uses its index.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from chalicelib.db import Connection, rows_as_dicts
from chalicelib.stores import contains_pattern, streamed

STAFF_FIELDS = {  # API field -> staff column
    "status": "staff_status",
    "customer_phone": "staff_customer_phone",
    "customer_email": "staff_customer_email",
    "customer_address": "staff_customer_address",
    "tracking_number": "staff_tracking_number",
    "notes": "staff_notes",
}

ORDER_COLUMNS = f"""
    o.id, o.external_id, o.status, o.upstream_status, o.total_amount, o.delivery_cost, o.bonus,
    o.bank_card, o.customer_name, o.customer_city, o.customer_telegram_id,
    o.staff_customer_phone AS customer_phone, o.staff_customer_email AS customer_email,
    o.staff_customer_address AS customer_address, o.staff_tracking_number AS tracking_number,
    o.staff_notes AS notes, o.created_at, o.paid_at, o.shipped_at, o.deleted_upstream_at,
    o.synced_at, o.updated_at,
    array_remove(ARRAY[{", ".join(f"CASE WHEN o.{column} IS NOT NULL THEN '{field}' END" for field, column in STAFF_FIELDS.items())}], NULL)
        AS overridden
"""  # noqa: E501 (generated from constants above)

FILTERS = """
    (CAST(:statuses AS text[]) IS NULL OR o.status = ANY(CAST(:statuses AS text[])))
    AND (CAST(:date_from AS date) IS NULL
         OR o.created_at >= (CAST(:date_from AS date)::timestamp AT TIME ZONE :tz))
    AND (CAST(:date_to AS date) IS NULL
         OR o.created_at < ((CAST(:date_to AS date) + 1)::timestamp AT TIME ZONE :tz))
    AND (CAST(:pattern AS text) IS NULL
         OR (coalesce(o.customer_name, '') || ' ' || coalesce(o.customer_city, '')) ILIKE :pattern
         OR o.external_id = CAST(:q_id AS bigint))
"""

SORTS = {
    "created_at": "o.created_at ASC, o.id ASC",
    "-created_at": "o.created_at DESC, o.id DESC",
    "total_amount": "o.total_amount ASC, o.id ASC",
    "-total_amount": "o.total_amount DESC, o.id DESC",
}

COUNT_ORDERS = f"SELECT count(*) FROM orders o WHERE {FILTERS}"

# The same count without a search, from order_daily_stats: a sum over days instead of a scan.
COUNT_ORDERS_BY_DAY = """
SELECT coalesce(sum(s.orders), 0) FROM order_daily_stats s
WHERE (CAST(:statuses AS text[]) IS NULL OR s.status = ANY(CAST(:statuses AS text[])))
  AND (CAST(:date_from AS date) IS NULL OR s.day >= CAST(:date_from AS date))
  AND (CAST(:date_to AS date) IS NULL OR s.day <= CAST(:date_to AS date))
"""

ITEM_COUNT = "(SELECT count(*) FROM order_items i WHERE i.order_id = o.id) AS item_count"

ORDER_ITEMS = """
SELECT order_id, name, quantity, price, total, product_id
FROM order_items WHERE order_id = ANY(CAST(:ids AS bigint[]))
ORDER BY order_id, position
"""


def filter_params(
    *, statuses: list[str] | None, date_from: date | None, date_to: date | None, q: str | None, tz: str
) -> dict[str, Any]:
    # ASCII digits only: "¹".isdigit() is true, and int("¹") fails (a 500, found by Schemathesis)
    number = (q or "").strip()
    q_id = int(number) if number.isascii() and number.isdigit() and len(number) <= 18 else None
    return {
        "statuses": statuses or None,
        "date_from": date_from,
        "date_to": date_to,
        "pattern": contains_pattern(q),
        "q_id": q_id,
        "tz": tz,
    }


def count_orders(conn: Connection, filters: dict[str, Any]) -> int:
    if filters["pattern"] is None:
        counted = {k: filters[k] for k in ("statuses", "date_from", "date_to")}
        return int(conn.run(COUNT_ORDERS_BY_DAY, **counted)[0][0])
    return int(conn.run(COUNT_ORDERS, **filters)[0][0])


def export_orders(conn: Connection, *, filters: dict[str, Any], sort: str) -> Iterator[dict[str, Any]]:
    """Every order the filters select, in the list's order, with its item count: a batch at a time."""
    sql = f"SELECT {ORDER_COLUMNS}, {ITEM_COUNT} FROM orders o WHERE {FILTERS} ORDER BY {SORTS[sort]}"
    return streamed(conn, sql, **filters)


def list_orders(
    conn: Connection, *, filters: dict[str, Any], sort: str, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    total = count_orders(conn, filters)
    # Deferred join: the page's ids first (an index-only scan, however deep the offset), then the
    # columns and item counts of those rows only.
    sql = f"""
        WITH page AS (
            SELECT o.id FROM orders o WHERE {FILTERS}
            ORDER BY {SORTS[sort]} LIMIT :limit OFFSET :offset
        )
        SELECT {ORDER_COLUMNS}, {ITEM_COUNT}
        FROM page JOIN orders o USING (id)
        ORDER BY {SORTS[sort]}
    """
    rows = rows_as_dicts(conn, conn.run(sql, limit=limit, offset=offset, **filters))
    return int(total), rows


def get_order(conn: Connection, order_id: int) -> dict[str, Any] | None:
    rows = rows_as_dicts(
        conn, conn.run(f"SELECT {ORDER_COLUMNS} FROM orders o WHERE o.id = :id", id=order_id)
    )
    if not rows:
        return None
    order = rows[0]
    order["items"] = items_of(conn, [order_id]).get(order_id, [])
    return order


def items_of(conn: Connection, order_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = {}
    for item in rows_as_dicts(conn, conn.run(ORDER_ITEMS, ids=order_ids)):
        grouped.setdefault(item.pop("order_id"), []).append(item)
    return grouped


def local_day_of(conn: Connection, order_id: int, *, tz: str) -> date | None:
    rows = conn.run(
        "SELECT (created_at AT TIME ZONE :tz)::date FROM orders WHERE id = :id", id=order_id, tz=tz
    )
    return rows[0][0] if rows else None


# -- stats -----------------------------------------------------------------------------------------

# From order_daily_stats (orders the shop still lists, per shop-local day and effective status).
# Revenue counts orders that are not cancelled or refunded (as the analytics do).
STATS_RANGE = """
    s.listed
    AND (CAST(:date_from AS date) IS NULL OR s.day >= CAST(:date_from AS date))
    AND (CAST(:date_to AS date) IS NULL OR s.day <= CAST(:date_to AS date))
"""

STATS_BY_STATUS = f"""
SELECT s.status, sum(s.orders)::integer AS count, sum(s.revenue) AS revenue
FROM order_daily_stats s WHERE {STATS_RANGE}
GROUP BY s.status ORDER BY sum(s.orders) DESC, s.status
"""

STATS_BY_DAY = f"""
SELECT s.day AS date, sum(s.orders)::integer AS orders,
       coalesce(sum(s.revenue) FILTER (WHERE s.status <> ALL (CAST(:not_sales AS text[]))), 0) AS revenue
FROM order_daily_stats s WHERE {STATS_RANGE}
GROUP BY s.day ORDER BY s.day
"""

RECENT_ORDERS = f"""
SELECT {ORDER_COLUMNS}, {ITEM_COUNT}
FROM orders o
WHERE o.deleted_upstream_at IS NULL
  AND (CAST(:date_from AS date) IS NULL
       OR o.created_at >= (CAST(:date_from AS date)::timestamp AT TIME ZONE :tz))
  AND (CAST(:date_to AS date) IS NULL
       OR o.created_at < ((CAST(:date_to AS date) + 1)::timestamp AT TIME ZONE :tz))
ORDER BY o.created_at DESC, o.id DESC LIMIT 5
"""


def stats(
    conn: Connection, *, date_from: date | None, date_to: date | None, tz: str, not_sales: list[str]
) -> dict[str, Any]:
    scope = {"date_from": date_from, "date_to": date_to}
    by_status = rows_as_dicts(conn, conn.run(STATS_BY_STATUS, **scope))
    by_day = rows_as_dicts(conn, conn.run(STATS_BY_DAY, not_sales=not_sales, **scope))
    recent = rows_as_dicts(conn, conn.run(RECENT_ORDERS, tz=tz, **scope))
    total_orders = sum(row["count"] for row in by_status)
    revenue = sum((row["revenue"] for row in by_status if row["status"] not in not_sales), start=0)
    paying = sum(row["count"] for row in by_status if row["status"] not in not_sales)
    return {
        "total_orders": total_orders,
        "total_revenue": revenue,
        "paying_orders": paying,
        "by_status": by_status,
        "by_day": by_day,
        "recent_orders": recent,
    }
