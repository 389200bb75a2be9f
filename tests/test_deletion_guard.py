"""The deletion guard (docs/sync.md, "The deletion guard"): half a listing never becomes a mass
deletion, the staff decide, and a listing that has the records again clears the hold. Through the
HTTP API (chalice's test client), against a real Postgres and the fake shop over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from chalicelib.alerts.delivery import failed_metric
from chalicelib.db import Database
from chalicelib.sync import RunSummary
from chalicelib.sync.deletion_guard import DeletionGuard
from chalicelib.sync.service import lock_key, metrics
from devtools.fake_shop import FakeShop
from tests.stack import alarms, resources_template
from tests.test_api import VIEWER, Api, api

__all__ = ["api"]  # the fixture (synced once), imported for the tests below


def sync_orders(api: Api) -> dict[str, Any]:
    status, body = api.send("POST", "/api/sync-orders")
    assert status == 200, body
    (run,) = body["runs"]
    return dict(run)


def sync_products(api: Api) -> dict[str, Any]:
    status, body = api.send("POST", "/api/sync-products")
    assert status == 200, body
    (run,) = body["runs"]
    return dict(run)


def flagged(db: Database, table: str) -> int:
    return int(db.run(f"SELECT count(*) FROM {table} WHERE deleted_upstream_at IS NOT NULL")[0][0])


def held(api: Api, resource: str) -> dict[str, Any]:
    found = {r["resource"]: r for r in api.ok("/api/sync/held-deletions")["resources"]}
    assert set(found) == {"orders", "products"}
    return dict(found[resource])


def figures(api: Api) -> tuple[int, str]:
    stats = api.ok("/api/orders/stats")
    return stats["total_orders"], stats["total_revenue"]


def test_half_a_listing_holds_its_deletions_and_applying_them_flags_them(
    api: Api, db: Database, shop: FakeShop
):
    before = figures(api)
    listed = api.ok("/api/orders?limit=1")["total"]
    half = sorted(o["id"] for o in shop.data.orders)[::2]
    shop.data.delete_orders(half)

    run = sync_orders(api)
    assert run["status"] == "partial" and run["error_code"] == "deletions_held"
    share = f"{Decimal(100 * len(half)) / listed:.1f}%"
    assert f"{len(half):,} of the {listed:,} live orders ({share})" in run["error"]
    assert (run["counts"]["deleted"], run["counts"]["held"]) == (0, len(half))
    assert flagged(db, "orders") == 0
    assert figures(api) == before  # the stats, the revenue: as they were
    assert api.ok("/api/orders?limit=1")["total"] == listed

    hold = held(api, "orders")
    assert (hold["held"], hold["ignored"], hold["first_run_id"]) == (len(half), 0, run["id"])
    assert hold["sample"] == half[:20] and hold["last_decision"] is None
    assert held(api, "products")["held"] == 0

    # The next run (the same half listing) holds them still and says so again; nothing is flagged.
    again = sync_orders(api)
    assert (again["status"], again["counts"]["held"], again["counts"]["deleted"]) == ("partial", len(half), 0)
    assert held(api, "orders")["first_run_id"] == run["id"]

    status, body = api.send("POST", "/api/sync/held-deletions/orders", {"action": "apply"})
    assert status == 200, body
    assert body["held"] == 0 and body["last_decision"]["action"] == "apply"
    assert (body["last_decision"]["records"], body["last_decision"]["decided_by"]) == (len(half), "tester")
    assert flagged(db, "orders") == len(half)
    remaining = shop.data.orders
    sales = sum(Decimal(o["total_amount"]) for o in remaining if o["status"] not in {"cancelled", "refunded"})
    assert figures(api) == (len(remaining), f"{sales:.2f}")

    after = sync_orders(api)  # decided: the listing is believed again
    assert (after["status"], after["counts"]["held"], after["counts"]["deleted"]) == ("succeeded", 0, 0)


def test_records_listed_again_clear_the_hold(api: Api, db: Database, shop: FakeShop):
    gone = list(shop.data.orders)[:200]
    shop.data.delete_orders([o["id"] for o in gone])
    assert sync_orders(api)["counts"]["held"] == 200
    for order in gone:
        shop.data.restore_order(order)
    run = sync_orders(api)
    assert (run["status"], run["counts"]["held"], run["counts"]["deleted"]) == ("succeeded", 0, 0)
    assert held(api, "orders")["held"] == 0
    assert flagged(db, "orders") == 0


def test_a_hold_that_shrinks_below_the_threshold_is_flagged_as_usual(api: Api, db: Database, shop: FakeShop):
    gone = list(shop.data.orders)[:100]
    shop.data.delete_orders([o["id"] for o in gone])
    assert sync_orders(api)["counts"]["held"] == 100
    for order in gone[5:]:
        shop.data.restore_order(order)
    run = sync_orders(api)  # five missing now: a deletion like any other
    assert (run["status"], run["counts"]["deleted"], run["counts"]["held"]) == ("succeeded", 5, 0)
    assert flagged(db, "orders") == 5 and held(api, "orders")["held"] == 0


def test_below_the_threshold_deletions_are_flagged_as_before(api: Api, db: Database, shop: FakeShop):
    # 300 orders: 29 missing is under 10%.
    shop.data.delete_orders([o["id"] for o in shop.data.orders][:29])
    run = sync_orders(api)
    assert (run["status"], run["counts"]["deleted"], run["counts"]["held"]) == ("succeeded", 29, 0)
    # 40 products: 15 missing is 37%, but not more than 20 records.
    products = shop.data.real_products()
    shop.data.delete_products([p["id"] for p in products[:15]])
    run = sync_products(api)
    assert (run["status"], run["counts"]["deleted"], run["counts"]["held"]) == ("succeeded", 15, 0)
    assert flagged(db, "products") == 15


def test_products_are_guarded_and_applying_rematches_their_items(api: Api, db: Database, shop: FakeShop):
    products = shop.data.real_products()
    gone = [p["id"] for p in products[:25]]
    shop.data.delete_products(gone)
    run = sync_products(api)
    assert (run["status"], run["error_code"], run["counts"]["held"]) == ("partial", "deletions_held", 25)
    assert flagged(db, "products") == 0
    matched = "SELECT count(*) FROM order_items WHERE product_id IS NOT NULL"
    before = db.run(matched)[0][0]

    status, body = api.send("POST", "/api/sync/held-deletions/products", {"action": "apply"})
    assert status == 200, body
    assert flagged(db, "products") == 25
    assert db.run(matched)[0][0] < before  # their items no longer count in a live product's sales


def test_ignoring_keeps_the_records_live_and_the_next_runs_clean(api: Api, db: Database, shop: FakeShop):
    gone = list(shop.data.orders)[:150]
    shop.data.delete_orders([o["id"] for o in gone])
    before = figures(api)
    sync_orders(api)
    status, body = api.send("POST", "/api/sync/held-deletions/orders", {"action": "ignore"})
    assert status == 200, body
    assert (body["held"], body["ignored"]) == (0, 150)
    assert body["last_decision"]["action"] == "ignore" and body["last_decision"]["records"] == 150

    run = sync_orders(api)
    assert (run["status"], run["counts"]["held"], run["counts"]["deleted"]) == ("succeeded", 0, 0)
    assert flagged(db, "orders") == 0 and figures(api) == before

    # One of them comes back: it is an ordinary order again; if it goes missing alone later, it is
    # flagged like any other.
    shop.data.restore_order(gone[0])
    sync_orders(api)
    assert held(api, "orders")["ignored"] == 149
    shop.data.delete_orders([gone[0]["id"]])
    assert sync_orders(api)["counts"]["deleted"] == 1


def test_deciding_needs_full_access_a_known_resource_a_known_action_and_no_sync_running(
    api: Api, db: Database, shop: FakeShop
):
    shop.data.delete_orders([o["id"] for o in shop.data.orders][:150])
    sync_orders(api)
    path = "/api/sync/held-deletions/orders"
    viewer = {**VIEWER, "Content-Type": "application/json"}
    assert api.send("POST", path, {"action": "apply"}, headers=viewer)[0] == 403
    assert api.get("/api/sync/held-deletions", headers=VIEWER)[0] == 200  # reading is for everyone
    assert api.send("POST", "/api/sync/held-deletions/customers", {"action": "apply"})[0] == 404
    status, body = api.send("POST", path, {"action": "delete"})
    assert status == 400 and body["error"]["code"] == "validation_error", body
    assert api.send("POST", path, {})[0] == 400
    assert api.send("POST", path, {"action": "apply", "more": 1})[0] == 400

    with database_lock(db, "orders"):
        status, body = api.send("POST", path, {"action": "apply"})
    assert status == 409 and "sync is running" in body["error"]["message"], body
    assert flagged(db, "orders") == 0 and held(api, "orders")["held"] == 150


def test_a_not_modified_run_counts_what_is_still_held(api: Api, db: Database, shop: FakeShop):
    shop.validators = True  # the shop sends an ETag from now on, and answers 304 to it
    shop.data.delete_orders([o["id"] for o in shop.data.orders][:150])
    assert sync_orders(api)["counts"]["held"] == 150
    run = sync_orders(api)
    assert run["not_modified"] and run["counts"]["held"] == 150  # the alarm stays on
    line = metrics(RunSummary.model_validate(run))
    assert (line["RecordsHeld"], line["Resource"]) == (150.0, "orders")


@contextmanager
def database_lock(db: Database, resource: str) -> Iterator[None]:
    """Hold the resource's sync lock from another connection, as a running sync does."""
    with db.connection() as conn:
        conn.run("SELECT pg_advisory_lock(:k)", k=lock_key(resource))
        try:
            yield
        finally:
            conn.run("SELECT pg_advisory_unlock(:k)", k=lock_key(resource))


