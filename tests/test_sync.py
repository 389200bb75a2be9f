"""Every promise of the sync (docs/sync.md), against a real Postgres and the fake shop over HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest

from chalicelib import edits
from chalicelib.db import Database
from chalicelib.errors import DatabaseUnavailableError
from chalicelib.names import normalize_name
from chalicelib.stores import analytics
from chalicelib.sync import RunSummary, SyncService
from chalicelib.sync import orders as orders_sync
from devtools.fake_shop import FakeShop
from devtools.shop_data import DELIVERY_NAME, ShopData
from tests.conftest import SYNC_LOCKS, ZONE, Sleeps, database_for, sync_lock_holders, wait_until


def rows(db: Database, sql: str, **params: Any) -> list[list[Any]]:
    return db.run(sql, **params)


def value(db: Database, sql: str, **params: Any) -> Any:
    return db.run(sql, **params)[0][0]


def synced(sync: SyncService) -> list[RunSummary]:
    summaries = sync.run_all(trigger="cli")
    assert [s.status for s in summaries] == ["succeeded", "succeeded"], [s.error for s in summaries]
    return summaries


def shop_products(data: ShopData) -> list[dict[str, Any]]:
    return data.real_products()


# -- first sync ------------------------------------------------------------------------------------


def test_first_sync_creates_every_order_item_and_product(
    sync: SyncService, db: Database, shop_data: ShopData
):
    products, orders = synced(sync)
    assert (
        products.counts.created == len(shop_products(shop_data)) == value(db, "SELECT count(*) FROM products")
    )
    assert orders.counts.created == len(shop_data.orders) == value(db, "SELECT count(*) FROM orders")
    assert orders.counts.fetched == len(shop_data.orders)
    items = sum(len(o["order_items"]) for o in shop_data.orders)
    assert value(db, "SELECT count(*) FROM order_items") == items


def test_categories_and_the_delivery_pseudo_product_are_not_products(sync: SyncService, db: Database):
    synced(sync)
    names = {r[0] for r in rows(db, "SELECT name FROM products")}
    assert not names & {"Товары", "СДВГ", "Для похудения", "Противозачаточные", "Другое", DELIVERY_NAME}
    assert value(db, "SELECT category FROM products WHERE name = 'Atominex 18 mg'") == "СДВГ"
    assert value(db, "SELECT count(*) FROM products WHERE category IS NULL") == 0


def test_money_is_exact_and_times_are_read_in_the_shop_zone(
    sync: SyncService, db: Database, shop_data: ShopData
):
    synced(sync)
    raw = shop_data.orders[0]
    total, created = rows(
        db, "SELECT total_amount, created_at FROM orders WHERE external_id = :e", e=raw["id"]
    )[0]
    assert total == Decimal(raw["total_amount"])
    assert created.astimezone(ZONE).strftime("%d.%m.%Y %H:%M:%S") == raw["created_at"]
    # Moscow is UTC+3: the stored instant is three hours before the wall-clock reading.
    assert created.utcoffset() is not None


def test_items_match_products_by_normalized_name_despite_spelling(sync: SyncService, db: Database):
    synced(sync)
    unmatched = rows(db, "SELECT name FROM order_items WHERE product_id IS NULL")
    assert unmatched == []
    spelled = rows(
        db,
        """SELECT i.name, p.name FROM order_items i JOIN products p ON p.id = i.product_id
                          WHERE i.name <> p.name LIMIT 50""",
    )
    assert spelled, "the fake shop spells item names unlike product names"
    for item_name, product_name in spelled:
        assert normalize_name(item_name) == normalize_name(product_name)


def test_an_item_naming_no_single_product_gets_no_product(
    sync: SyncService, db: Database, shop_data: ShopData
):
    order = shop_data.orders[0]
    shop_data.set_order(order["id"], order_items=[
        {"name": "Unknown pill 5 mg", "quantity": 1, "price": "100.0"},
        *order["order_items"],
    ])  # fmt: skip
    synced(sync)
    assert value(db, "SELECT product_id FROM order_items WHERE name = 'Unknown pill 5 mg'") is None


# -- unchanged records are not written -------------------------------------------------------------


def test_an_unchanged_resync_writes_nothing(sync: SyncService, db: Database, shop_data: ShopData):
    synced(sync)
    before = rows(
        db,
        "SELECT id, updated_at, synced_at FROM orders UNION ALL "
        "SELECT id, updated_at, synced_at FROM products",
    )
    items_before = rows(db, "SELECT id FROM order_items ORDER BY id")
    products, orders = synced(sync)
    assert orders.counts.unchanged == orders.counts.fetched == len(shop_data.orders)
    assert products.counts.unchanged == products.counts.fetched
    for run in (products, orders):
        assert (run.counts.created, run.counts.updated, run.counts.deleted, run.counts.restored) == (
            0,
            0,
            0,
            0,
        )
    after = rows(
        db,
        "SELECT id, updated_at, synced_at FROM orders UNION ALL "
        "SELECT id, updated_at, synced_at FROM products",
    )
    assert after == before
    assert rows(db, "SELECT id FROM order_items ORDER BY id") == items_before


def test_a_changed_order_is_updated_and_its_items_replaced_as_a_set(
    sync: SyncService, db: Database, shop_data: ShopData
):
    synced(sync)
    order = shop_data.orders[5]
    product = shop_products(shop_data)[0]
    shop_data.set_order(order["id"], order_items=[{"name": product["name"], "quantity": 2, "price": "10.5"}])
    _, orders = synced(sync)
    assert (orders.counts.updated, orders.counts.unchanged) == (1, len(shop_data.orders) - 1)
    items = rows(
        db,
        """SELECT i.name, i.quantity, i.price, i.total FROM order_items i
                        JOIN orders o ON o.id = i.order_id WHERE o.external_id = :e""",
        e=order["id"],
    )
    assert items == [[product["name"], 2, Decimal("10.50"), Decimal("21.00")]]


# -- staff edits win -------------------------------------------------------------------------------


def test_staff_edits_survive_ten_syncs_that_change_the_same_fields(
    sync: SyncService, db: Database, shop_data: ShopData
):
    synced(sync)
    order = shop_data.orders[0]
    product = shop_products(shop_data)[0]
    db.run("UPDATE orders SET staff_status = 'delivered' WHERE external_id = :e", e=order["id"])
    db.run("UPDATE products SET staff_price = 1990.00, staff_stock_quantity = 12 WHERE external_id = :e",
           e=product["id"])  # fmt: skip
    statuses = (
        "unpaid",
        "paid",
        "processing",
        "shipped",
        "cancelled",
        "overdue",
        "paid",
        "processing",
        "shipped",
        "refunded",
    )
    for step, status in enumerate(statuses):
        shop_data.set_order(order["id"], status=status)
        shop_data.set_product(product["id"], price=f"{3000 + step}.0", stock_quantity=50 + step)
        synced(sync)
        assert rows(
            db, "SELECT status, upstream_status FROM orders WHERE external_id = :e", e=order["id"]
        ) == [["delivered", status]]
        assert rows(db, "SELECT price, upstream_price, stock_quantity, upstream_stock_quantity FROM products "
                        "WHERE external_id = :e", e=product["id"]) == \
            [[Decimal("1990.00"), Decimal(f"{3000 + step}.00"), 12, 50 + step]]  # fmt: skip

    # Dropping the edits shows the shop's newest values.
    db.run("UPDATE orders SET staff_status = NULL WHERE external_id = :e", e=order["id"])
    db.run(
        "UPDATE products SET staff_price = NULL, staff_stock_quantity = NULL WHERE external_id = :e",
        e=product["id"],
    )
    assert value(db, "SELECT status FROM orders WHERE external_id = :e", e=order["id"]) == "refunded"
    assert rows(db, "SELECT price, stock_quantity FROM products WHERE external_id = :e", e=product["id"]) == [
        [Decimal("3009.00"), 59]
    ]


def test_fields_the_shop_never_sends_are_never_written_by_the_sync(
    sync: SyncService, db: Database, shop_data: ShopData
):
    synced(sync)
    order = shop_data.orders[1]
    product = shop_products(shop_data)[1]
    db.run(
        "UPDATE orders SET staff_customer_phone = '+7 900 000-00-00', staff_notes = 'VIP' "
        "WHERE external_id = :e",
        e=order["id"],
    )
    db.run(
        "UPDATE products SET staff_cost = 850.00, staff_is_hidden = true WHERE external_id = :e",
        e=product["id"],
    )
    shop_data.set_order(order["id"], status="cancelled")
    shop_data.set_product(product["id"], price="1.0")
    synced(sync)
    assert rows(
        db, "SELECT staff_customer_phone, staff_notes FROM orders WHERE external_id = :e", e=order["id"]
    ) == [["+7 900 000-00-00", "VIP"]]
    assert rows(db, "SELECT cost, is_hidden FROM products WHERE external_id = :e", e=product["id"]) == [
        [Decimal("850.00"), True]
    ]


# -- deletions and restores ------------------------------------------------------------------------


def test_a_vanished_order_is_flagged_never_deleted_and_restored_when_back(
    sync: SyncService, db: Database, shop_data: ShopData
):
    synced(sync)
    order = shop_data.orders[3]
    shop_data.delete_orders([order["id"]])
    _, orders = synced(sync)
    assert orders.counts.deleted == 1
    assert value(
        db, "SELECT deleted_upstream_at IS NOT NULL FROM orders WHERE external_id = :e", e=order["id"]
    )
    items = "SELECT count(*) FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.external_id = :e"
    assert value(db, items, e=order["id"]) == len(order["order_items"])
    _, again = synced(sync)
    assert again.counts.deleted == 0  # flagged once

    shop_data.restore_order(order)
    _, orders = synced(sync)
    assert (orders.counts.restored, orders.counts.created) == (1, 0)
    assert value(db, "SELECT deleted_upstream_at FROM orders WHERE external_id = :e", e=order["id"]) is None


def test_a_vanished_product_is_flagged_and_restored(sync: SyncService, db: Database, shop_data: ShopData):
    synced(sync)
    product = shop_products(shop_data)[2]
    shop_data.delete_products([product["id"]])
    products, _ = synced(sync)
    assert products.counts.deleted == 1
    shop_data.products.append(product)
    shop_data.set_product(product["id"])
    products, _ = synced(sync)
    assert products.counts.restored == 1
    assert value(db, "SELECT count(*) FROM products WHERE deleted_upstream_at IS NOT NULL") == 0


def test_an_empty_listing_infers_no_deletions(sync: SyncService, db: Database, shop_data: ShopData):
    synced(sync)
    shop_data.delete_orders([o["id"] for o in shop_data.orders])
    _, orders = sync.run_all(trigger="cli")
    assert orders.status == "partial" and "no deletions" in (orders.error or "")
    assert value(db, "SELECT count(*) FROM orders WHERE deleted_upstream_at IS NOT NULL") == 0


def test_a_record_without_a_usable_id_infers_no_deletions(
    sync: SyncService, db: Database, shop_data: ShopData
):
    synced(sync)
    shop_data.delete_orders([shop_data.orders[0]["id"]])
    shop_data.break_record("orders", shop_data.orders[0]["id"], "no_id")
    _, orders = sync.run_all(trigger="cli")
    assert orders.status == "partial"
    assert orders.counts.deleted == 0
    assert value(db, "SELECT count(*) FROM orders WHERE deleted_upstream_at IS NOT NULL") == 0


# -- invalid records -------------------------------------------------------------------------------


def test_invalid_records_are_quarantined_and_the_rest_goes_on(
    sync: SyncService, db: Database, shop_data: ShopData
):
    synced(sync)
    good_before = {r[0]: r[1] for r in rows(db, "SELECT external_id, total_amount FROM orders")}
    broken = shop_data.break_fraction("orders", 0.05, "bad_total")
    for how, order in zip(
        ("bad_date", "zero_quantity", "bad_item_price", "no_items"), shop_data.orders[-4:], strict=True
    ):
        shop_data.break_record("orders", order["id"], how)
        broken.append(order["id"])
    new = shop_data.add_orders(5)
    _, orders = sync.run_all(trigger="cli")
    assert orders.status == "partial"
    assert orders.counts.invalid == len(set(broken))
    assert orders.counts.created == 5
    assert orders.counts.deleted == 0  # a quarantined record is still listed: not deleted
    quarantined = rows(
        db, "SELECT external_id, reason, payload FROM sync_quarantine WHERE run_id = :r", r=orders.id
    )
    assert {int(q[0]) for q in quarantined} == set(broken)
    by_id = {int(q[0]): q for q in quarantined}
    assert "total_amount" in by_id[broken[0]][1]
    assert by_id[broken[0]][2]["total_amount"] == "12,5 руб"  # the raw payload, as sent
    # The last good version of each broken record stays as it was.
    for ident in broken:
        assert (
            value(db, "SELECT total_amount FROM orders WHERE external_id = :e", e=ident) == good_before[ident]
        )
    assert all(value(db, "SELECT count(*) FROM orders WHERE external_id = :e", e=o["id"]) == 1 for o in new)


def test_invalid_products_are_quarantined(sync: SyncService, db: Database, shop_data: ShopData):
    products = shop_products(shop_data)
    shop_data.break_record("products", products[0]["id"], "bad_price")
    shop_data.break_record("products", products[1]["id"], "negative_stock")
    run, _ = sync.run_all(trigger="cli")
    assert run.status == "partial" and run.counts.invalid == 2
    reasons = {r[0] for r in rows(db, "SELECT reason FROM sync_quarantine WHERE run_id = :r", r=run.id)}
    assert any("price" in r for r in reasons) and any("stock_quantity" in r for r in reasons)


def test_duplicate_ids_in_one_listing_keep_the_first_and_quarantine_the_rest(
    sync: SyncService, db: Database, shop_data: ShopData
):
    copy = dict(shop_data.orders[0], status="cancelled")
    shop_data.extra["orders"].append(copy)
    shop_data.set_order(shop_data.orders[0]["id"])
    _, orders = sync.run_all(trigger="cli")
    assert orders.counts.invalid == 1
    assert (
        value(db, "SELECT status FROM orders WHERE external_id = :e", e=copy["id"])
        == shop_data.orders[0]["status"]
    )
    assert value(db, "SELECT count(*) FROM orders") == len(shop_data.orders)


# -- failed fetches --------------------------------------------------------------------------------


def assert_nothing_written(db: Database, before: list[list[Any]]) -> None:
    assert rows(db, "SELECT external_id, updated_at FROM orders ORDER BY 1") == before


def assert_stored_once(db: Database, data: ShopData) -> None:
    """Every order and item of the shop's listing is in the database, none twice."""
    assert value(db, "SELECT count(*) FROM orders") == len(data.orders)
    assert value(db, "SELECT count(*) FROM order_items") == sum(len(o["order_items"]) for o in data.orders)
    assert value(db, "SELECT count(DISTINCT external_id) = count(*) FROM orders")


