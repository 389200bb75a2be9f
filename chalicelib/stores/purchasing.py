"""The purchasing list: every product to order now, most urgent first, with what the order costs.

A product is on it when it is listed by the shop, not hidden, and its recommended quantity (the staff's
override, or the computed one) is above zero, or its stock status is critical or warning. Urgency is
the days of stock left less the delivery time: a product that runs out before a new delivery can
arrive (below zero) comes first; one whose days left are unknown (no demand estimate) after those
whose are known, the critical before the warning. All figures come from `product_view`, as on a
product's page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from chalicelib.db import Connection, json_rows
from chalicelib.stores import streamed
from chalicelib.stores.products import STAFF_FIELDS

NEEDED = """
    p.deleted_upstream_at IS NULL
    AND NOT p.is_hidden
    AND (p.recommended_qty > 0 OR p.stock_status IN ('critical', 'warning'))
    AND (CAST(:category AS text) IS NULL OR p.category = :category)
"""

# In the lines' own columns, so that the page read as JSON (`json_rows`) keeps it.
URGENCY = """
    days_to_spare ASC NULLS LAST,
    CASE stock_status WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,
    recommended_qty DESC, id
"""

# What a line shows and explains, no more (a product's timestamps cost pg8000 a strptime each).
LINE_COLUMNS = f"""
    p.id, p.name, p.category, p.abc_class, p.stock_status, p.stock_quantity, p.in_transit, p.cost,
    p.avg_daily_sales_30d, p.demand_days, p.demand_estimated, p.demand_sigma, p.days_to_zero,
    p.delivery_days, p.recommended_qty, p.computed_recommended_qty, p.service_level, p.service_z,
    p.safety_stock, p.cover_days, p.min_stock,
    array_remove(ARRAY[{
    ", ".join(
        f"CASE WHEN p.{STAFF_FIELDS[field][1]} IS NOT NULL THEN '{field}' END"
        for field in ("avg_daily_sales_30d", "recommended_qty")
    )
}], NULL) AS overridden
"""

LINES_UNORDERED = f"""
SELECT {LINE_COLUMNS},
       p.recommended_qty * p.cost AS line_cost, p.days_to_zero - p.delivery_days AS days_to_spare
FROM product_view p WHERE {NEEDED}
"""
ALL_LINES = f"{LINES_UNORDERED} ORDER BY {URGENCY}"

# The totals of the whole list (however much of it a page holds) and one page, in one statement over
# one reading of the view (each line computes its product's analytics; read once for the totals and
# again for the page, the two took 8% longer); the page as one JSON text (`json_rows` says why). A
# line without a cost adds its units but no money, and is counted, so the total never passes for
# complete when it is not.
TOTALS_AND_PAGE = f"""
WITH lines AS MATERIALIZED ({LINES_UNORDERED})
SELECT (SELECT json_build_object(
            'lines', count(*), 'units', coalesce(sum(recommended_qty), 0),
            'cost', coalesce(sum(line_cost), 0),
            'lines_without_cost', count(*) FILTER (WHERE cost IS NULL AND recommended_qty > 0))
        FROM lines)::text,
       (SELECT coalesce(json_agg(q ORDER BY {URGENCY}), '[]')
        FROM (SELECT * FROM lines ORDER BY {URGENCY} LIMIT :limit OFFSET :offset) q)::text
"""


AT_RISK = f"SELECT * FROM ({LINES_UNORDERED}) lines WHERE stock_status IN ('critical', 'warning')"


def at_risk(conn: Connection) -> list[dict[str, Any]]:
    """The list's critical and warning lines, most urgent first (the morning digest's products)."""
    return json_rows(conn, AT_RISK, order=URGENCY, category=None)


def purchasing_list(
    conn: Connection, *, category: str | None, limit: int, offset: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The list's totals and one page of its lines, most urgent first."""
    totals, page = conn.run(TOTALS_AND_PAGE, category=category, limit=limit, offset=offset)[0]
    return json.loads(totals, parse_float=Decimal), json.loads(page, parse_float=Decimal)


def export_lines(conn: Connection, *, category: str | None) -> Iterator[dict[str, Any]]:
    """Every line of the list, most urgent first: a batch at a time."""
    return streamed(conn, ALL_LINES, category=category)
