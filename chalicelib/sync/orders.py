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
from chalicelib.stores.copy import copy_in, copy_out_rows, copy_payload
from chalicelib.sync import staging
from chalicelib.sync.compact import StoredDigests, int8s
from chalicelib.sync.deletion_guard import DeletionGuard
from chalicelib.sync.listing import Changes, Outcome, describe, scan_records
from chalicelib.sync.shape import ORDER_FIELDS, DriftAlarm, ShapeWatch
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

# Every order's external id and digest, packed (see StoredDigests), and the ids deleted upstream, in
# rows of up to 65,536 ids (a row per order would take pg8000 8 microseconds each to read). Read by
# `stored_digests` in COPY's binary form: the digests as their bytes, where a query's text would
# bring them as hex (twice the size, decoded after: 169 MB at a million orders, as one row). A digest
# of another length (none is) matches nothing.
ORDER_DIGESTS = """
SELECT string_agg(int8send(external_id), ''::bytea ORDER BY external_id),
       string_agg(CASE octet_length(upstream_hash) WHEN 16 THEN upstream_hash
                       ELSE decode(repeat('00', 16), 'hex') END, ''::bytea ORDER BY external_id),
       string_agg(int8send(external_id), ''::bytea) FILTER (WHERE deleted_upstream_at IS NOT NULL)
FROM orders
GROUP BY external_id >> 16
ORDER BY external_id >> 16
"""


def stored_digests(conn: Connection) -> StoredDigests:
    stored = StoredDigests()

    def add(row: list[bytes | None]) -> None:
        ids, digests, deleted = row
        stored.extend(ids or b"", digests or b"", int8s(deleted or b""))

    copy_out_rows(conn, ORDER_DIGESTS, add)
    return stored


# Shop-local days of the staged orders, before this run and after: their order stats must be recomputed.
STAGED_ORDER_DAYS = f"""
SELECT (o.created_at AT TIME ZONE :tz)::date FROM orders o JOIN stage_orders s USING (external_id)
WHERE {staging.ANY_STORED}
UNION
SELECT (created_at AT TIME ZONE :tz)::date FROM stage_orders
"""

