"""Freshness by the data (docs/sync.md, "Freshness"): the newest shop timestamp per resource and its
age, in GET /api/sync/status and as each run's DataAgeSeconds metric; a run can succeed while the
shop's own data stands still. Through the HTTP API, against a real Postgres and the fake shop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.sync import RunSummary
from chalicelib.sync.service import metrics
from devtools.fake_shop import FakeShop
from tests.stack import resources_template
from tests.test_api import Api, api
from tests.test_deletion_guard import sync_orders

__all__ = ["api"]  # the fixture (synced once), imported for the tests below

MOSCOW = ZoneInfo("Europe/Moscow")


def shop_time(text: str) -> datetime:
    """`05.06.2025 21:31:26` in the shop's zone."""
    return datetime.strptime(text, "%d.%m.%Y %H:%M:%S").replace(tzinfo=MOSCOW)


def status(api: Api, resource: str) -> dict[str, Any]:
    return dict(api.ok("/api/sync/status")["resources"][resource])


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_the_status_gives_the_newest_order_and_product_and_their_age(api: Api, shop: FakeShop):
    newest_order = max(shop_time(o["created_at"]) for o in shop.data.orders)
    newest_product = max(datetime.fromisoformat(p["updated_at"]) for p in shop.data.products)
    orders, products = status(api, "orders"), status(api, "products")
    assert instant(orders["newest_data_at"]) == newest_order
    assert instant(products["newest_data_at"]) == newest_product
    age = (datetime.now(UTC) - newest_order).total_seconds()
    assert abs(orders["data_age_seconds"] - age) < 60


def test_a_new_order_moves_it_and_the_runs_metric_says_its_age(api: Api, shop: FakeShop):
    placed = datetime.now(MOSCOW).replace(microsecond=0) - timedelta(minutes=42)
    shop.data.add_orders(1, at=placed)
    run = sync_orders(api)
    assert instant(run["newest_data_at"]) == placed
    line = metrics(RunSummary.model_validate(run))
    assert 42 * 60 <= line["DataAgeSeconds"] < 43 * 60 + 30
    assert {"Name": "DataAgeSeconds", "Unit": "Seconds"} in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]
    assert status(api, "orders")["data_age_seconds"] >= 42 * 60

    # A 304 says the same newest order, a little older: the metric keeps counting while nothing comes.
    shop.validators = True
    sync_orders(api)
    again = sync_orders(api)
    assert again["not_modified"] and instant(again["newest_data_at"]) == placed

    # The shop drops that order: the newest is the one before it again.
    newest = shop.data.orders[-1]["id"]
    shop.data.delete_orders([newest])
    after = sync_orders(api)
    assert after["counts"]["deleted"] == 1
    assert instant(after["newest_data_at"]) < placed


def test_the_no_new_order_alarm_is_off_unless_its_hours_are_set():
    template = resources_template()
    assert template["Parameters"]["NoNewOrderAlarmHours"]["Default"] == 0
    alarm = template["Resources"]["NoNewOrderAlarm"]
    assert alarm["Condition"] == "HasNoNewOrderAlarm"
    props = alarm["Properties"]
    assert props["Threshold"] == {"Ref": "NoNewOrderAlarmHours"}
    (age,) = [m for m in props["Metrics"] if "MetricStat" in m]
    assert age["MetricStat"]["Metric"]["MetricName"] == "DataAgeSeconds"
    assert age["MetricStat"]["Metric"]["Dimensions"] == [{"Name": "Resource", "Value": "orders"}]
    (hours,) = [m for m in props["Metrics"] if m.get("ReturnData")]
    assert hours["Expression"] == "age / 3600"
