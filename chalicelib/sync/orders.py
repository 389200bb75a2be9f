"""Orders: the shop's `/orders` listing into `orders` and `order_items`."""

from __future__ import annotations

from datetime import date
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from chalicelib.db import Connection
from chalicelib.names import normalize_name
from chalicelib.shop_records import ShopOrder, validation_context
from chalicelib.stores import analytics, sync_writes
from chalicelib.stores.copy import copy_payload
from chalicelib.sync.listing import Changes, Outcome, describe, iter_records
from chalicelib.sync.writer import BatchWriter

BATCH = 10_000  # orders per COPY and merge


class OrdersSync:
    resource = "orders"

    def __init__(self, zone: ZoneInfo, *, batch: int = BATCH) -> None:
        """`batch`: orders per COPY and merge; what a run holds in memory grows with it, not with
        the listing."""
        self._batch = batch
        self._zone = zone
        self._tz = str(zone.key)
        self._context = validation_context(zone)

    def apply(self, conn: Connection, listing: BinaryIO) -> Outcome:
        """Write what changed in the file `listing`; runs inside the caller's transaction."""
        outcome = Outcome()
        analytics.ensure_built_for(conn, tz=self._tz)
        changes = Changes(sync_writes.order_digests(conn), outcome, self.resource)
        sync_writes.create_order_stage(conn)
        days: set[date] = set()  # whose order stats change: every written order's, before and after
        sales_days: set[date] = set()  # whose product sales change (see STAGED_SALES_DAYS)
        orders: list[tuple[Any, ...]] = []
        items: list[tuple[Any, ...]] = []

        with BatchWriter() as writer:
            for read, listed in enumerate(iter_records(listing), start=1):
                if orders and read % self._batch == 0:
                    # A re-sync's few changes are written as they are found, on the writer thread
                    # while the rest is read, rather than all at the end.
                    self._submit(writer, conn, orders, items)
                    orders, items = [], []
                admitted = changes.admit(listed)
                if admitted is None:
                    continue
                try:
                    order = ShopOrder.model_validate(listed.value, context=self._context)
                except ValidationError as exc:
                    outcome.reject(listed.value, describe(exc))
                    continue
                changes.accept(order.id)
                orders.append(self._order_row(order, admitted[1]))
                items.extend(
                    (order.id, position, item.name, normalize_name(item.name), item.quantity, item.price)
                    for position, item in enumerate(order.order_items, start=1)
                )
                days.add(order.created_at.astimezone(self._zone).date())
                if len(orders) >= self._batch:
                    self._submit(writer, conn, orders, items)
                    orders, items = [], []
            if orders:
                self._submit(writer, conn, orders, items)
        for old_days, batch_sales_days in writer.results:
            days |= old_days
            sales_days |= batch_sales_days
        sync_writes.after_order_merges(conn, staged=changes.staged, known=len(changes.known))
        outcome.counts["deleted"], deleted_days = sync_writes.mark_orders_deleted(
            conn, changes.vanished(), tz=self._tz
        )
        analytics.refresh_sales(conn, sales_days | deleted_days, tz=self._tz)
        analytics.refresh_daily_stats(conn, days | deleted_days, tz=self._tz)
        analytics.recompute_analytics(conn, tz=self._tz)
        return outcome

    def not_modified(self, conn: Connection) -> None:
        """The analytics' 30-day window moves with the clock: recomputed by a 304 run too."""
        analytics.recompute_analytics(conn, tz=self._tz)

    def _submit(self, writer: BatchWriter, conn: Connection, orders: list[Any], items: list[Any]) -> None:
        # Formatted here, merged on the writer's thread while the next batch is validated.
        writer.submit(
            sync_writes.merge_order_batch,
            conn,
            copy_payload(orders),
            copy_payload(items),
            tz=self._tz,
            not_sales=analytics.NOT_SALES,
        )

    @staticmethod
    def _order_row(order: ShopOrder, record_digest: bytes) -> tuple[Any, ...]:
        user = order.user
        return (
            order.id, order.status, order.total_amount, order.delivery_cost, order.bonus,
            order.bank_card, user.full_name if user else None, user.city if user else None,
            user.id if user else None, order.created_at, order.paid_at, order.shipped_at, record_digest,
        )  # fmt: skip