# Shop-local days whose product sales the staged orders change (before and after): an order that is
# new or listed again, that becomes or stops being a sale, or that stays a sale but moves in time or
# changes its items. A status moving between two sale statuses, a card or a delivery cost does not
# change sales (most of a re-sync's changes), and refreshing every day they touch costs the whole
# table when they are spread over the year.
STAGED_SALES_DAYS = f"""
WITH staged_items AS (
    SELECT external_id, array_agg((position, name, quantity, price) ORDER BY position) AS items
    FROM stage_order_items GROUP BY external_id
),
before AS (
    SELECT s.external_id, o.id, o.created_at AS old_at, s.created_at AS new_at,
           o.status <> ALL (CAST(:not_sales AS text[])) AND o.deleted_upstream_at IS NULL AS old_sale,
           COALESCE(o.staff_status, s.upstream_status) <> ALL (CAST(:not_sales AS text[])) AS new_sale
    FROM stage_orders s JOIN orders o USING (external_id)
    WHERE {staging.ANY_STORED}
),
old_items AS (
    SELECT i.order_id, array_agg((i.position, i.name, i.quantity, i.price) ORDER BY i.position) AS items
    FROM order_items i WHERE i.order_id IN (SELECT id FROM before) GROUP BY i.order_id
),
moved AS (
    SELECT s.created_at AS at FROM stage_orders s
    WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.external_id = s.external_id AND {staging.ANY_STORED})
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

# Upsert the staged orders (the shop's columns only) and replace the items of each order whose items
# changed (a new order's too), as a set, matched to products by normalized name. An order whose items
# are as they were keeps them: most of a re-sync's changes are a status, a card or a delivery cost, and
# rewriting their items cost three quarters of the statement (and as many dead rows). Each step returns
# what the per-day tables need of it.
_WRITE_ORDERS = f"""
{staging.history("orders", "order", OrderRow)},
before AS (
    SELECT o.id, o.created_at, o.status, o.total_amount, o.deleted_upstream_at IS NULL AS listed
    FROM orders o JOIN stage_orders s USING (external_id)
    WHERE {staging.ANY_STORED}
),
upserted AS ({staging.upsert("orders", OrderRow)}
    RETURNING t.id, t.external_id, (t.xmax = 0) AS inserted, t.created_at, t.status, t.total_amount
),
old_items AS (  -- read once: compared, moved out of the sales, and kept where they did not change
    SELECT order_id, position, name, quantity, price, product_id, total
    FROM order_items WHERE order_id IN (SELECT id FROM upserted WHERE NOT inserted)
),
rewritten AS (
    SELECT u.id, u.inserted FROM upserted u
    LEFT JOIN (
        SELECT order_id, array_agg((position, name, quantity, price) ORDER BY position) AS items
        FROM old_items GROUP BY order_id
    ) o ON o.order_id = u.id
    LEFT JOIN (
        SELECT external_id, array_agg((position, name, quantity, price) ORDER BY position) AS items
        FROM stage_order_items WHERE external_id IN (SELECT external_id FROM upserted WHERE NOT inserted)
        GROUP BY external_id
    ) s ON s.external_id = u.external_id
    WHERE u.inserted OR o.items IS DISTINCT FROM s.items
),
item_history AS (  -- an order whose items changed: its items before and after, on its timeline
    INSERT INTO record_events (entity, entity_id, run_id, kind, changes)
    SELECT 'order', r.id, {staging.RUN_ID}, 'changed', jsonb_build_object('items', jsonb_build_array(
        (SELECT jsonb_agg(jsonb_build_array(o.name, o.quantity, CAST(o.price AS text)) ORDER BY o.position)
         FROM old_items o WHERE o.order_id = r.id),
        (SELECT jsonb_agg(jsonb_build_array(i.name, i.quantity, CAST(i.price AS text)) ORDER BY i.position)
         FROM stage_order_items i WHERE i.external_id = u.external_id)
    ))
    FROM rewritten r JOIN upserted u ON u.id = r.id
    WHERE NOT r.inserted
),
removed AS (  -- read by nothing: a statement in WITH runs to completion all the same
    DELETE FROM order_items WHERE order_id IN (SELECT id FROM rewritten WHERE NOT inserted)
),
added AS (
    INSERT INTO order_items (order_id, {staging.columns(ITEM_COLUMNS)}, product_id)
    SELECT u.id, {staging.columns(ITEM_COLUMNS, "s.")}, m.product_id
    FROM stage_order_items s
    JOIN upserted u USING (external_id)
    LEFT JOIN product_name_match m USING (normalized_name)
    WHERE u.id IN (SELECT id FROM rewritten)
    RETURNING order_id, product_id, quantity, total
),
new_items AS (  -- each written order's items after the statement: added, or kept
    SELECT order_id, product_id, quantity, total FROM added
    UNION ALL
    SELECT order_id, product_id, quantity, total FROM old_items
    WHERE order_id NOT IN (SELECT id FROM rewritten)
)"""

# The merge of a large batch (a first sync's): the per-day tables are refreshed afterwards for the
# days it touched (STAGED_ORDER_DAYS, STAGED_SALES_DAYS), once per run.
MERGE = f"""
WITH {_WRITE_ORDERS}
SELECT (SELECT count(*) FROM upserted), (SELECT count(*) FROM added)
"""

# The merge of a small batch (a re-sync's few changes), which also moves the per-day tables by what
# it changed: each written order's old contribution out (its old items, day, status; none if it was
# not listed), its new one in. Refreshing the days instead costs every order of those days, and a
# re-sync's changes are spread over the year. Every sum is exact (integers, NUMERIC), so the tables
# stay what a refresh would compute (tests/test_sync.py checks it against one). One value cannot be
# moved: a (product, day)'s latest sale when the order that was it leaves and no later one comes;
# the statement returns those days, for `analytics.refresh_sales` (a cancellation of a day's last
# order does it; a card or a status between two sales does not).
# An order's cost of goods moves with it, at the cost in force when it was created (the same
# `product_cost_periods` the refreshes read: a cost edit only starts a period now).
MERGE_MOVING_DAYS = f"""
WITH {_WRITE_ORDERS},
old_goods AS (  -- each written order's items before, at the cost in force when it was created
    SELECT r.order_id, r.product_id, r.quantity, r.total, c.cost
    FROM old_items r JOIN before b ON b.id = r.order_id
    LEFT JOIN product_cost_periods c
           ON c.product_id = r.product_id AND b.created_at >= c.valid_from AND b.created_at < c.valid_to
),
new_goods AS (  -- and after
    SELECT a.order_id, a.product_id, a.quantity, a.total, c.cost
    FROM new_items a JOIN upserted u ON u.id = a.order_id
    LEFT JOIN product_cost_periods c
           ON c.product_id = a.product_id AND u.created_at >= c.valid_from AND u.created_at < c.valid_to
),
sales_moves AS (
    SELECT r.product_id, (b.created_at AT TIME ZONE :tz)::date AS day,
           -sum(r.quantity) AS qty, -sum(r.total) AS revenue, -count(DISTINCT r.order_id) AS orders,
           NULL::timestamptz AS latest, max(b.created_at) AS lost,
           -coalesce(sum(r.quantity * r.cost), 0) AS cogs,
           -coalesce(sum(r.total) FILTER (WHERE r.cost IS NULL), 0) AS uncosted
    FROM old_goods r JOIN before b ON b.id = r.order_id
    WHERE r.product_id IS NOT NULL AND b.listed AND b.status <> ALL (CAST(:not_sales AS text[]))
    GROUP BY 1, 2
    UNION ALL
    SELECT a.product_id, (u.created_at AT TIME ZONE :tz)::date,
           sum(a.quantity), sum(a.total), count(DISTINCT a.order_id), max(u.created_at), NULL,
           coalesce(sum(a.quantity * a.cost), 0), coalesce(sum(a.total) FILTER (WHERE a.cost IS NULL), 0)
    FROM new_goods a JOIN upserted u ON u.id = a.order_id
    WHERE a.product_id IS NOT NULL AND u.status <> ALL (CAST(:not_sales AS text[]))
    GROUP BY 1, 2
),
sales AS (
    SELECT product_id, day, sum(qty)::integer AS qty, sum(revenue) AS revenue, sum(orders)::integer AS orders,
           max(latest) AS latest, max(lost) AS lost, sum(cogs) AS cogs, sum(uncosted) AS uncosted
    FROM sales_moves GROUP BY 1, 2
),
sales_written AS (
    INSERT INTO product_trends AS t (product_id, day, sales_qty, revenue, orders, last_sale_at, cogs,
                                     uncosted_revenue)
    SELECT product_id, day, qty, revenue, orders, latest, cogs, uncosted FROM sales
    WHERE qty <> 0 OR revenue <> 0 OR orders <> 0 OR cogs <> 0 OR uncosted <> 0
       OR latest > lost  -- a card changed: nothing moves
    ON CONFLICT (product_id, day) DO UPDATE SET
        sales_qty        = t.sales_qty + EXCLUDED.sales_qty,
        revenue          = t.revenue + EXCLUDED.revenue,
        orders           = t.orders + EXCLUDED.orders,
        last_sale_at     = CASE WHEN t.orders + EXCLUDED.orders > 0
                                THEN greatest(t.last_sale_at, EXCLUDED.last_sale_at) END,
        cogs             = t.cogs + EXCLUDED.cogs,
        uncosted_revenue = t.uncosted_revenue + EXCLUDED.uncosted_revenue
),
latest_lost AS (  -- by the key, row by row (LIMIT): a join would read all of product_trends
    SELECT DISTINCT s.day FROM sales s
    CROSS JOIN LATERAL (
        SELECT t.last_sale_at, t.orders FROM product_trends t
        WHERE t.product_id = s.product_id AND t.day = s.day LIMIT 1
    ) t
    WHERE (s.latest IS NULL OR s.latest < s.lost) AND s.lost >= t.last_sale_at AND t.orders + s.orders > 0
),
old_order_goods AS (
    SELECT order_id, sum(total) AS revenue, coalesce(sum(quantity * cost), 0) AS cogs,
           coalesce(sum(total) FILTER (WHERE cost IS NULL), 0) AS uncosted
    FROM old_goods GROUP BY 1
),
new_order_goods AS (
    SELECT order_id, sum(total) AS revenue, coalesce(sum(quantity * cost), 0) AS cogs,
           coalesce(sum(total) FILTER (WHERE cost IS NULL), 0) AS uncosted
    FROM new_goods GROUP BY 1
),
stats_moves AS (
    SELECT (b.created_at AT TIME ZONE :tz)::date AS day, b.status, b.listed, -1 AS orders,
           -b.total_amount AS revenue, -coalesce(g.revenue, 0) AS goods, -coalesce(g.cogs, 0) AS cogs,
           -coalesce(g.uncosted, 0) AS uncosted
    FROM before b JOIN upserted u ON u.id = b.id LEFT JOIN old_order_goods g ON g.order_id = b.id
    UNION ALL
    SELECT (u.created_at AT TIME ZONE :tz)::date, u.status, true, 1, u.total_amount,
           coalesce(g.revenue, 0), coalesce(g.cogs, 0), coalesce(g.uncosted, 0)
    FROM upserted u LEFT JOIN new_order_goods g ON g.order_id = u.id
),
stats_written AS (
    INSERT INTO order_daily_stats AS s (day, status, listed, orders, revenue, goods_revenue, cogs,
                                        uncosted_revenue)
    SELECT day, status, listed, sum(orders)::integer, sum(revenue), sum(goods), sum(cogs), sum(uncosted)
    FROM stats_moves
    GROUP BY 1, 2, 3
    HAVING sum(orders) <> 0 OR sum(revenue) <> 0 OR sum(goods) <> 0 OR sum(cogs) <> 0 OR sum(uncosted) <> 0
    ON CONFLICT (day, status, listed) DO UPDATE SET
        orders = s.orders + EXCLUDED.orders, revenue = s.revenue + EXCLUDED.revenue,
        goods_revenue = s.goods_revenue + EXCLUDED.goods_revenue, cogs = s.cogs + EXCLUDED.cogs,
        uncosted_revenue = s.uncosted_revenue + EXCLUDED.uncosted_revenue
)
SELECT (SELECT count(*) FROM upserted), (SELECT count(*) FROM added),
       (SELECT coalesce(array_agg(day), '{{}}') FROM latest_lost)
