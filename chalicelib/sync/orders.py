"""Orders: the shop's `/orders` listing into `orders` and `order_items`.

One place for all of it: the rows the sync writes (`OrderRow`, `OrderItemRow`: their fields are the
columns), the SQL that stages and merges them, and `OrdersSync`, which reads the listing, decides what
changed and writes it a batch at a time (see `staging` for what every resource shares).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import BinaryIO, NamedTuple
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from chalicelib.db import Connection
from chalicelib.names import normalize_name
from chalicelib.shop_records import ShopOrder, validation_context
from chalicelib.stores import analytics
from chalicelib.stores.copy import copy_in, copy_payload
from chalicelib.sync import staging
from chalicelib.sync.compact import StoredDigests
from chalicelib.sync.listing import Changes, Outcome, describe, iter_records
from chalicelib.sync.writer import BatchWriter

BATCH = 10_000  # orders per COPY and merge


class OrderRow(NamedTuple):
    """An order as the sync writes it into `orders`."""

    external_id: int
    upstream_status: str
    total_amount: Decimal
    delivery_cost: Decimal | None
    bonus: Decimal | None
    bank_card: str | None
    customer_name: str | None
    customer_city: str | None
    customer_telegram_id: int | None
    created_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    upstream_hash: bytes


class OrderItemRow(NamedTuple):
    """An item of an order as staged (by the order's external id; `order_items` holds its row id)."""

    external_id: int
    position: int
    name: str
    normalized_name: str
    quantity: int
    price: Decimal


# What `order_items` stores of a staged item (its order is `order_id` there, found by external id).
ITEM_COLUMNS = OrderItemRow._fields[1:]

# The stage's items typed as `order_items` types them.
CREATE_STAGE = staging.create_stage("orders", OrderRow) + (
    "CREATE TEMP TABLE stage_order_items ON COMMIT DROP AS "
    f"SELECT o.external_id, {staging.columns(ITEM_COLUMNS, 'i.')} FROM orders o, order_items i WITH NO DATA"
)

# Every order's external id and digest, packed (see StoredDigests): two values, not a row per order,
# which pg8000 would take 8 microseconds each to read. A digest of another length (none is) matches nothing.
ORDER_DIGESTS = """
SELECT coalesce(string_agg(int8send(external_id), ''::bytea ORDER BY external_id), ''::bytea),
       coalesce(string_agg(CASE octet_length(upstream_hash) WHEN 16 THEN upstream_hash
                                ELSE decode(repeat('00', 16), 'hex') END,
                           ''::bytea ORDER BY external_id), ''::bytea),
       coalesce(array_agg(external_id) FILTER (WHERE deleted_upstream_at IS NOT NULL), '{}')
FROM orders
"""

# Shop-local days the staged orders had before this run (their order stats must be recomputed too).
STAGED_ORDER_OLD_DAYS = """
SELECT DISTINCT (o.created_at AT TIME ZONE :tz)::date
FROM orders o JOIN stage_orders s USING (external_id)
"""

# Shop-local days whose product sales the staged orders change (before and after): an order that is
# new or listed again, that becomes or stops being a sale, or that stays a sale but moves in time or
# changes its items. A status moving between two sale statuses, a card or a delivery cost does not
# change sales (most of a re-sync's changes), and refreshing every day they touch costs the whole
# table when they are spread over the year.
STAGED_SALES_DAYS = """
WITH staged_items AS (
    SELECT external_id, array_agg((position, name, quantity, price) ORDER BY position) AS items
    FROM stage_order_items GROUP BY external_id
),
before AS (
    SELECT s.external_id, o.id, o.created_at AS old_at, s.created_at AS new_at,
           o.status <> ALL (CAST(:not_sales AS text[])) AND o.deleted_upstream_at IS NULL AS old_sale,
           COALESCE(o.staff_status, s.upstream_status) <> ALL (CAST(:not_sales AS text[])) AS new_sale
    FROM stage_orders s JOIN orders o USING (external_id)
),
old_items AS (
    SELECT i.order_id, array_agg((i.position, i.name, i.quantity, i.price) ORDER BY i.position) AS items
    FROM order_items i WHERE i.order_id IN (SELECT id FROM before) GROUP BY i.order_id
),
moved AS (
    SELECT s.created_at AS at FROM stage_orders s
    WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.external_id = s.external_id)
    UNION ALL
    SELECT unnest(ARRAY[b.old_at, b.new_at])
    FROM before b
    LEFT JOIN old_items oi ON oi.order_id = b.id
    LEFT JOIN staged_items si ON si.external_id = b.external_id
    WHERE b.old_sale <> b.new_sale
       OR (b.new_sale AND (b.old_at <> b.new_at OR oi.items IS DISTINCT FROM si.items))
)
SELECT DISTINCT (at AT TIME ZONE :tz)::date FROM moved
"""

# Upsert the staged orders (the shop's columns only) and replace the items of each as a set, matched
# to products by normalized name.
MERGE = f"""
WITH upserted AS ({staging.upsert("orders", OrderRow)}
    RETURNING t.id, t.external_id, (t.xmax = 0) AS inserted
),
removed AS (
    DELETE FROM order_items WHERE order_id IN (SELECT id FROM upserted WHERE NOT inserted)
),
added AS (
    INSERT INTO order_items (order_id, {staging.columns(ITEM_COLUMNS)}, product_id)
    SELECT u.id, {staging.columns(ITEM_COLUMNS, "s.")}, m.product_id
    FROM stage_order_items s
    JOIN upserted u USING (external_id)
    LEFT JOIN product_name_match m USING (normalized_name)
    RETURNING 1
)
SELECT (SELECT count(*) FROM upserted), (SELECT count(*) FROM added)
"""

# Rows written in one run above which the planner's statistics are refreshed inside the run: a
# first sync fills empty tables, and the statements after the merge would be planned for empty ones.
ANALYZE_AFTER_ROWS = 10_000


def after_order_merges(conn: Connection, *, staged: int, known: int) -> None:
    """`staged`: rows this run wrote; `known`: orders there were before. A re-sync that changed a
    tenth of the table or less leaves the statistics as good as they were (ANALYZE of a million
    orders costs a second)."""
    if staged >= max(ANALYZE_AFTER_ROWS, known // 10):
        conn.run("ANALYZE orders, order_items")


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
        ids, digests, deleted = conn.run(ORDER_DIGESTS)[0]
        changes = Changes(StoredDigests(bytes(ids), bytes(digests), deleted), outcome, self.resource)
        conn.run(CREATE_STAGE)
        days: set[date] = set()  # whose order stats change: every written order's, before and after
        sales_days: set[date] = set()  # whose product sales change (see STAGED_SALES_DAYS)
        orders: list[OrderRow] = []
        items: list[OrderItemRow] = []

        with BatchWriter() as writer:
            for read, listed in enumerate(iter_records(listing), start=1):
                if orders and read % self._batch == 0:
                    # A re-sync's few changes are written as they are found, on the writer thread
                    # while the rest is read, rather than all at the end.
                    self._submit(writer, conn, orders, items)
                    orders, items = [], []
                digest = changes.admit(listed)
                if digest is None:
                    continue
                try:
                    order = ShopOrder.model_validate(listed.value, context=self._context)
                except ValidationError as exc:
                    outcome.reject(listed.value, describe(exc))
                    continue
                changes.accept(order.id)
                orders.append(order_row(order, digest))
                items.extend(item_rows(order))
                days.add(order.created_at.astimezone(self._zone).date())
                if len(orders) >= self._batch:
                    self._submit(writer, conn, orders, items)
                    orders, items = [], []
            if orders:
                self._submit(writer, conn, orders, items)
        for old_days, batch_sales_days in writer.results:
            days |= old_days
            sales_days |= batch_sales_days
        after_order_merges(conn, staged=changes.staged, known=len(changes.known))
        flagged = staging.mark_deleted(
            conn, "orders", changes.vanished(), "(created_at AT TIME ZONE :tz)::date", tz=self._tz
        )
        outcome.counts["deleted"], deleted_days = len(flagged), set(flagged)
        analytics.refresh_sales(conn, sales_days | deleted_days, tz=self._tz)
        analytics.refresh_daily_stats(conn, days | deleted_days, tz=self._tz)
        analytics.recompute_analytics(conn, tz=self._tz)
        return outcome

    def not_modified(self, conn: Connection) -> None:
        """The analytics' 30-day window moves with the clock: recomputed by a 304 run too."""
        analytics.recompute_analytics(conn, tz=self._tz)

    def _submit(
        self, writer: BatchWriter, conn: Connection, orders: list[OrderRow], items: list[OrderItemRow]
    ) -> None:
        # Formatted here, merged on the writer's thread while the next batch is validated.
        writer.submit(merge_batch, conn, copy_payload(orders), copy_payload(items), tz=self._tz)


def order_row(order: ShopOrder, digest: bytes) -> OrderRow:
    user = order.user
    return OrderRow(
        external_id=order.id,
        upstream_status=order.status,
        total_amount=order.total_amount,
        delivery_cost=order.delivery_cost,
        bonus=order.bonus,
        bank_card=order.bank_card,
        customer_name=user.full_name if user else None,
        customer_city=user.city if user else None,
        customer_telegram_id=user.id if user else None,
        created_at=order.created_at,
        paid_at=order.paid_at,
        shipped_at=order.shipped_at,
        upstream_hash=digest,
    )


def item_rows(order: ShopOrder) -> list[OrderItemRow]:
    return [
        OrderItemRow(
            external_id=order.id,
            position=position,
            name=item.name,
            normalized_name=normalize_name(item.name),
            quantity=item.quantity,
            price=item.price,
        )
        for position, item in enumerate(order.order_items, start=1)
    ]


def merge_batch(conn: Connection, orders: bytes, items: bytes, *, tz: str) -> tuple[set[date], set[date]]:
    """Stage one batch of orders and their items (`copy_payload`s) and merge it; return the local
    days the batch's orders had before (their order stats must be recomputed too) and the days
    whose product sales the batch changed."""
    conn.run("TRUNCATE stage_orders, stage_order_items")
    copy_in(conn, "stage_orders", OrderRow._fields, orders)
    copy_in(conn, "stage_order_items", OrderItemRow._fields, items)
    old_days = {row[0] for row in conn.run(STAGED_ORDER_OLD_DAYS, tz=tz) or []}
    sales_days = {
        row[0] for row in conn.run(STAGED_SALES_DAYS, tz=tz, not_sales=list(analytics.NOT_SALES)) or []
    }
    conn.run(MERGE)
    return old_days, sales_days