@contextmanager
def trigger_on_order(db: Database, external_id: int, body: str) -> Iterator[None]:
    """A real database behaviour for inserting (or upserting) one order: `body` runs in a BEFORE
    INSERT trigger on it, e.g. to raise or to sleep. Dropped on leaving."""
    db.run(f"CREATE FUNCTION test_order_hook() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} END $$")
    db.run(f"""CREATE TRIGGER test_order_hook BEFORE INSERT ON orders FOR EACH ROW
               WHEN (NEW.external_id = {int(external_id)}) EXECUTE FUNCTION test_order_hook()""")
    try:
        yield
    finally:
        db.run("DROP TRIGGER test_order_hook ON orders")
        db.run("DROP FUNCTION test_order_hook()")


def run_in_background(sync: SyncService) -> tuple[threading.Thread, list[BaseException]]:
    """An orders run on a thread of its own; what it raises lands in the list."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            sync.run("orders", trigger="schedule")
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    return worker, errors


@pytest.mark.parametrize(
    ("fault", "options", "message"),
    [
        ("status", {"status": 500}, "answered 500"),
        ("not_json", {}, "not JSON"),
        ("not_array", {}, "JSON object, not an array"),
        ("truncate", {}, ""),
    ],
)
def test_a_failed_fetch_fails_the_run_writes_nothing_and_infers_nothing(
    sync: SyncService, db: Database, shop: FakeShop, fault: str, options: dict[str, Any], message: str
):
    synced(sync)
    before = rows(db, "SELECT external_id, updated_at FROM orders ORDER BY 1")
    shop.data.add_orders(3)
    shop.data.delete_orders([shop.data.orders[0]["id"]])
    shop.fail(fault, times=10, path="orders", **options)
    run = sync.run("orders", trigger="cli")
    assert run.status == "failed"
    assert message in (run.error or "")
    assert_nothing_written(db, before)
    assert value(db, "SELECT count(*) FROM sync_quarantine WHERE run_id = :r", r=run.id) == 0


def test_500_then_429_then_200_succeeds_honouring_retry_after(
    sync: SyncService, shop: FakeShop, sleeps: Sleeps
):
    shop.fail("status", status=500, path="orders")
    shop.fail("retry_after", seconds=3, path="orders")
    run = sync.run("orders", trigger="cli")
    assert run.status == "succeeded"
    assert len(shop.requests_for("orders")) == 3
    assert sleeps.calls[1] == 3  # Retry-After honoured
    assert all(r.authorization == "shop-test-token-0123" for r in shop.requests_for("orders"))


def test_a_shop_that_does_not_answer_in_time_fails_the_run(db: Database, shop: FakeShop):
    from chalicelib.sync.orders import OrdersSync
    from tests.conftest import make_client

    impatient = SyncService(
        db, make_client(shop.url, read_timeout_s=0.3, attempts=2), {"orders": OrdersSync(ZONE)}
    )
    shop.fail("slow", times=2, seconds=1.5, path="orders")
    run = impatient.run("orders", trigger="cli")
    assert run.status == "failed" and "timed out" in (run.error or "")
    assert value(db, "SELECT count(*) FROM orders") == 0


def test_retries_never_wait_past_the_run_deadline(db: Database, shop: FakeShop):
    from chalicelib.sync.orders import OrdersSync
    from tests.conftest import make_client

    sleeps = Sleeps()
    short = SyncService(db, make_client(shop.url, sleeps), {"orders": OrdersSync(ZONE)}, deadline_s=5)
    shop.fail("retry_after", seconds=60, path="orders")
    run = short.run("orders", trigger="cli")
    assert run.status == "failed" and "no time left" in (run.error or "")
    assert sleeps.calls == []


# -- a listing merged in batches on the writer thread ----------------------------------------------


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Orders merged 7 at a time: the 300 orders of `shop_data` take 43 batches."""
    monkeypatch.setattr("chalicelib.sync.orders.BATCH", 7)


