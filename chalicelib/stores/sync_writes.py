"""What the sync writes: staged rows merged into `orders`/`order_items` and `products`, set-based.

A run COPYs the records it found new or changed into temporary staging tables, a batch per round
trip, and merges each batch into its table in one statement (orders on a writer thread while the
next batch is validated, see `sync.writer`). The merge writes `upstream_*` columns only, never
`staff_*`: that is how a staff edit survives every sync. A row whose digest did not change is not
written (its `updated_at` stays).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from chalicelib.db import Connection
from chalicelib.stores.copy import copy_in, copy_rows
from chalicelib.sync.compact import StoredDigests

# -- orders ----------------------------------------------------------------------------------------

ORDER_COLUMNS = (
    "external_id", "upstream_status", "total_amount", "delivery_cost", "bonus", "bank_card",
    "customer_name", "customer_city", "customer_telegram_id", "created_at", "paid_at", "shipped_at",
    "upstream_hash",
)  # fmt: skip
ORDER_ITEM_COLUMNS = ("external_id", "position", "name", "normalized_name", "quantity", "price")

CREATE_ORDER_STAGE = """
CREATE TEMP TABLE stage_orders (
    external_id bigint PRIMARY KEY, upstream_status text, total_amount numeric(14, 2),
    delivery_cost numeric(14, 2), bonus numeric(14, 2), bank_card text, customer_name text,
    customer_city text, customer_telegram_id bigint, created_at timestamptz, paid_at timestamptz,
    shipped_at timestamptz, upstream_hash bytea
) ON COMMIT DROP;
CREATE TEMP TABLE stage_order_items (
    external_id bigint, position integer, name text, normalized_name text, quantity integer,
    price numeric(14, 2)
) ON COMMIT DROP;
"""

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

# Upsert staged orders (upstream columns only) and replace the items of each as a set.
MERGE_ORDERS = """
WITH upserted AS (
    INSERT INTO orders AS o (
        external_id, upstream_status, total_amount, delivery_cost, bonus, bank_card,
        customer_name, customer_city, customer_telegram_id, created_at, paid_at, shipped_at,
        upstream_hash)
    SELECT external_id, upstream_status, total_amount, delivery_cost, bonus, bank_card,
           customer_name, customer_city, customer_telegram_id, created_at, paid_at, shipped_at,
           upstream_hash
    FROM stage_orders
    ON CONFLICT (external_id) DO UPDATE SET
        upstream_status      = EXCLUDED.upstream_status,
        total_amount         = EXCLUDED.total_amount,
        delivery_cost        = EXCLUDED.delivery_cost,
        bonus                = EXCLUDED.bonus,
        bank_card            = EXCLUDED.bank_card,
        customer_name        = EXCLUDED.customer_name,
        customer_city        = EXCLUDED.customer_city,
        customer_telegram_id = EXCLUDED.customer_telegram_id,
        created_at           = EXCLUDED.created_at,
        paid_at              = EXCLUDED.paid_at,
        shipped_at           = EXCLUDED.shipped_at,
        upstream_hash        = EXCLUDED.upstream_hash,
        deleted_upstream_at  = NULL,
        synced_at            = now(),
        updated_at           = now()
    WHERE o.upstream_hash IS DISTINCT FROM EXCLUDED.upstream_hash OR o.deleted_upstream_at IS NOT NULL
    RETURNING o.id, o.external_id, (o.xmax = 0) AS inserted
),
removed AS (
    DELETE FROM order_items WHERE order_id IN (SELECT id FROM upserted WHERE NOT inserted)
),
added AS (
    INSERT INTO order_items (order_id, position, name, normalized_name, quantity, price, product_id)
    SELECT u.id, s.position, s.name, s.normalized_name, s.quantity, s.price, m.product_id
    FROM stage_order_items s
    JOIN upserted u USING (external_id)
    LEFT JOIN product_name_match m USING (normalized_name)
    RETURNING 1
)
SELECT (SELECT count(*) FROM upserted), (SELECT count(*) FROM added)
"""

# Orders that vanished from a complete listing: flagged, never deleted. Returns their local days.
MARK_ORDERS_DELETED = """
UPDATE orders SET deleted_upstream_at = now(), updated_at = now()
WHERE external_id = ANY(CAST(:ids AS bigint[])) AND deleted_upstream_at IS NULL
RETURNING (created_at AT TIME ZONE :tz)::date
"""


def order_digests(conn: Connection) -> StoredDigests:
    ids, digests, deleted = conn.run(ORDER_DIGESTS)[0]
    return StoredDigests(bytes(ids), bytes(digests), deleted)


def create_order_stage(conn: Connection) -> None:
    conn.run(CREATE_ORDER_STAGE)


def merge_order_batch(
    conn: Connection, orders: bytes, items: bytes, *, tz: str, not_sales: Sequence[str]
) -> tuple[set[date], set[date]]:
    """Stage one batch of orders and their items (`copy_payload`s) and merge it; return the local
    days the batch's orders had before (their order stats must be recomputed too) and the days
    whose product sales the batch changed (`not_sales`: the statuses that are not a sale)."""
    # No ANALYZE of the stage: the planner sizes a table from its pages, which is all these joins
    # need, and analyzing every batch cost a first sync of 100,000 orders 0.8 s.
    conn.run("TRUNCATE stage_orders, stage_order_items")
    copy_in(conn, "stage_orders", ORDER_COLUMNS, orders)
    copy_in(conn, "stage_order_items", ORDER_ITEM_COLUMNS, items)
    old_days = {row[0] for row in conn.run(STAGED_ORDER_OLD_DAYS, tz=tz) or []}
    sales_days = {row[0] for row in conn.run(STAGED_SALES_DAYS, tz=tz, not_sales=list(not_sales)) or []}
    conn.run(MERGE_ORDERS)
    return old_days, sales_days


# Rows written in one run above which the planner's statistics are refreshed inside the run: a
# first sync fills empty tables, and the statements after the merge would be planned for empty ones.
ANALYZE_AFTER_ROWS = 10_000


def after_order_merges(conn: Connection, *, staged: int, known: int) -> None:
    """`staged`: rows this run wrote; `known`: orders there were before. A re-sync that changed a
    tenth of the table or less leaves the statistics as good as they were (ANALYZE of a million
    orders costs a second)."""
    if staged >= max(ANALYZE_AFTER_ROWS, known // 10):
        conn.run("ANALYZE orders, order_items")


def mark_orders_deleted(conn: Connection, external_ids: Sequence[int], *, tz: str) -> tuple[int, set[date]]:
    if not external_ids:
        return 0, set()
    rows = conn.run(MARK_ORDERS_DELETED, ids=list(external_ids), tz=tz) or []
    return len(rows), {row[0] for row in rows}


# -- products --------------------------------------------------------------------------------------

PRODUCT_COLUMNS = (
    "external_id", "name", "normalized_name", "category", "brand", "description", "main_ingredient",
    "dosage_form", "weight", "package_quantity", "upstream_price", "upstream_old_price",
    "upstream_stock_quantity", "upstream_created_at", "upstream_updated_at", "upstream_deleted_at",
    "upstream_hash",
)  # fmt: skip

CREATE_PRODUCT_STAGE = """
CREATE TEMP TABLE stage_products (
    external_id bigint PRIMARY KEY, name text, normalized_name text, category text, brand text,
    description text, main_ingredient text, dosage_form text, weight text, package_quantity integer,
    upstream_price numeric(14, 2), upstream_old_price numeric(14, 2), upstream_stock_quantity integer,
    upstream_created_at timestamptz, upstream_updated_at timestamptz, upstream_deleted_at timestamptz,
    upstream_hash bytea
) ON COMMIT DROP
"""

# external id -> (digest, deleted upstream?, normalized name)
PRODUCT_DIGESTS = """
SELECT external_id, upstream_hash, deleted_upstream_at IS NOT NULL, normalized_name FROM products
"""

MERGE_PRODUCTS = """
INSERT INTO products AS p (
    external_id, name, normalized_name, category, brand, description, main_ingredient, dosage_form,
    weight, package_quantity, upstream_price, upstream_old_price, upstream_stock_quantity,
    upstream_created_at, upstream_updated_at, upstream_deleted_at, upstream_hash)
