"""Orders: the shop's `/orders` listing into `orders` and `order_items`."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from chalicelib.db import Connection
from chalicelib.names import normalize_name
from chalicelib.shop_records import ShopOrder, validation_context
from chalicelib.stores import analytics, sync_writes
from chalicelib.sync.listing import Outcome, describe, digest, external_id, iter_records

BATCH = 5_000  # orders per COPY round trip


class OrdersSync:
    resource = "orders"

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        self._tz = str(zone.key)
        self._context = validation_context(zone)

    def apply(self, conn: Connection, body: bytes) -> Outcome:
        """Write what changed in the listing `body`; runs inside the caller's transaction."""
        outcome = Outcome()
        counts = outcome.counts
        known = sync_writes.order_digests(conn)
        sync_writes.create_order_stage(conn)
        seen: set[int] = set()
        complete = True  # every record had a usable id: only then can absence mean deletion
        days: set[date] = set()
        orders: list[tuple[Any, ...]] = []
        items: list[tuple[Any, ...]] = []

        for raw in iter_records(body):
            counts["fetched"] += 1
            ident = external_id(raw)
            if ident is None:
                complete = False
                outcome.reject(raw, _id_problem(raw))
                continue
            if ident in seen:
                outcome.reject(raw, "duplicate id in one listing: the first record with it was kept")
                continue
            seen.add(ident)
            record_digest = digest(raw)
            before = known.get(ident)
            if before is not None and before[0] == record_digest and not before[1]:
                counts["unchanged"] += 1
                continue
            try:
                order = ShopOrder.model_validate(raw, context=self._context)
            except ValidationError as exc:
                outcome.reject(raw, describe(exc))
                continue
            counts["created" if before is None else "restored" if before[1] else "updated"] += 1
            orders.append(self._order_row(order, record_digest))
            items.extend(
                (order.id, position, item.name, normalize_name(item.name), item.quantity, item.price)
                for position, item in enumerate(order.order_items, start=1)
            )
            days.add(order.created_at.astimezone(self._zone).date())
            if len(orders) >= BATCH:
                sync_writes.stage_orders(conn, orders, items)
                orders, items = [], []
        sync_writes.stage_orders(conn, orders, items)

        staged = counts["created"] + counts["updated"] + counts["restored"]
        days |= sync_writes.merge_staged_orders(conn, tz=self._tz, staged=staged)
        if not complete:
            outcome.notes.append("some records had no usable id: no deletions inferred")
        elif not seen and known:
            outcome.notes.append("the shop listed no orders at all: no deletions inferred")
        else:
            vanished = [ident for ident, (_, deleted) in known.items() if not deleted and ident not in seen]
            counts["deleted"], deleted_days = sync_writes.mark_orders_deleted(conn, vanished, tz=self._tz)
            days |= deleted_days

        analytics.refresh_sales(conn, days, tz=self._tz)
        analytics.recompute_analytics(conn, tz=self._tz)
        return outcome

    @staticmethod
    def _order_row(order: ShopOrder, record_digest: bytes) -> tuple[Any, ...]:
        user = order.user
        return (
            order.id, order.status, order.total_amount, order.delivery_cost, order.bonus,
            order.bank_card, user.full_name if user else None, user.city if user else None,
            user.id if user else None, order.created_at, order.paid_at, order.shipped_at, record_digest,
        )  # fmt: skip


def _id_problem(raw: Any) -> str:
    if not isinstance(raw, dict):
        return f"not an object but {type(raw).__name__}"
    if "id" not in raw:
        return "id: missing"
    return f"id: not a positive integer ({str(raw.get('id'))[:40]!r})"