@pytest.mark.usefixtures("small_batches")
def test_a_listing_merged_in_many_batches_is_written_whole_and_counted_once(
    sync: SyncService, db: Database, shop_data: ShopData
):
    _, first = synced(sync)
    assert first.counts.created == len(shop_data.orders) == value(db, "SELECT count(*) FROM orders")
    assert value(db, "SELECT count(*) FROM order_items") == sum(
        len(o["order_items"]) for o in shop_data.orders
    )

    # Changes spread over many batches, one of them moving an order to another day.
    moved = shop_data.move_statuses(20)
    shop_data.set_order(shop_data.orders[200]["id"], created_at="01.02.2024 10:00:00")
    shop_data.add_orders(9)
    _, again = synced(sync)
    assert (again.counts.created, again.counts.updated) == (
        9,
        len(set(moved) | {shop_data.orders[200]["id"]}),
    )
    assert stored_sales(db) == expected_sales(shop_data)


def whole_reads_of_orders(conn: Any) -> int:
    """Sequential scans of `orders` that this transaction has started so far."""
    return int(conn.run("SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = 'orders'")[0][0])


@pytest.mark.usefixtures("small_batches")
@pytest.mark.parametrize("moves", [True, False], ids=["moving-days", "refreshing-days"])
def test_a_batch_of_new_orders_alone_does_not_read_the_orders_table(
    sync: SyncService, shop_data: ShopData, monkeypatch: pytest.MonkeyPatch, moves: bool
):
    # Looked up, the stored versions of a first sync's orders are none, and the planner finds none
    # by reading the whole table: every batch read everything the batches before it wrote.
    monkeypatch.setattr(orders_sync, "moves_up_to", lambda stored: 10**9 if moves else 0)
    merged = orders_sync.merge_batch
    reads: list[tuple[bool, int]] = []

    def merge_batch(conn: Any, *args: Any, any_stored: bool, **kwargs: Any) -> Any:
        assert kwargs["moves"] is moves
        before = whole_reads_of_orders(conn)
        result = merged(conn, *args, any_stored=any_stored, **kwargs)
        reads.append((any_stored, whole_reads_of_orders(conn) - before))
        return result

    monkeypatch.setattr(orders_sync, "merge_batch", merge_batch)
    synced(sync)
    assert reads == [(False, 0)] * 43

    # Batches of changed orders look up their stored versions (their old day, status and items).
    shop_data.move_statuses(20)
    reads.clear()
    synced(sync)
    assert [stored for stored, _ in reads] == [True] * 3

    shop_data.add_orders(9)
    reads.clear()
    synced(sync)
    assert reads == [(False, 0)] * 2


