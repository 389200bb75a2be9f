"""Shape drift (docs/sync.md, "Shape drift"): a renamed field, a new field and an unknown status are
each shown in the run's detail, and the ShapeDrift metric (in the run's log line, as CloudWatch reads
it) goes on when the shop's records stop fitting. Through the HTTP API, against a real Postgres and
the fake shop over HTTP."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from chalicelib.db import Database
from chalicelib.sync.service import metrics
from chalicelib.sync.shape import ORDER_FIELDS, DriftAlarm, ShapeWatch
from devtools.fake_shop import FakeShop
from tests.stack import alarms, resources_template
from tests.test_api import Api, api
from tests.test_deletion_guard import sync_orders, sync_products

__all__ = ["api"]  # the fixture (synced once), imported for the tests below


def detail(api: Api, run: dict[str, Any]) -> dict[str, Any]:
    return dict(api.ok(f"/api/sync/runs/{run['id']}"))


def drift_metric(caplog: pytest.LogCaptureFixture, run_id: int) -> float:
    """The ShapeDrift value of the run's own log line."""
    (line,) = [
        r
        for r in caplog.records
        if getattr(r, "event", None) == "sync_run" and getattr(r, "run_id", None) == run_id
    ]
    return float(getattr(line, "ShapeDrift"))  # noqa: B009 (an attribute the log call's `extra` set)


def test_a_renamed_field_is_missing_everywhere_and_raises_the_metric(
    api: Api, db: Database, shop: FakeShop, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger="chalicelib.sync.service")
    orders = len(shop.data.orders)
    shop.data.reshape("orders", rename={"total_amount": "total"})

    run = sync_orders(api)
    assert run["status"] == "partial" and run["counts"]["invalid"] == orders  # each quarantined
    shape = detail(api, run)["shape"]
    assert shape["examined"] == orders
    assert {"field": "total", "records": orders} in shape["unknown_fields"]
    assert shape["missing_fields"] == [{"field": "total_amount", "records": orders}]
    assert shape["quarantined_percent"] == "100.0"
    assert shape["drift"] and shape["drift_reasons"] == ["field_missing_everywhere", "quarantine_share"]
    assert run["shape_drift"] is True and drift_metric(caplog, run["id"]) == 1.0

    # The shop sends the old shape again: the next run reads every order anew, and all is well.
    shop.data.reshape("orders", rename={"total": "total_amount"})
    healed = sync_orders(api)
    assert healed["status"] == "succeeded" and healed["shape_drift"] is False
    assert drift_metric(caplog, healed["id"]) == 0.0
    shape = detail(api, healed)["shape"]
    assert (shape["unknown_fields"], shape["missing_fields"], shape["drift"]) == ([], [], False)


def test_a_new_field_is_shown_but_is_no_drift(api: Api, shop: FakeShop, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO, logger="chalicelib.sync.service")
    shop.data.reshape("products", add={"barcode": "4601234567890"})
    run = sync_products(api)
    assert run["status"] == "succeeded"
    shape = detail(api, run)["shape"]
    records = len(shop.data.products)  # products and categories alike: every record is read
    assert shape["examined"] == records
    assert shape["unknown_fields"] == [{"field": "barcode", "records": records}]
    assert shape["missing_fields"] == [] and not shape["drift"]
    assert drift_metric(caplog, run["id"]) == 0.0


def test_an_unknown_status_is_reported_the_first_time_only(api: Api, db: Database, shop: FakeShop):
    first, second = (o["id"] for o in shop.data.orders[:2])
    shop.data.set_order(first, status="on_hold")
    shop.data.set_order(second, status="on_hold")
    run = sync_orders(api)
    shape = detail(api, run)["shape"]
    assert shape["new_statuses"] == [{"status": "on_hold", "records": 2}]
    assert shape["examined"] == 2  # only the orders that changed were read in full
    assert not shape["drift"]  # a new status is stored as sent: news, not an outage
    stored = db.run("SELECT count(*) FROM orders WHERE upstream_status = 'on_hold'")
    assert stored == [[2]]

    shop.data.set_order(shop.data.orders[2]["id"], status="on_hold")
    again = detail(api, sync_orders(api))["shape"]
    assert again["new_statuses"] == [] and again["examined"] == 1


def test_a_304_keeps_the_drift_the_last_full_read_found(api: Api, shop: FakeShop):
    shop.validators = True
    shop.data.reshape("orders", rename={"created_at": "created"})
    assert sync_orders(api)["shape_drift"] is True
    run = sync_orders(api)
    assert run["not_modified"] and run["shape_drift"] is True  # the alarm stays on
    assert detail(api, run)["shape"] is None  # nothing was read
    assert metrics_of(run)["ShapeDrift"] == 1.0


def metrics_of(run: dict[str, Any]) -> dict[str, Any]:
    from chalicelib.sync import RunSummary

    return metrics(RunSummary.model_validate(run))


def test_field_names_are_bounded_and_nested_fields_named_by_path(db: Database):
    watch = ShapeWatch(ORDER_FIELDS)
    base = {name: None for name in ORDER_FIELDS.top}
    item = {"name": "x", "quantity": 1}  # no price
    for n in range(200):  # a hostile shop: a new field name in every record
        watch.look({**base, f"junk{n:03}\x00": 1, "order_items": [item, {**item, "price": "1"}], "user": {}})
    watch.look("not an object")  # quarantined elsewhere; not a record to compare
    with db.transaction() as conn:
        report = watch.report(conn, {"fetched": 201, "invalid": 1}, DriftAlarm())
    assert report["examined"] == 200
    assert len(report["unknown_fields"]) == 50 and report["unknown_fields_more"] == 150
    assert {"field": "junk000\ufffd", "records": 1} in report["unknown_fields"]  # text PostgreSQL holds
    missing = {m["field"]: m["records"] for m in report["missing_fields"]}
    assert missing == {"order_items[].price": 200, "user.id": 200, "user.full_name": 200, "user.city": 200}
    assert report["quarantined_percent"] == "0.5" and not report["drift"]  # nothing missing at the top


def test_the_stack_alarms_on_shape_drift_of_each_resource():
    drift = {
        a["Dimensions"][0]["Value"]: a
        for a in alarms(resources_template())
        if a.get("MetricName") == "ShapeDrift"
    }
    assert set(drift) == {"orders", "products"}
    assert all(a["Statistic"] == "Maximum" and a["Threshold"] == 1 and a["OKActions"] for a in drift.values())