SELECT external_id, name, normalized_name, category, brand, description, main_ingredient, dosage_form,
       weight, package_quantity, upstream_price, upstream_old_price, upstream_stock_quantity,
       upstream_created_at, upstream_updated_at, upstream_deleted_at, upstream_hash
FROM stage_products
ON CONFLICT (external_id) DO UPDATE SET
    name                    = EXCLUDED.name,
    normalized_name         = EXCLUDED.normalized_name,
    category                = EXCLUDED.category,
    brand                   = EXCLUDED.brand,
    description             = EXCLUDED.description,
    main_ingredient         = EXCLUDED.main_ingredient,
    dosage_form             = EXCLUDED.dosage_form,
    weight                  = EXCLUDED.weight,
    package_quantity        = EXCLUDED.package_quantity,
    upstream_price          = EXCLUDED.upstream_price,
    upstream_old_price      = EXCLUDED.upstream_old_price,
    upstream_stock_quantity = EXCLUDED.upstream_stock_quantity,
    upstream_created_at     = EXCLUDED.upstream_created_at,
    upstream_updated_at     = EXCLUDED.upstream_updated_at,
    upstream_deleted_at     = EXCLUDED.upstream_deleted_at,
    upstream_hash           = EXCLUDED.upstream_hash,
    deleted_upstream_at     = NULL,
    synced_at               = now(),
    updated_at              = now()