@pytest.mark.usefixtures("small_batches")
def test_a_listing_that_breaks_off_after_batches_were_merged_writes_nothing(
    sync: SyncService, db: Database, shop: FakeShop
):
    shop.fail("cut_json", path="orders")
    run = sync.run("orders", trigger="cli")
    assert run.status == "failed" and "JSON is broken" in (run.error or "")
    assert value(db, "SELECT count(*) FROM orders") == 0
    assert value(db, "SELECT count(*) FROM order_items") == 0
    assert value(db, "SELECT count(*) FROM order_daily_stats") == 0
    assert sync.run("orders", trigger="cli").status == "succeeded"
    assert value(db, "SELECT count(*) FROM orders") == len(shop.data.orders)


@pytest.mark.usefixtures("small_batches")
@pytest.mark.parametrize("which", ["first", "last"])
def test_a_batch_the_database_rejects_fails_the_run_and_writes_nothing(
    sync: SyncService, db: Database, shop_data: ShopData, which: str
):
    synced(sync)
    before = rows(db, "SELECT external_id, updated_at FROM orders ORDER BY 1")
    moved = set(shop_data.move_statuses(30))
    shop_data.add_orders(20)
    # A real database error in the first batch (raised while later batches are still being submitted)
    # or the last (raised when the writer is drained): a trigger refusing one changed order.
    changed = [o["id"] for o in shop_data.orders if o["id"] in moved] + [
        o["id"] for o in shop_data.orders[-20:]
    ]
    refused = changed[0] if which == "first" else changed[-1]
    with trigger_on_order(db, refused, "RAISE EXCEPTION 'refused by the test';"):
        run = sync.run("orders", trigger="cli")
    assert run.status == "failed"
    assert_nothing_written(db, before)
    after = sync.run("orders", trigger="cli")
    assert after.status == "succeeded" and (after.counts.created, after.counts.updated) == (20, len(moved))
    assert stored_sales(db) == expected_sales(shop_data)