def test_the_guard_decides_by_share_and_count():
    guard = DeletionGuard(Decimal(10), 20)
    assert not guard.holds(20, 100)  # 20 records: not more than 20
    assert guard.holds(21, 100)
    assert not guard.holds(100, 1000)  # 10%: not more than 10%
    assert guard.holds(101, 1000)
    assert not DeletionGuard(Decimal(100), 0).holds(50, 50)  # 100%: never holds
    assert DeletionGuard(Decimal(0), 0).holds(1, 1_000_000)  # 0: holds every deletion


def test_the_stack_alarms_on_held_deletions_of_each_resource():
    emitted = set(metrics(RunSummary.model_validate(_a_run()))) | set(
        failed_metric()
    )  # the alert functions' too
    held = {}
    for props in alarms(resources_template()):
        # every alarm watches a real metric, itself or through metric math
        watched = (
            [props["MetricName"]]
            if "MetricName" in props
            else [m["MetricStat"]["Metric"]["MetricName"] for m in props["Metrics"] if "MetricStat" in m]
        )
        assert watched and set(watched) <= emitted, props["AlarmName"]
        if props.get("MetricName") == "RecordsHeld":
            held[props["Dimensions"][0]["Value"]] = props
    assert set(held) == {"orders", "products"}
    assert all(p["OKActions"] and p["Threshold"] == 1 for p in held.values())


def _a_run() -> dict[str, Any]:
    return {
        "id": 1, "resource": "orders", "trigger": "cli", "status": "partial",
        "started_at": "2026-12-07T10:00:00Z", "finished_at": "2026-12-07T10:00:01Z",
        "counts": {"held": 3}, "error": None, "newest_data_at": "2026-12-07T09:00:00Z",
    }  # fmt: skip
