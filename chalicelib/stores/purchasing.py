"""The purchasing list: every product to order now, most urgent first, with what the order costs.

A product is on it when it is listed by the shop, not hidden, and its recommended quantity (the staff's
override, or the computed one) is above zero, or its stock status is critical or warning. Urgency is
the days of stock left less the delivery time: a product that runs out before a new delivery can
arrive (below zero) comes first; one whose days left are unknown (no demand estimate) after those
whose are known, the critical before the warning. All figures come from `product_view`, as on a
product's page.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chalicelib.db import Connection, rows_as_dicts
from chalicelib.stores import streamed
from chalicelib.stores.products import PRODUCT_COLUMNS

NEEDED = """
    p.deleted_upstream_at IS NULL
    AND NOT p.is_hidden
    AND (p.recommended_qty > 0 OR p.stock_status IN ('critical', 'warning'))
    AND (CAST(:category AS text) IS NULL OR p.category = :category)
"""

URGENCY = """
    p.days_to_zero - p.delivery_days ASC NULLS LAST,
    CASE p.stock_status WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,
    p.recommended_qty DESC, p.id
"""

# The totals of the whole list (however much of it a page holds); a line without a cost adds its
# units but no money, and is counted, so the total never passes for complete when it is not.
TOTALS = f"""
SELECT count(*) AS lines,
       coalesce(sum(p.recommended_qty), 0) AS units,
       coalesce(sum(p.recommended_qty * p.cost), 0) AS cost,
       count(*) FILTER (WHERE p.cost IS NULL AND p.recommended_qty > 0) AS lines_without_cost
FROM product_view p WHERE {NEEDED}
"""

ALL_LINES = f"""
SELECT {PRODUCT_COLUMNS},
       p.recommended_qty * p.cost AS line_cost, p.days_to_zero - p.delivery_days AS days_to_spare
FROM product_view p WHERE {NEEDED}
ORDER BY {URGENCY}
"""
LINES = f"{ALL_LINES} LIMIT :limit OFFSET :offset"


def purchasing_list(
    conn: Connection, *, category: str | None, limit: int, offset: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The list's totals and one page of its lines, most urgent first."""
    totals = rows_as_dicts(conn, conn.run(TOTALS, category=category))[0]
    lines = rows_as_dicts(conn, conn.run(LINES, category=category, limit=limit, offset=offset))
    return totals, lines


def export_lines(conn: Connection, *, category: str | None) -> Iterator[dict[str, Any]]:
    """Every line of the list, most urgent first: a batch at a time."""
    return streamed(conn, ALL_LINES, category=category)
