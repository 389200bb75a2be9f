"""Staff edits with their side effects, each in one transaction.

An order's status decides whether its items count as sales, so editing it refreshes that day's
trends; a product's stock is today's stock level; a product's cost is the cost of the goods sold from
now on, so editing it refreshes today (and any later day the shop already has orders of).
"""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.db import Database
from chalicelib.errors import NotFoundError
from chalicelib.stores import analytics, orders, products, staff_edits

log = logging.getLogger(__name__)

ORDER_COLUMNS = {field: ("orders", column) for field, column in orders.STAFF_FIELDS.items()}
# A sync holds the rows it rewrites until it commits, which can take half a minute for a large shop:
# an edit waits this long for a row, then answers 409 (RecordBusyError) instead of outliving API
# Gateway's 29 s, which would tell the person it failed while it still went through.
LOCK_TIMEOUT = "3s"


def _log_edit(entity: str, entity_id: int, changes: dict[str, Any], by: str) -> None:
    # Who changed which fields (the token's name, never the token); the values stay in staff_edits,
    # since notes and phone numbers are personal data.
    log.info(
        f"staff edit of {entity} {entity_id} by {by}",
        extra={
            "event": "staff_edit",
            "entity": entity,
            "entity_id": entity_id,
            "fields": sorted(changes),
            "dropped": sorted(f for f, v in changes.items() if v is None),
            "edited_by": by,
        },
    )


def edit_order(
    db: Database, order_id: int, changes: dict[str, Any], *, by: str, zone: ZoneInfo
) -> dict[str, Any]:
    """Set (or with None, drop) staff values of an order; the order as it is now."""
    tz = str(zone.key)
    with db.transaction() as conn:
        conn.run(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        if not staff_edits.apply_edits(
            conn, entity="order", entity_id=order_id, changes=changes, columns=ORDER_COLUMNS, edited_by=by
        ):
            raise NotFoundError(f"order {order_id} does not exist")
        if "status" in changes:
            day = orders.local_day_of(conn, order_id, tz=tz)
            if day is not None:
                analytics.refresh_days(conn, [day], tz=tz)
                analytics.recompute_analytics(conn, tz=tz)
        order = orders.get_order(conn, order_id)
    assert order is not None
    _log_edit("order", order_id, changes, by)
    return order


def edit_product(
    db: Database, product_id: int, changes: dict[str, Any], *, by: str, zone: ZoneInfo
) -> dict[str, Any]:
    """Set (or with None, drop) staff values of a product; the product as it is now."""
    with db.transaction() as conn:
        conn.run(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        if not staff_edits.apply_edits(
            conn,
            entity="product",
            entity_id=product_id,
            changes=changes,
            columns=products.STAFF_FIELDS,
            edited_by=by,
        ):
            raise NotFoundError(f"product {product_id} does not exist")
        if "stock_quantity" in changes:
            analytics.record_stock_levels(conn, tz=str(zone.key), product_ids=[product_id])
        if "cost" in changes:
            analytics.refresh_days(conn, analytics.days_from_now(conn, tz=str(zone.key)), tz=str(zone.key))
        product = products.get_product(conn, product_id)
    assert product is not None
    _log_edit("product", product_id, changes, by)
    return product