WHERE p.upstream_hash IS DISTINCT FROM EXCLUDED.upstream_hash OR p.deleted_upstream_at IS NOT NULL
"""

MARK_PRODUCTS_DELETED = """
UPDATE products SET deleted_upstream_at = now(), updated_at = now()
WHERE external_id = ANY(CAST(:ids AS bigint[])) AND deleted_upstream_at IS NULL
RETURNING normalized_name
"""

# Re-match the items carrying these names (a product was added, renamed, deleted or restored);
# returns the local days of the orders whose items changed product.
REMATCH_ITEMS = """
WITH names AS (
    SELECT DISTINCT unnest(CAST(:names AS text[])) AS normalized_name
),
changed AS (
    UPDATE order_items i SET product_id = target.product_id
    FROM (SELECT n.normalized_name, m.product_id
          FROM names n LEFT JOIN product_name_match m USING (normalized_name)) AS target
    WHERE i.normalized_name = target.normalized_name
      AND i.product_id IS DISTINCT FROM target.product_id
    RETURNING i.order_id
)
SELECT DISTINCT (o.created_at AT TIME ZONE :tz)::date
FROM orders o WHERE o.id IN (SELECT order_id FROM changed)
"""


def product_digests(conn: Connection) -> dict[int, tuple[bytes, bool, str]]:
    return {row[0]: (bytes(row[1]), row[2], row[3]) for row in conn.run(PRODUCT_DIGESTS) or []}


def stage_products(conn: Connection, products: Sequence[Sequence[Any]]) -> None:
    conn.run(CREATE_PRODUCT_STAGE)
    copy_rows(conn, "stage_products", PRODUCT_COLUMNS, products)


def merge_staged_products(conn: Connection) -> None:
    conn.run(MERGE_PRODUCTS)


def mark_products_deleted(conn: Connection, external_ids: Sequence[int]) -> list[str]:
    """Flag vanished products; return their normalized names (their items must be re-matched)."""
    if not external_ids:
        return []
    return [row[0] for row in conn.run(MARK_PRODUCTS_DELETED, ids=list(external_ids)) or []]


def rematch_items(conn: Connection, names: set[str], *, tz: str) -> set[date]:
    if not names:
        return set()
    return {row[0] for row in conn.run(REMATCH_ITEMS, names=sorted(names), tz=tz) or []}