"""

# Stats rows that the moves above emptied (a status's last order of a day moved on).
DROP_EMPTY_STATS = "DELETE FROM order_daily_stats WHERE orders = 0"

# Which batches move the per-day tables themselves (MERGE_MOVING_DAYS): those of up to 2,000 orders,
# or up to a tenth of the orders stored before the run. A refresh costs every order of the days it
# refreshes (a re-sync's changes are spread over the year: all of them, 8.5 s at a million orders); the
# moves cost the changed orders alone. But a first sync's batches of 10,000 new orders would each move
# some 25,000 (product, day) rows, 2.5 million moves for a million orders against 180,000 rows refreshed
# once at the end.
MOVES_UP_TO = 2_000


def moves_up_to(stored: int) -> int:
    """The largest batch that moves the per-day tables itself, with `stored` orders before the run."""
    return max(MOVES_UP_TO, stored // 10)


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

    def __init__(
        self,
        zone: ZoneInfo,
        *,
        batch: int | None = None,
        guard: DeletionGuard | None = None,
        drift: DriftAlarm | None = None,
    ) -> None:
        """`batch`: orders per COPY and merge (BATCH when the run starts, if not given); what a run
        holds in memory grows with it, not with the listing. `guard`: how many vanished orders may
        be flagged at once. `drift`: when the run's shape report raises the alarm."""
        self._batch = batch
        self._guard = guard or DeletionGuard()
        self._drift = drift or DriftAlarm()
        self._tz = str(zone.key)
        self._context = validation_context(zone)

    def prepare(self, conn: Connection) -> StoredDigests:
        return stored_digests(conn)

    def apply(self, conn: Connection, listing: BinaryIO, stored: StoredDigests) -> Outcome:
        """Write what changed in the file `listing` against what is `stored`; runs inside the
        caller's transaction."""
        outcome = Outcome()
        analytics.ensure_built_for(conn, tz=self._tz)
        changes = Changes(stored, outcome, self.resource)
        shape = ShapeWatch(ORDER_FIELDS)
        conn.run(CREATE_STAGE)
        stats_days: set[date] = set()  # whose order stats and product sales are to be refreshed
        sales_days: set[date] = set()
        orders: list[OrderRow] = []
        items: list[OrderItemRow] = []
        batch = self._batch or BATCH
        moves = moves_up_to(len(stored))
        any_stored = False  # in the batch being built (see staging.ANY_STORED)

        with BatchWriter() as writer:
            for scanned in scan_records(listing):
                digest = changes.admit(scanned)
                if digest is None:
                    continue
                raw = scanned.exact().value
                shape.look(raw)
                try:
                    order = ShopOrder.model_validate(raw, context=self._context)
                except ValidationError as exc:
                    outcome.reject(raw, describe(exc))
                    continue
                any_stored |= changes.accept(order.id) != "created"
                orders.append(order_row(order, digest))
                items.extend(item_rows(order))
                if len(orders) >= batch:
                    self._submit(
                        writer, conn, orders, items, any_stored=any_stored, moves=len(orders) <= moves
                    )
                    orders, items, any_stored = [], [], False
            if orders:
                self._submit(writer, conn, orders, items, any_stored=any_stored, moves=len(orders) <= moves)
        for batch_stats_days, batch_sales_days in writer.results:
            stats_days |= batch_stats_days
            sales_days |= batch_sales_days
        conn.run(DROP_EMPTY_STATS)
        after_order_merges(conn, staged=changes.staged, known=len(changes.known))
        gone = self._guard.screen(conn, self.resource, changes.vanished(), stored.listed_count(), outcome)
        deleted_days = self._flag_deleted(conn, gone, outcome)
        analytics.refresh_sales(conn, sales_days | deleted_days, tz=self._tz)
        analytics.refresh_daily_stats(conn, stats_days | deleted_days, tz=self._tz)
        analytics.recompute_analytics(conn, tz=self._tz)
        outcome.shape = shape.report(conn, outcome.counts, self._drift)
        return outcome

    def not_modified(self, conn: Connection) -> None:
        """The analytics' 30-day window moves with the clock: recomputed by a 304 run too."""
        analytics.recompute_analytics(conn, tz=self._tz)

    def delete(self, conn: Connection, external_ids: list[int]) -> int:
        """Flag these orders as deleted upstream, outside a run (the staff applied held deletions),
        and bring what counts them up to date; how many were flagged."""
        outcome = Outcome()
        days = self._flag_deleted(conn, external_ids, outcome)
        analytics.ensure_built_for(conn, tz=self._tz)
        analytics.refresh_sales(conn, days, tz=self._tz)
        analytics.refresh_daily_stats(conn, days, tz=self._tz)
        analytics.recompute_analytics(conn, tz=self._tz)
        return outcome.counts["deleted"]

    def _flag_deleted(self, conn: Connection, external_ids: list[int], outcome: Outcome) -> set[date]:
        """Flag the live ones of these orders; the shop days of those flagged (their sales and stats
        change)."""
        flagged = staging.mark_deleted(
            conn, "orders", "order", external_ids, "(created_at AT TIME ZONE :tz)::date", tz=self._tz
        )
        outcome.counts["deleted"] = len(flagged)
        return set(flagged)

    def _submit(
        self,
        writer: BatchWriter,
        conn: Connection,
        orders: list[OrderRow],
        items: list[OrderItemRow],
        *,
        any_stored: bool,
        moves: bool,
    ) -> None:
        # Formatted here, merged on the writer's thread while the next batch is validated.
        orders_copy, items_copy = copy_payload(orders), copy_payload(items)
        writer.submit(
            merge_batch, conn, orders_copy, items_copy, any_stored=any_stored, moves=moves, tz=self._tz
        )


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