# -- runs never overlap ----------------------------------------------------------------------------


def test_two_syncs_at_once_one_runs_and_the_other_is_skipped(sync: SyncService, db: Database, shop: FakeShop):
    shop.fail("slow", seconds=1.0, path="orders")
    results: list[RunSummary] = []
    first = threading.Thread(target=lambda: results.append(sync.run("orders", trigger="schedule")))
    first.start()
    wait_until(lambda: sync_lock_holders(db), what="the first run to hold the lock")
    results.append(sync.run("orders", trigger="cli"))
    first.join()
    assert sorted(r.status for r in results) == ["skipped", "succeeded"]
    assert sorted(map(tuple, rows(db, "SELECT trigger, status FROM sync_runs"))) == [
        ("cli", "skipped"),
        ("schedule", "succeeded"),
    ]
    assert value(db, "SELECT count(*) FROM orders") == len(shop.data.orders)


def test_a_run_that_loses_its_database_connection_is_recovered_by_the_next(
    sync: SyncService, db: Database, shop: FakeShop, database_url: str
):
    synced(sync)
    shop.data.add_orders(7)
    shop.data.move_statuses(5)
    shop.fail("slow", seconds=1.0, path="orders")
    worker, errors = run_in_background(sync)
    wait_until(lambda: sync_lock_holders(db), what="the run to hold its lock")
    killer = database_for(database_url)
    killed = killer.run("SELECT pg_terminate_backend(pid) FROM (" + SYNC_LOCKS + ") running")
    killer.close()
    worker.join()
    assert killed == [[True]]
    assert len(errors) == 1 and isinstance(errors[0], DatabaseUnavailableError)

    run = sync.run("orders", trigger="schedule")
    assert run.status == "succeeded"
    assert_stored_once(db, shop.data)
    # The interrupted run is not left "running" forever.
    assert value(db, "SELECT count(*) FROM sync_runs WHERE status = 'running'") == 0


