"""Conditional requests to the shop: the last applied listing's validators are sent back, a 304 is a
run that writes nothing, validators are saved only by a run that applied its listing, and a change
of zone or digest rules (the listing context) makes the next run fetch in full."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.db import Connection, Database
from chalicelib.shop_client import Validators
from chalicelib.sync import SyncService
from chalicelib.sync.compact import StoredDigests
from chalicelib.sync.orders import OrdersSync
from chalicelib.sync.products import ProductsSync
from chalicelib.sync.service import Applier
from devtools.fake_shop import FakeShop
from devtools.shop_data import ShopData
from tests.conftest import SHOP_TOKEN, ZONE, Sleeps, make_client


@pytest.fixture
def shop(shop_data: ShopData) -> Iterator[FakeShop]:
    with FakeShop(shop_data, token=SHOP_TOKEN, validators=True) as running:
        yield running


def service(db: Database, shop: FakeShop, context: str = "Europe/Moscow/1") -> SyncService:
    appliers: dict[str, Applier] = {"orders": OrdersSync(ZONE), "products": ProductsSync(ZONE)}
    return SyncService(db, make_client(shop.url, Sleeps()), appliers, deadline_s=60, listing_context=context)


def saved(db: Database, resource: str) -> list[list[Any]]:
    return db.run("SELECT etag, context FROM listing_validators WHERE resource = :r", r=resource)


def test_an_unchanged_listing_is_a_304_that_writes_nothing(db: Database, shop: FakeShop, shop_data: ShopData):
    sync = service(db, shop)
    first = sync.run("orders", trigger="cli")
    assert (
        first.status == "succeeded"
        and not first.not_modified
        and first.counts.created == len(shop_data.orders)
    )
    etag = saved(db, "orders")[0][0]
    assert etag == shop.listing_validators("orders")[0]
    before = db.run("SELECT max(updated_at), count(*) FROM orders")
    shop_data.delete_orders([shop_data.orders[0]["id"]])  # ... but the shop does not say so: same ETag
    shop_data.version -= 1
    again = sync.run("orders", trigger="cli")
    assert again.status == "succeeded" and again.not_modified
    assert again.counts.model_dump() == dict.fromkeys(again.counts.model_dump(), 0)
    assert db.run("SELECT max(updated_at), count(*) FROM orders") == before  # nothing written
    assert db.run("SELECT count(*) FROM orders WHERE deleted_upstream_at IS NOT NULL") == [[0]]  # no deletion
    assert "not modified" in again.one_line()
    assert db.run("SELECT not_modified FROM sync_runs WHERE id = :id", id=again.id) == [[True]]
    assert shop.requests_for("orders")[-1].status == 304


class CountingOrders(OrdersSync):
    """Orders that note on which thread what is stored was read, and while the listing was where."""

    def __init__(self) -> None:
        super().__init__(ZONE)
        self.read_on: list[str] = []

    def prepare(self, conn: Connection) -> StoredDigests:
        self.read_on.append(threading.current_thread().name.partition("_")[0])
        return super().prepare(conn)


def test_what_is_stored_is_read_while_a_listing_downloads_and_never_for_a_304(
    db: Database, shop: FakeShop, shop_data: ShopData
):
    orders = CountingOrders()
    sync = SyncService(db, make_client(shop.url, Sleeps()), {"orders": orders}, deadline_s=60)
    assert sync.run("orders", trigger="cli").counts.created == len(shop_data.orders)
    assert orders.read_on == ["sync-read-ahead"]  # beside the download, not after it
    assert sync.run("orders", trigger="cli").not_modified
    assert orders.read_on == ["sync-read-ahead"]  # a 304: nothing to compare, nothing read
    shop_data.move_statuses(3)
    assert sync.run("orders", trigger="cli").counts.updated == 3
    assert len(orders.read_on) == 2


def test_a_new_etag_with_the_same_content_is_an_ordinary_unchanged_run(
    db: Database, shop: FakeShop, shop_data: ShopData
):
    sync = service(db, shop)
    sync.run("orders", trigger="cli")
    shop_data.version += 1  # a new ETag, the same listing
    again = sync.run("orders", trigger="cli")
    assert (
        not again.not_modified
        and again.counts.unchanged == len(shop_data.orders)
        and again.counts.updated == 0
    )
    assert saved(db, "orders")[0][0] == shop.listing_validators("orders")[0]


def test_validators_are_saved_only_by_a_run_that_applied_its_listing(
    db: Database, shop: FakeShop, shop_data: ShopData
):
    sync = service(db, shop)
    sync.run("orders", trigger="cli")
    first = saved(db, "orders")
    shop_data.add_orders(3)
    shop.fail("not_json")  # a 200 whose listing cannot be applied: the run fails
    failed = sync.run("orders", trigger="cli")
    assert failed.status == "failed"
    assert saved(db, "orders") == first  # the old validators stay
    assert sync.run("orders", trigger="cli").counts.created == 3  # and the next run fetches in full


def test_another_zone_or_digest_rules_fetch_in_full(db: Database, shop: FakeShop, shop_data: ShopData):
    service(db, shop, context="Europe/Moscow/1").run("orders", trigger="cli")
    other = service(db, shop, context="Asia/Yekaterinburg/1").run("orders", trigger="cli")
    assert not other.not_modified and other.counts.unchanged == len(shop_data.orders)
    assert saved(db, "orders")[0][1] == "Asia/Yekaterinburg/1"
    assert service(db, shop, context="Asia/Yekaterinburg/1").run("orders", trigger="cli").not_modified


def test_a_shop_without_validators_is_synced_as_before(db: Database, shop_data: ShopData):
    with FakeShop(shop_data, token=SHOP_TOKEN) as plain:
        sync = service(db, plain)
        sync.run("orders", trigger="cli")
        again = sync.run("orders", trigger="cli")
    assert not again.not_modified and again.counts.unchanged == len(shop_data.orders)
    assert saved(db, "orders") == []


def test_the_client_sends_the_validators_and_reads_a_304(shop: FakeShop):
    from time import monotonic

    client = make_client(shop.url, Sleeps())
    first, second, third = io.BytesIO(), io.BytesIO(), io.BytesIO()
    listing = client.fetch_listing("products", deadline=monotonic() + 30, into=first)
    assert listing.validators.etag and listing.validators.last_modified
    assert first.getvalue().startswith(b"[") and listing.size == len(first.getvalue())
    again = client.fetch_listing(
        "products", deadline=monotonic() + 30, into=second, validators=listing.validators
    )
    assert again.not_modified and second.getvalue() == b"" and again.validators == listing.validators
    by_date = Validators(last_modified=listing.validators.last_modified)  # If-Modified-Since alone
    assert client.fetch_listing(
        "products", deadline=monotonic() + 30, into=third, validators=by_date
    ).not_modified


def test_a_304_still_keeps_what_depends_on_the_clock(db: Database, shop: FakeShop):
    sync = service(db, shop)
    sync.run("products", trigger="cli")
    sync.run("orders", trigger="cli")
    # As at midnight: today has no stock level yet, and the analytics were computed yesterday.
    db.run(
        "UPDATE product_trends SET stock_level = NULL WHERE day = (now() AT TIME ZONE 'Europe/Moscow')::date"
    )
    right = db.run("SELECT product_id, avg_daily_sales_30d FROM product_analytics ORDER BY 1")
    db.run("UPDATE product_analytics SET avg_daily_sales_30d = 999")  # as if computed over another window
    assert sync.run("products", trigger="cli").not_modified
    assert sync.run("orders", trigger="cli").not_modified
    today = "(now() AT TIME ZONE 'Europe/Moscow')::date"
    assert db.run(f"SELECT count(*) FROM product_trends WHERE day = {today} AND stock_level IS NULL") == [[0]]
    assert db.run(f"SELECT count(*) FROM product_trends WHERE day = {today}")[0][0] > 0
    assert db.run("SELECT product_id, avg_daily_sales_30d FROM product_analytics ORDER BY 1") == right