def merge_batch(
    conn: Connection, orders: bytes, items: bytes, *, any_stored: bool, moves: bool, tz: str
) -> tuple[set[date], set[date]]:
    """Stage one batch of orders and their items (`copy_payload`s) and merge it, moving the per-day
    tables by it when `moves` (see MOVES_UP_TO); return the local days whose order stats and whose
    product sales are still to be refreshed (none of the first when it moved them). `any_stored`:
    whether the batch holds an order stored before the run (staging.ANY_STORED)."""
    conn.run("TRUNCATE stage_orders, stage_order_items")
    copy_in(conn, "stage_orders", OrderRow._fields, orders)
    copy_in(conn, "stage_order_items", OrderItemRow._fields, items)
    params = {"tz": tz, "any_stored": any_stored}
    not_sales = list(analytics.NOT_SALES)
    if moves:
        latest_lost = conn.run(MERGE_MOVING_DAYS, not_sales=not_sales, **params)[0][2]
        return set(), set(latest_lost)
    stats_days = {row[0] for row in conn.run(STAGED_ORDER_DAYS, **params) or []}
    sales_days = {row[0] for row in conn.run(STAGED_SALES_DAYS, not_sales=not_sales, **params) or []}
    conn.run(MERGE, any_stored=any_stored)
    return stats_days, sales_days