@pytest.mark.usefixtures("small_batches")
def test_a_connection_killed_while_the_writer_merges_is_recovered_by_the_next_run(
    sync: SyncService, db: Database, shop_data: ShopData, database_url: str
):
    from tests.conftest import database_for

    synced(sync)
    shop_data.move_statuses(30)
    shop_data.add_orders(20)
    # Hold the writer inside a merge: a trigger that sleeps on one of the new orders.
    with trigger_on_order(db, shop_data.orders[-10]["id"], "PERFORM pg_sleep(5); RETURN NEW;"):
        worker, errors = run_in_background(sync)
        killer = database_for(database_url)
        try:
            killed: list[list[Any]] = []
            for _ in range(100):
                # The one backend of this database asleep is the writer, in the trigger of its merge
                # (the merge's text is past what pg_stat_activity keeps of a query: 1,024 bytes).
                killed = killer.run("""SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                                       WHERE wait_event = 'PgSleep' AND datname = current_database()
                                         AND pid <> pg_backend_pid()""")
                if killed:
                    break
                time.sleep(0.05)
        finally:
            killer.close()
            worker.join(60)
    assert not worker.is_alive(), "the run hung after losing its connection"
    assert killed == [[True]]
    assert len(errors) == 1 and isinstance(errors[0], DatabaseUnavailableError)

    run = sync.run("orders", trigger="schedule")
    assert run.status == "succeeded" and run.counts.created == 20
    assert_stored_once(db, shop_data)
    assert stored_sales(db) == expected_sales(shop_data)


# -- analytics -------------------------------------------------------------------------------------


def expected_sales(data: ShopData) -> dict[tuple[str, str], tuple[int, Decimal]]:
    """(product name, shop-local day) -> (units, revenue), computed from the shop's records alone."""
    expected: dict[tuple[str, str], tuple[int, Decimal]] = {}
    names = {normalize_name(p["name"]): p["name"] for p in shop_products(data)}
    for order in data.orders:
        if order["status"] in ("cancelled", "refunded"):
            continue
        day = order["created_at"][6:10] + "-" + order["created_at"][3:5] + "-" + order["created_at"][0:2]
        for item in order["order_items"]:
            key = (names[normalize_name(item["name"])], day)
            qty, revenue = expected.get(key, (0, Decimal(0)))
            expected[key] = (qty + item["quantity"], revenue + Decimal(item["price"]) * item["quantity"])
    return expected


def stored_sales(db: Database) -> dict[tuple[str, str], tuple[int, Decimal]]:
    return {
        (r[0], r[1].isoformat()): (r[2], r[3])
        for r in rows(
            db,
            """SELECT p.name, t.day, t.sales_qty, t.revenue FROM product_trends t
                             JOIN products p ON p.id = t.product_id WHERE t.sales_qty > 0""",
        )
    }


def test_trends_count_sales_of_orders_that_are_not_cancelled_or_refunded(
    sync: SyncService, db: Database, shop_data: ShopData
):
    synced(sync)
    assert stored_sales(db) == expected_sales(shop_data)


def test_a_cancelled_order_leaves_the_trends_and_a_staff_status_counts(
    sync: SyncService, db: Database, shop_data: ShopData
):
    synced(sync)
    order = next(o for o in reversed(shop_data.orders) if o["status"] not in ("cancelled", "refunded"))
    total_before = value(db, "SELECT sum(sales_qty) FROM product_trends")
    shop_data.set_order(order["id"], status="cancelled")
    synced(sync)
    quantity = sum(i["quantity"] for i in order["order_items"])
    assert value(db, "SELECT sum(sales_qty) FROM product_trends") == total_before - quantity


def test_sales_stay_exact_through_every_kind_of_change(sync: SyncService, db: Database, shop_data: ShopData):
    # A run refreshes the sales of only the days its changes can move (STAGED_SALES_DAYS): each kind
    # of change here, then the whole table against the sales computed from the shop's records.
    synced(sync)
    sales = [o for o in shop_data.orders if o["status"] not in ("cancelled", "refunded")]
    more_items, moved, refunded, moving_on = sales[:4]
    item = more_items["order_items"][0]
    shop_data.set_order(more_items["id"], order_items=[{**item, "quantity": item["quantity"] + 2}])
    earlier = min(
        shop_data.orders, key=lambda o: o["created_at"][6:10] + o["created_at"][3:5] + o["created_at"][:2]
    )
    assert earlier["created_at"][:10] != moved["created_at"][:10]
    shop_data.set_order(moved["id"], created_at=earlier["created_at"])
    shop_data.set_order(refunded["id"], status="refunded")
    shop_data.set_order(
        moving_on["id"], status="shipped" if moving_on["status"] != "shipped" else "delivered"
    )
    comeback = next(o for o in shop_data.orders if o["status"] == "cancelled")
    shop_data.set_order(comeback["id"], status="paid")
    _, orders_run = synced(sync)
    assert orders_run.counts.updated == 5
    assert stored_sales(db) == expected_sales(shop_data)


