"""A hostile or broken shop: the run survives or fails cleanly, nothing stored is lost or corrupted,
and the quarantine says why."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from chalicelib.db import Database
from chalicelib.sync import SyncService
from devtools.fake_shop import FakeShop
from devtools.shop_data import ShopData


def snapshot(db: Database) -> list[list[Any]]:
    return db.run("""SELECT o.external_id, o.status, o.total_amount, o.updated_at, count(i.id)
                     FROM orders o LEFT JOIN order_items i ON i.order_id = o.id GROUP BY o.id ORDER BY 1""")


@pytest.fixture
def synced(sync: SyncService, db: Database) -> list[list[Any]]:
    assert [r.status for r in sync.run_all(trigger="cli")] == ["succeeded", "succeeded"]
    return snapshot(db)


@pytest.mark.parametrize(
    ("fault", "options", "says"),
    [
        ("huge", {"size": 50 * 1024 * 1024}, "nothing but whitespace, not a JSON array"),
        ("bad_utf8", {}, "broken"),
        ("truncate", {}, ""),
    ],
)
def test_a_broken_answer_fails_the_run_and_loses_nothing(
    sync: SyncService,
    db: Database,
    shop: FakeShop,
    synced: list[list[Any]],
    fault: str,
    options: dict[str, Any],
    says: str,
):
    shop.fail(fault, times=10, path="orders", **options)
    run = sync.run("orders", trigger="cli")
    assert run.status == "failed"
    assert says in (run.error or "")
    # What the console says in the staff's language: a body that broke off is a connection that did.
    assert run.error_code == ("upstream_connection" if fault == "truncate" else "upstream_format")
    assert snapshot(db) == synced


def test_an_answer_that_never_ends_fails_the_run_in_time(
    db: Database, shop: FakeShop, synced: list[list[Any]]
):
    import time

    from chalicelib.sync.orders import OrdersSync
    from tests.conftest import ZONE, make_client

    impatient = SyncService(
        db, make_client(shop.url, read_timeout_s=0.5, attempts=2), {"orders": OrdersSync(ZONE)}
    )
    shop.fail("hang", times=2, seconds=5, path="orders")
    started = time.monotonic()
    run = impatient.run("orders", trigger="cli")
    assert run.status == "failed" and "timed out" in (run.error or "")
    assert run.error_code == "upstream_timeout"
    assert time.monotonic() - started < 4
    assert snapshot(db) == synced


def test_absurd_numbers_are_quarantined_with_the_reason(
    sync: SyncService, db: Database, shop_data: ShopData, synced: Any
):
    orders = shop_data.orders
    shop_data.set_order(orders[0]["id"], total_amount="1e308")
    shop_data.set_order(orders[1]["id"], total_amount="NaN")
    shop_data.set_order(orders[2]["id"], total_amount="-15.0")
    shop_data.set_order(orders[3]["id"], order_items=[{"name": "X", "quantity": 10**12, "price": "1.0"}])
    shop_data.set_order(orders[4]["id"], id=2**70)
    products = shop_data.real_products()
    shop_data.set_product(products[0]["id"], stock_quantity=-5)
    shop_data.set_product(products[1]["id"], price="1e308")
    before = {row[0]: row[2] for row in synced}
    product_run, order_run = sync.run_all(trigger="cli")
    assert (product_run.status, product_run.counts.invalid) == ("partial", 2)
    assert (order_run.status, order_run.counts.invalid) == ("partial", 5)
    reasons = [r[0] for r in db.run("SELECT reason FROM sync_quarantine WHERE run_id = :r", r=order_run.id)]
    assert sum("total_amount" in r for r in reasons) == 3
    assert any("order_items.0.quantity" in r for r in reasons) and any(r.startswith("id:") for r in reasons)
    # Beside each reason, its details by field and type, which the console says in Russian.
    stored = db.run("SELECT details FROM sync_quarantine WHERE run_id = :r ORDER BY id", r=order_run.id)
    kinds = sorted({(d["field"], d["type"]) for (details,) in stored for d in details})
    assert ("total_amount", "greater_than_equal") in kinds and ("id", "id") in kinds, kinds
    assert ("order_items.0.quantity", "less_than_equal") in kinds, kinds
    assert all(d.get("message") for (details,) in stored for d in details)
    for order in orders[:4]:
        assert (
            db.run("SELECT total_amount FROM orders WHERE external_id = :e", e=order["id"])[0][0]
            == before[order["id"]]
        )
    assert db.run("SELECT min(stock_quantity) FROM products")[0][0] >= 0
    assert db.run("SELECT max(price) FROM products")[0][0] < Decimal("1e12")


def test_strings_with_sql_and_control_characters_are_stored_as_data(
    sync: SyncService, db: Database, shop_data: ShopData
):
    order = shop_data.orders[0]
    nasty = "Robert'); DROP TABLE orders;-- \t\\ \u202e тест 😀"
    shop_data.set_order(order["id"], user={**order["user"], "full_name": nasty, "city": "Москва\nКазань"})
    shop_data.set_order(shop_data.orders[1]["id"], bank_card="card\u0000nul")
    _, run = sync.run_all(trigger="cli")
    assert run.counts.invalid == 1  # NUL cannot be stored: quarantined, not corrupted
    name, city = db.run(
        "SELECT customer_name, customer_city FROM orders WHERE external_id = :e", e=order["id"]
    )[0]
    assert name == " ".join(nasty.split()) and city == "Москва Казань"
    assert db.run("SELECT count(*) FROM orders")[0][0] == len(shop_data.orders) - 1  # all but the NUL one
    payload = db.run("SELECT payload FROM sync_quarantine WHERE run_id = :r", r=run.id)[0][0]
    assert payload["bank_card"] == "card\ufffdnul"
