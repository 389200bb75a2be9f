"""One poisoned record costs that record alone: text the database cannot hold (a lone surrogate, NUL)
and numbers no field takes (1e5000000, an integer of 5,000 digits) anywhere in a shop record, keys
included, quarantine it with the place and the reason; every other record is written, run after run."""

from __future__ import annotations

import time
from typing import Any

import pytest

from chalicelib.db import Database
from chalicelib.sync import SyncService
from devtools.fake_shop import FakeShop
from devtools.shop_data import CORRUPTIONS, ShopData, raw_number


@pytest.fixture
def shop_data() -> ShopData:
    return ShopData(orders=3000, products=60, seed=17)


def counts(db: Database) -> tuple[int, int]:
    return (
        db.run("SELECT count(*) FROM orders WHERE deleted_upstream_at IS NULL")[0][0],
        db.run("SELECT count(*) FROM products WHERE deleted_upstream_at IS NULL")[0][0],
    )


def quarantined(db: Database, run_id: int | None) -> list[tuple[str, str, Any]]:
    return [
        (row[0], row[1], row[2])
        for row in db.run(
            "SELECT external_id, reason, payload FROM sync_quarantine WHERE run_id = :r ORDER BY id", r=run_id
        )
    ]


@pytest.mark.parametrize(
    ("how", "order_reason", "product_reason"),
    [
        (
            "lone_surrogate",
            "user.full_name: holds a lone surrogate (U+D800), which is not Unicode text",
            "name: holds a lone surrogate (U+DC00), which is not Unicode text",
        ),
        (
            "huge_number",
            "total_amount: the number 1e5000000 is out of range",
            "stock_quantity: the number 1e5000000 is out of range",
        ),
    ],
)
def test_one_poisoned_record_among_thousands_costs_that_record_alone(
    sync: SyncService,
    db: Database,
    shop: FakeShop,
    shop_data: ShopData,
    how: str,
    order_reason: str,
    product_reason: str,
):
    poisoned_order = shop_data.orders[1234]["id"]
    poisoned_product = shop_data.real_products()[7]["id"]
    shop_data.break_record("orders", poisoned_order, how)
    shop_data.break_record("products", poisoned_product, how)
    products = len(shop_data.real_products())

    for attempt in range(2):  # the shop keeps sending it: the next run too
        product_run, order_run = sync.run_all(trigger="cli")
        assert (product_run.status, product_run.counts.invalid) == ("partial", 1), product_run
        assert (order_run.status, order_run.counts.invalid) == ("partial", 1), order_run
        assert counts(db) == (len(shop_data.orders) - 1, products - 1)
        assert db.run("SELECT count(*) FROM orders WHERE external_id = :e", e=poisoned_order)[0][0] == 0
        [(ident, reason, payload)] = quarantined(db, order_run.id)
        assert (ident, reason) == (str(poisoned_order), order_reason)
        if how == "lone_surrogate":  # kept with U+FFFD in place of what jsonb cannot hold
            assert payload["user"]["full_name"].endswith(" \ufffd")
        else:
            assert payload["total_amount"] == "1e5000000"
        [(ident, reason, payload)] = quarantined(db, product_run.id)
        assert (ident, reason) == (str(poisoned_product), product_reason)
        if attempt == 1:
            assert order_run.counts.unchanged == len(shop_data.orders) - 1


def test_a_stored_record_that_turns_poisonous_keeps_its_last_good_values(
    sync: SyncService, db: Database, shop_data: ShopData
):
    assert [r.status for r in sync.run_all(trigger="cli")] == ["succeeded", "succeeded"]
    order = shop_data.orders[5]
    before = db.run(
        "SELECT customer_name, deleted_upstream_at FROM orders WHERE external_id = :e", e=order["id"]
    )
    shop_data.break_record("orders", order["id"], "lone_surrogate")
    run = sync.run("orders", trigger="cli")
    assert (run.status, run.counts.invalid, run.counts.deleted) == ("partial", 1, 0)
    assert (
        db.run("SELECT customer_name, deleted_upstream_at FROM orders WHERE external_id = :e", e=order["id"])
        == before
    )  # listed, so not deleted; not valid, so not overwritten


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"bank_card": "card\x00"}, "bank_card: holds NUL (U+0000), which is not stored as text"),
        ({"comment_from_shop": "\udfff"}, "comment_from_shop: holds a lone surrogate (U+DFFF)"),
        (
            {"extra": {"deep": ["ok", {"\ud800key": 1}]}},
            "extra.deep.1.\ufffdkey (a field name): holds a lone",
        ),
        ({"bonus": raw_number("9" * 5000)}, "bonus: the number 99999999999999999999...(5000 characters) is"),
        (
            {"delivery_cost": raw_number("0." + "0" * 40 + "1")},
            "delivery_cost: the number 0.00000000000000000",
        ),
        ({"delivery_cost": raw_number("-1e-999999")}, "delivery_cost: the number -1e-999999 is out of range"),
    ],
)
def test_every_string_and_number_of_a_record_is_checked_keys_and_ignored_fields_too(
    sync: SyncService, db: Database, shop_data: ShopData, change: dict[str, Any], reason: str
):
    order = shop_data.orders[0]
    shop_data.set_order(order["id"], **change)
    run = sync.run("orders", trigger="cli")
    rows = quarantined(db, run.id)
    assert run.status == "partial" and [r[0] for r in rows] == [str(order["id"])]
    assert rows[0][1].startswith(reason), rows[0][1]
    assert db.run("SELECT count(*) FROM orders")[0][0] == len(shop_data.orders) - 1


def test_a_category_with_a_poisoned_name_is_quarantined_and_its_products_stay(
    sync: SyncService, db: Database, shop_data: ShopData
):
    category = next(p for p in shop_data.products if p not in shop_data.real_products())
    shop_data.set_product(category["id"], name="Витамины \ud800")
    run = sync.run("products", trigger="cli")
    assert run.status == "partial"
    [(ident, reason, _)] = quarantined(db, run.id)
    assert ident == str(category["id"]) and reason.startswith("category: name: holds a lone surrogate")
    assert counts(db)[1] == len(shop_data.real_products())


def test_records_full_of_absurd_numbers_cost_no_time(sync: SyncService, db: Database, shop_data: ShopData):
    # int() of 1e5000000 took ~3 s a field before the bound: 200 of them would outlast the run.
    for order in shop_data.orders[:200]:
        shop_data.break_record("orders", order["id"], "huge_number")
    started = time.monotonic()
    run = sync.run("orders", trigger="cli")
    assert run.counts.invalid == 200 and run.status == "partial"
    assert time.monotonic() - started < 30  # a generous bound: the point is seconds, not hours


def test_every_corruption_of_the_fake_shop_is_one_quarantined_record(
    sync: SyncService, db: Database, shop_data: ShopData
):
    # The fault control names these; each that breaks an order costs that order alone (never the run).
    # (no_id and string_id leave no usable id: quarantined too, no deletions inferred, tested elsewhere;
    # bad_price, negative_stock and no_name break fields only products have.)
    breaking = sorted(set(CORRUPTIONS) - {"no_id", "string_id", "bad_price", "negative_stock", "no_name"})
    broken = {shop_data.orders[offset]["id"]: how for offset, how in enumerate(breaking)}
    for ident, how in broken.items():
        shop_data.break_record("orders", ident, how)
    run = sync.run("orders", trigger="cli")
    assert (run.status, run.counts.invalid) == ("partial", len(breaking))
    assert run.counts.created == len(shop_data.orders) - len(breaking)
    assert sorted(int(row[0]) for row in quarantined(db, run.id)) == sorted(broken)