PER_DAY_TABLES = {
    "product_trends": """SELECT product_id, day, sales_qty, revenue, orders, last_sale_at, cogs,
                                uncosted_revenue
                         FROM product_trends
                         WHERE sales_qty <> 0 OR revenue <> 0 OR orders <> 0 OR last_sale_at IS NOT NULL
                            OR cogs <> 0 OR uncosted_revenue <> 0
                         ORDER BY 1, 2""",
    "order_daily_stats": """SELECT day, status, listed, orders, revenue, goods_revenue, cogs, uncosted_revenue
                            FROM order_daily_stats ORDER BY 1, 2, 3""",
    "product_month_sales": """SELECT product_id, month, sales_qty, revenue, cogs, uncosted_revenue
                              FROM product_month_sales
                              WHERE sales_qty <> 0 OR revenue <> 0 OR cogs <> 0 OR uncosted_revenue <> 0
                              ORDER BY 1, 2""",
}

# product_month_sales as its product_trends days sum up (the triggers of migration 0015 keep it so).
MONTHS_FROM_DAYS = """
SELECT product_id, date_trunc('month', day)::date, sum(sales_qty), sum(revenue), sum(cogs),
       sum(uncosted_revenue)
FROM product_trends
GROUP BY 1, 2
HAVING sum(sales_qty) <> 0 OR sum(revenue) <> 0 OR sum(cogs) <> 0 OR sum(uncosted_revenue) <> 0
ORDER BY 1, 2
"""


def per_day_tables(db: Database) -> dict[str, list[list[Any]]]:
    tables = {table: rows(db, sql) for table, sql in PER_DAY_TABLES.items()}
    assert tables["product_month_sales"] == rows(db, MONTHS_FROM_DAYS), "the month sums left their days"
    return tables


def test_the_month_sums_follow_days_deleted_and_products_deleted(sync: SyncService, db: Database):
    # Nothing here deletes a day or a product today; the month sums must follow if anything does.
    synced(sync)
    sold = """SELECT product_id FROM product_month_sales WHERE sales_qty > 0
              GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 2"""
    days_gone, product_gone = (row[0] for row in rows(db, sold))
    half = "SELECT min(day) + (max(day) - min(day)) / 2 FROM product_trends WHERE product_id = :p"
    db.run(f"DELETE FROM product_trends WHERE product_id = :p AND day < ({half})", p=days_gone)
    db.run("DELETE FROM products WHERE id = :p", p=product_gone)
    assert value(db, "SELECT count(*) FROM product_month_sales WHERE product_id = :p", p=product_gone) == 0
    per_day_tables(db)  # the month sums as their days sum up


