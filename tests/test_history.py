"""Timelines (docs/sync.md, "Timelines"): what the shop changed, seen by which run, and what the staff
edited or reverted, newest first. Through the HTTP API, against a real Postgres and the fake shop."""

from __future__ import annotations

from typing import Any

from chalicelib.db import Database
from devtools.fake_shop import FakeShop
from tests.test_api import ADMIN, Api, api, order_id, product_id
from tests.test_deletion_guard import sync_orders, sync_products
from tests.test_sync import trigger_on_order

__all__ = ["api"]  # the fixture (synced once), imported for the tests below


def timeline(api: Api, path: str) -> list[dict[str, Any]]:
    return list(api.ok(f"{path}/history?limit=200")["items"])


def shop_changes(event: dict[str, Any]) -> dict[str, list[Any]]:
    return {c["field"]: [c["old"], c["new"]] for c in event["changes"]}


def test_an_order_tells_what_happened_to_it_newest_first(api: Api, db: Database, shop: FakeShop):
    order = shop.data.orders[0]
    ident = order_id(db, order["id"])
    path = f"/api/orders/{ident}"
    (created,) = timeline(api, path)  # the first sync: created, and nothing else
    first_run = api.ok("/api/sync/runs?resource=orders&limit=1")["items"][0]["id"]
    assert (created["kind"], created["source"], created["run_id"], created["changes"]) == (
        "created", "shop", first_run, []
    )  # fmt: skip

    assert sync_orders(api)["counts"]["unchanged"] > 0
    assert len(timeline(api, path)) == 1  # a re-sync with no change adds nothing

    old_status = order["status"]
    shop.data.set_order(order["id"], status="delivered" if old_status != "delivered" else "shipped")
    moved = sync_orders(api)
    status, body = api.send("PUT", f"{path}/status", {"status": "refunded"})
    assert status == 200, body
    status, body = api.send("DELETE", f"{path}/overrides/status", headers=ADMIN)
    assert status == 200, body
    items = [{**order["order_items"][0], "quantity": order["order_items"][0]["quantity"] + 1}]
    shop.data.set_order(order["id"], order_items=items, total_amount="1.0")
    sync_orders(api)
    shop.data.delete_orders([order["id"]])
    gone = sync_orders(api)
    assert gone["counts"]["deleted"] == 1
    shop.data.restore_order(order)
    back = sync_orders(api)

    events = timeline(api, path)
    kinds = [(e["source"], e["kind"]) for e in events]
    assert kinds == [
        ("shop", "restored"), ("shop", "deleted"), ("shop", "changed"), ("shop", "changed"),
        ("staff", "reverted"), ("staff", "edited"), ("shop", "changed"), ("shop", "created"),
    ]  # fmt: skip
    assert [e["at"] for e in events] == sorted((e["at"] for e in events), reverse=True)
    restored, deleted, one, other, reverted, edited, status_changed, _ = events
    # The items and the total changed in one run: two events of it (items are a list of their own).
    assert one["run_id"] == other["run_id"] is not None
    items_changed, total_changed = (one, other) if "items" in shop_changes(one) else (other, one)
    assert restored["run_id"] == back["id"] and deleted["run_id"] == gone["id"]
    assert shop_changes(status_changed) == {"status": [old_status, shop.data.order(order["id"])["status"]]}
    assert status_changed["run_id"] == moved["id"] and status_changed["by"] is None
    assert (edited["by"], shop_changes(edited)["status"][1]) == ("tester", "refunded")
    assert reverted["by"] == "tester" and shop_changes(reverted)["status"][1] is None
    assert shop_changes(total_changed)["total_amount"][1] == "1.00"  # money as the API writes it
    old_items, new_items = shop_changes(items_changed)["items"]
    assert new_items[0][1] == old_items[0][1] + 1  # [name, quantity, price]: one more

    page = api.ok(f"{path}/history?limit=3&offset=1")
    assert page["total"] == 8 and [e["kind"] for e in page["items"]] == ["deleted", "changed", "changed"]
    past = api.ok(f"{path}/history?offset=500")  # past the end: no events, and still the total
    assert (past["total"], past["items"]) == (8, [])


def test_a_product_tells_its_price_and_stock_moves(api: Api, db: Database, shop: FakeShop):
    product = shop.data.real_products()[0]
    path = f"/api/products/{product_id(db, product['id'])}"
    stock = product["stock_quantity"]
    shop.data.set_product(product["id"], price="123.0", stock_quantity=stock + 7)
    run = sync_products(api)
    changed, created = timeline(api, path)
    assert created["kind"] == "created" and changed["run_id"] == run["id"]
    moves = shop_changes(changed)
    assert moves["price"][1] == "123.00"
    assert moves["stock_quantity"] == [stock, stock + 7]
    assert set(moves) == {"price", "stock_quantity"}  # the shop's names, nothing unchanged


def test_unknown_records_and_bad_ids_are_refused(api: Api):
    assert api.get("/api/orders/999999999/history")[0] == 404
    assert api.get("/api/products/0/history")[0] in (400, 404)
    assert api.get("/api/orders/1/history?limit=0")[0] == 400


def test_the_sync_prunes_the_shops_events_past_the_retention(api: Api, db: Database, shop: FakeShop):
    order = shop.data.orders[1]
    shop.data.set_order(order["id"], bank_card="*0000")
    sync_orders(api)
    ident = order_id(db, order["id"])
    db.run("UPDATE record_events SET seen_at = now() - interval '401 days' WHERE entity_id = :id", id=ident)
    shop.data.set_order(order["id"], bank_card="*1111")
    sync_orders(api)
    events = timeline(api, f"/api/orders/{ident}")
    assert [e["kind"] for e in events] == ["changed", "created"]  # the old change pruned, the new kept
    assert shop_changes(events[0])["bank_card"] == ["*0000", "*1111"]


def test_a_run_that_fails_records_no_event(api: Api, db: Database, shop: FakeShop):
    order = shop.data.orders[2]
    ident = order_id(db, order["id"])
    shop.data.set_order(order["id"], bank_card="*4444")
    (new,) = shop.data.add_orders(1)
    # The merge of the batch holding both fails on the new order: the changed one's event goes with it.
    with trigger_on_order(db, new["id"], "RAISE EXCEPTION 'disk full';"):
        status, body = api.send("POST", "/api/sync-orders")
    assert status == 502 and body["runs"][0]["status"] == "failed", body  # a failed run is a 502
    assert [e["kind"] for e in timeline(api, f"/api/orders/{ident}")] == ["created"]
    sync_orders(api)  # the next run writes it, once
    events = timeline(api, f"/api/orders/{ident}")
    assert [e["kind"] for e in events] == ["changed", "created"]
    assert shop_changes(events[0])["bank_card"][1] == "*4444"