@pytest.mark.parametrize("moves", [True, False], ids=["moved", "refreshed"])
def test_a_resync_keeps_the_per_day_tables_what_a_rebuild_computes(
    sync: SyncService, db: Database, shop_data: ShopData, monkeypatch: pytest.MonkeyPatch, moves: bool
):
    # A re-sync's few changes move product_trends and order_daily_stats by each written order's old
    # and new contribution (MERGE_MOVING_DAYS); more changes refresh the days they touch. Either way,
    # after every kind of change they must equal what computing them from all orders gives.
    synced(sync)
    # Costs entered long ago for half the products and changed since for a quarter, the rest never:
    # the cost of goods moves too, each order at the cost in force when it was created.
    db.run(
        """INSERT INTO staff_edits (entity, entity_id, field, new_value, edited_by, edited_at)
           SELECT 'product', id, 'cost', to_jsonb('100.50'::text), 'test', now() - interval '400 days'
           FROM products WHERE id % 2 = 0
           UNION ALL
           SELECT 'product', id, 'cost', to_jsonb('120.00'::text), 'test', now() - interval '20 days'
           FROM products WHERE id % 4 = 0"""
    )
    db.run("DELETE FROM analytics_state")
    with db.transaction() as conn:
        assert analytics.ensure_built_for(conn, tz=ZONE.key)
    listed_again = next(o for o in shop_data.orders if o["status"] not in ("cancelled", "refunded"))
    shop_data.delete_orders([listed_again["id"]])
    assert synced(sync)[1].counts.deleted == 1
    if not moves:  # the 300 orders' tenth (30) below this run's 40-odd changes
        monkeypatch.setattr(orders_sync, "MOVES_UP_TO", 0)
    merged = orders_sync.merge_batch
    taken: list[bool] = []

    def merge_batch(*args: Any, moves: bool, **kwargs: Any) -> Any:
        taken.append(moves)
        return merged(*args, moves=moves, **kwargs)

    monkeypatch.setattr(orders_sync, "merge_batch", merge_batch)
    # A (product, day) with two sales: its latest one cancelled (its latest sale is then the other's).
    pair_latest = value(
        db,
        """SELECT (array_agg(o.external_id ORDER BY o.created_at DESC))[1] FROM orders o
           JOIN order_items i ON i.order_id = o.id
           WHERE o.status NOT IN ('cancelled', 'refunded') AND i.product_id IS NOT NULL
           GROUP BY i.product_id, (o.created_at AT TIME ZONE :tz)::date
           HAVING count(DISTINCT o.id) >= 2 LIMIT 1""",
        tz=ZONE.key,
    )
    shop_data.set_order(pair_latest, status="cancelled")
    sales = [o for o in shop_data.orders if o["status"] not in ("cancelled", "refunded")]
    more_items, moved, staff_cancelled = sales[:3]
    item = more_items["order_items"][0]
    shop_data.set_order(more_items["id"], order_items=[*more_items["order_items"], {**item, "quantity": 1}])
    shop_data.set_order(moved["id"], created_at=sales[-1]["created_at"], total_amount="123.45")
    staff_id = value(db, "SELECT id FROM orders WHERE external_id = :e", e=staff_cancelled["id"])
    edits.edit_order(db, staff_id, {"status": "cancelled"}, by="test", zone=ZONE)
    shop_data.set_order(staff_cancelled["id"], bank_card="Тинькофф *0001")
    shop_data.move_statuses(15)
    shop_data.change_orders(15)
    shop_data.add_orders(5)
    shop_data.delete_orders([sales[3]["id"], sales[4]["id"]])
    shop_data.restore_order(listed_again)  # with the items it had
    before = per_day_tables(db)
    items_sql = """SELECT o.external_id, array_agg(i.id ORDER BY i.position) FROM orders o
                   JOIN order_items i ON i.order_id = o.id GROUP BY 1"""
    item_ids = dict(rows(db, items_sql))

    _, orders_run = synced(sync)
    assert orders_run.counts.updated + orders_run.counts.created >= 35
    assert orders_run.counts.deleted == 2 and orders_run.counts.restored == 1 and taken == [moves]
    # Only the order whose items changed has new item rows; the card's and the restored keep theirs.
    item_ids_after = dict(rows(db, items_sql))
    changed_items = {e for e, ids in item_ids.items() if item_ids_after.get(e, ids) != ids}
    assert changed_items == {more_items["id"]}
    assert len(item_ids_after[more_items["id"]]) == len(more_items["order_items"])
    moved_tables = per_day_tables(db)
    assert moved_tables != before  # the run moved them
    assert value(db, "SELECT count(DISTINCT cogs) FROM order_daily_stats") > 2  # costs known, and changed
    assert value(db, "SELECT sum(uncosted_revenue) FROM order_daily_stats") > 0
    db.run("DELETE FROM analytics_state")  # the next step rebuilds both tables from every order
    with db.transaction() as conn:
        assert analytics.ensure_built_for(conn, tz=ZONE.key)
    assert per_day_tables(db) == moved_tables


def test_analytics_are_derived_for_every_product(sync: SyncService, db: Database):
    synced(sync)
    assert value(db, "SELECT count(*) FROM product_analytics") == value(db, "SELECT count(*) FROM products")
    assert (
        value(
            db,
            "SELECT count(*) FROM product_view WHERE stock_status NOT IN ('critical', 'warning', 'normal')",
        )
        == 0
    )
    assert value(db, "SELECT count(*) FROM product_trends WHERE stock_level IS NOT NULL") == value(
        db, "SELECT count(*) FROM products"
    )


def test_a_day_the_product_was_at_zero_at_any_run_is_a_day_out_of_stock(
    sync: SyncService, db: Database, shop_data: ShopData
):
    first, second = shop_products(shop_data)[:2]
    shop_data.set_product(first["id"], stock_quantity=4)
    shop_data.set_product(second["id"], stock_quantity=0)
    synced(sync)
    today_sql = """SELECT p.external_id, t.stock_level, t.out_of_stock FROM product_trends t
                   JOIN products p ON p.id = t.product_id
                   WHERE t.day = (now() AT TIME ZONE :tz)::date AND p.external_id = ANY(:ids) ORDER BY 1"""
    ids = sorted([first["id"], second["id"]])
    expect = {first["id"]: [4, False], second["id"]: [0, True]}
    assert rows(db, today_sql, tz=ZONE.key, ids=ids) == [[i, *expect[i]] for i in ids]
    # Restocked later that day: the level is the latest, the day stays one it could not be bought all of.
    shop_data.set_product(first["id"], stock_quantity=0)
    shop_data.set_product(second["id"], stock_quantity=9)
    synced(sync)
    shop_data.set_product(first["id"], stock_quantity=6)
    synced(sync)
    expect = {first["id"]: [6, True], second["id"]: [9, True]}
    assert rows(db, today_sql, tz=ZONE.key, ids=ids) == [[i, *expect[i]] for i in ids]


def test_a_hostile_ancestry_does_not_break_the_products_run(
    sync: SyncService, db: Database, shop_data: ShopData
):
    product = shop_products(shop_data)[0]
    shop_data.set_product(product["id"], ancestry="1/²")
    run, _ = synced(sync)
    assert run.counts.created == len(shop_products(shop_data))
    assert value(db, "SELECT category FROM products WHERE external_id = :e", e=product["id"]) is None
