"""The HTTP API (docs/api.md) through chalice.test.Client, against a real, synced database."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from chalice.test import Client

from chalicelib.db import Database
from devtools.fake_shop import FakeShop
from devtools.shop_data import ShopData
from tests.conftest import database_for, sync_lock_holders, wait_until

ADMIN = {"Authorization": "Bearer test-admin-token-0123456789"}
VIEWER = {"Authorization": "Bearer test-viewer-token-0123456789"}
JSON = {**ADMIN, "Content-Type": "application/json"}
MOSCOW = ZoneInfo("Europe/Moscow")


class Api:
    def __init__(self, client: Any) -> None:
        self.client = client

    def get(self, path: str, headers: dict[str, str] = ADMIN) -> tuple[int, Any]:
        response = self.client.http.get(path, headers=headers)
        return response.status_code, json.loads(response.body or b"null")

    def send(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] = JSON
    ) -> tuple[int, Any]:
        raw = body if isinstance(body, str | bytes) else json.dumps(body) if body is not None else b""
        response = self.client.http.request(method, path, headers=headers, body=raw)
        return response.status_code, json.loads(response.body or b"null")

    def ok(self, path: str) -> Any:
        status, body = self.get(path)
        assert status == 200, body
        return body


@pytest.fixture
def api(app_env: None, db: Database) -> Iterator[Api]:
    from app import app

    with Client(app) as client:
        wrapper = Api(client)
        status, body = wrapper.send("POST", "/api/sync-all")
        assert status == 200, body
        yield wrapper


def order_id(db: Database, external_id: int) -> int:
    return int(db.run("SELECT id FROM orders WHERE external_id = :e", e=external_id)[0][0])


def product_id(db: Database, external_id: int) -> int:
    return int(db.run("SELECT id FROM products WHERE external_id = :e", e=external_id)[0][0])


def shop_day(raw_time: str) -> date:
    return datetime.strptime(raw_time, "%d.%m.%Y %H:%M:%S").date()


# -- orders ----------------------------------------------------------------------------------------


def test_orders_list_is_paged_newest_first_with_an_exact_total(api: Api, shop_data: ShopData):
    page = api.ok("/api/orders?limit=7&offset=3")
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (
        len(shop_data.orders),
        7,
        3,
        7,
    )
    everything = (
        api.ok("/api/orders?limit=200")["items"] + api.ok("/api/orders?limit=200&offset=200")["items"]
    )
    times = [o["created_at"] for o in everything]
    assert times == sorted(times, reverse=True)
    assert page["items"] == everything[3:10]
    assert {"item_count", "customer", "overridden", "upstream_status"} <= set(page["items"][0])


def test_orders_filter_by_status_repeatable(api: Api, shop_data: ShopData):
    page = api.ok("/api/orders?status=cancelled&status=processing&limit=200")
    expected = [o for o in shop_data.orders if o["status"] in ("cancelled", "processing")]
    assert page["total"] == len(expected) > 0
    assert {o["status"] for o in page["items"]} <= {"cancelled", "processing"}


def test_orders_filter_by_shop_local_dates(api: Api, shop_data: ShopData):
    days = sorted({shop_day(o["created_at"]) for o in shop_data.orders})
    first, last = days[len(days) // 3], days[2 * len(days) // 3]
    expected = [o for o in shop_data.orders if first <= shop_day(o["created_at"]) <= last]
    page = api.ok(f"/api/orders?date_from={first}&date_to={last}&limit=200")
    assert page["total"] == len(expected)
    for order in page["items"]:
        assert first <= datetime.fromisoformat(order["created_at"]).astimezone(MOSCOW).date() <= last


def test_orders_search_by_customer_city_and_shop_number(api: Api, shop_data: ShopData):
    raw = shop_data.orders[10]
    by_number = api.ok(f"/api/orders?q={raw['id']}")
    assert [o["external_id"] for o in by_number["items"]] == [raw["id"]]
    city = raw["user"]["city"]
    by_city = api.ok(f"/api/orders?q={city.lower()}&limit=200")
    assert by_city["total"] == sum(1 for o in shop_data.orders if o["user"]["city"] == city)
    assert api.ok("/api/orders?q=%25")["total"] == 0  # a literal %, not a wildcard


def test_a_search_of_digits_that_are_not_ascii_is_text(api: Api):
    # found by Schemathesis: "¹".isdigit() is true and int("¹") failed, a 500
    for q in ("¹", "٣", "１２"):
        status, page = api.get(f"/api/orders?q={quote(q)}")
        assert status == 200 and page["total"] == 0, (q, page)


def test_orders_sort_by_total(api: Api):
    totals = [Decimal(o["total_amount"]) for o in api.ok("/api/orders?sort=total_amount&limit=50")["items"]]
    assert totals == sorted(totals)
    totals = [Decimal(o["total_amount"]) for o in api.ok("/api/orders?sort=-total_amount&limit=50")["items"]]
    assert totals == sorted(totals, reverse=True)


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=201",
        "offset=-1",
        "limit=abc",
        "sort=name",
        "date_from=2025-13-01",
        "date_from=2025-02-01&date_to=2025-01-01",
        "unknown=1",
    ],
)
def test_orders_list_refuses_bad_query_strings(api: Api, query: str):
    status, body = api.get(f"/api/orders?{query}")
    assert status == 400
    assert body["error"]["code"] == "validation_error" and body["error"]["message"]


def test_one_order_has_its_items_with_exact_money(api: Api, db: Database, shop_data: ShopData):
    raw = shop_data.orders[0]
    order = api.ok(f"/api/orders/{order_id(db, raw['id'])}")
    assert order["external_id"] == raw["id"]
    assert order["total_amount"] == f"{Decimal(raw['total_amount']):.2f}"
    assert [(i["name"], i["quantity"], i["price"]) for i in order["items"]] == [
        (i["name"].strip(), i["quantity"], f"{Decimal(i['price']):.2f}") for i in raw["order_items"]
    ]
    assert all(i["product_id"] is not None for i in order["items"])
    assert (
        datetime.fromisoformat(order["created_at"]).astimezone(MOSCOW).strftime("%d.%m.%Y %H:%M:%S")
        == raw["created_at"]
    )


@pytest.mark.parametrize(
    ("path", "status"),
    [("/api/orders/999999", 404), ("/api/orders/abc", 400), ("/api/orders/-3", 400), ("/api/orders/0", 400)],
)
def test_missing_and_malformed_order_ids(api: Api, path: str, status: int):
    code, body = api.get(path)
    assert code == status and "error" in body


def test_stats_match_totals_computed_from_the_shop(api: Api, shop_data: ShopData):
    not_sales = {"cancelled", "refunded"}
    stats = api.ok("/api/orders/stats")
    revenue = sum(Decimal(o["total_amount"]) for o in shop_data.orders if o["status"] not in not_sales)
    paying = sum(1 for o in shop_data.orders if o["status"] not in not_sales)
    assert stats["total_orders"] == len(shop_data.orders)
    assert Decimal(stats["total_revenue"]) == revenue
    assert Decimal(stats["average_order_value"]) == (revenue / Decimal(paying)).quantize(Decimal("0.01"))
    by_status: dict[str, list[Any]] = {}
    for o in shop_data.orders:
        entry = by_status.setdefault(o["status"], [0, Decimal(0)])
        entry[0] += 1
        entry[1] += Decimal(o["total_amount"])
    assert {s["status"]: [s["count"], Decimal(s["revenue"])] for s in stats["by_status"]} == by_status
    by_day: dict[str, list[Any]] = {}
    for o in shop_data.orders:
        entry = by_day.setdefault(shop_day(o["created_at"]).isoformat(), [0, Decimal(0)])
        entry[0] += 1
        if o["status"] not in not_sales:
            entry[1] += Decimal(o["total_amount"])
    assert {d["date"]: [d["orders"], Decimal(d["revenue"])] for d in stats["by_day"]} == by_day
    assert len(stats["recent_orders"]) == 5


def test_stats_for_a_range(api: Api, shop_data: ShopData):
    days = sorted({shop_day(o["created_at"]) for o in shop_data.orders})
    first, last = days[-30], days[-1]
    stats = api.ok(f"/api/orders/stats?date_from={first}&date_to={last}")
    assert stats["total_orders"] == sum(
        1 for o in shop_data.orders if first <= shop_day(o["created_at"]) <= last
    )
    assert all(first.isoformat() <= d["date"] <= last.isoformat() for d in stats["by_day"])


# -- staff edits on orders -------------------------------------------------------------------------


def test_order_status_override_round_trip(api: Api, db: Database, shop: FakeShop):
    raw = shop.data.orders[2]
    ident = order_id(db, raw["id"])
    status, order = api.send("PUT", f"/api/orders/{ident}/status", {"status": "delivered"})
    assert status == 200 and order["status"] == "delivered" and order["overridden"] == ["status"]

    shop.data.set_order(raw["id"], status="cancelled")
    assert api.send("POST", "/api/sync-orders")[0] == 200
    order = api.ok(f"/api/orders/{ident}")
    assert (order["status"], order["upstream_status"]) == ("delivered", "cancelled")
    assert api.ok("/api/orders?status=delivered&limit=200")["total"] == 1  # filters use the effective value

    status, order = api.send("DELETE", f"/api/orders/{ident}/overrides/status", headers=ADMIN)
    assert status == 200 and order["status"] == "cancelled" and order["overridden"] == []


def test_partial_order_update_sets_staff_fields_and_records_who(
    api: Api, db: Database, shop_data: ShopData, caplog: pytest.LogCaptureFixture
):
    ident = order_id(db, shop_data.orders[4]["id"])
    status, order = api.send(
        "PUT",
        f"/api/orders/{ident}",
        {
            "customer_phone": "+7 900 123-45-67",
            "tracking_number": "RR123456789RU",
            "notes": "Позвонить до 18:00",
        },
    )
    assert status == 200, order
    assert order["customer"]["phone"] == "+7 900 123-45-67"
    assert (order["tracking_number"], order["notes"]) == ("RR123456789RU", "Позвонить до 18:00")
    assert sorted(order["overridden"]) == ["customer_phone", "notes", "tracking_number"]
    edits = db.run(
        "SELECT field, edited_by, new_value FROM staff_edits WHERE entity_id = :i ORDER BY field", i=ident
    )
    assert edits == [
        ["customer_phone", "tester", "+7 900 123-45-67"],
        ["notes", "tester", "Позвонить до 18:00"],
        ["tracking_number", "tester", "RR123456789RU"],
    ]

    logged = [r for r in caplog.records if getattr(r, "event", None) == "staff_edit"]
    assert [(r.entity_id, r.edited_by, r.fields) for r in logged] == [  # type: ignore[attr-defined]
        (ident, "tester", ["customer_phone", "notes", "tracking_number"])
    ]
    assert all("test-admin-token" not in r.getMessage() and "+7 900" not in r.getMessage() for r in logged)
    status, order = api.send("PUT", f"/api/orders/{ident}", {"notes": None})
    assert status == 200 and order["notes"] is None and "notes" not in order["overridden"]


@pytest.mark.parametrize(
    "body",
    [{"status": "lost"}, {"status": 5}, {}, {"colour": "red"}, {"notes": "x" * 3000}, {"notes": "a\u0000b"}],
)
def test_order_edits_refuse_bad_bodies(api: Api, db: Database, shop_data: ShopData, body: dict[str, Any]):
    ident = order_id(db, shop_data.orders[0]["id"])
    status, answer = api.send("PUT", f"/api/orders/{ident}", body)
    assert status == 400 and answer["error"]["code"] == "validation_error"
    assert answer["error"]["details"]


def test_malformed_json_wrong_content_type_and_oversized_bodies(api: Api, db: Database, shop_data: ShopData):
    path = f"/api/orders/{order_id(db, shop_data.orders[0]['id'])}/status"
    assert api.send("PUT", path, "{not json")[0] == 400
    assert (
        api.send("PUT", path, '{"status": "paid"}', headers={**ADMIN, "Content-Type": "text/plain"})[0] == 400
    )
    status, body = api.send("PUT", path, json.dumps({"status": "paid", "pad": "x" * 70_000}))
    assert status == 413 and body["error"]["code"] == "payload_too_large"
    deep = "[" * 100 + "]" * 100
    assert api.send("PUT", path, deep)[0] == 400


def test_editing_a_missing_order_is_404_and_an_unknown_override_field_too(
    api: Api, db: Database, shop_data: ShopData
):
    assert api.send("PUT", "/api/orders/999999/status", {"status": "paid"})[0] == 404
    ident = order_id(db, shop_data.orders[0]["id"])
    assert api.send("DELETE", f"/api/orders/{ident}/overrides/total_amount", headers=ADMIN)[0] == 404


def test_an_edit_of_an_order_a_sync_holds_is_a_quick_409_not_a_wait(
    api: Api, db: Database, database_url: str
):
    # found by bench/load_bench.py: a sync rewriting every order holds their rows until it commits
    # (35 s for 100,000), and an edit waited for it, past API Gateway's 29 s
    ident = int(db.run("SELECT min(id) FROM orders")[0][0])
    holder = database_for(database_url)
    with holder.transaction() as conn:
        conn.run("SELECT 1 FROM orders WHERE id = :id FOR UPDATE", id=ident)
        started = time.monotonic()
        status, body = api.send("PUT", f"/api/orders/{ident}/status", {"status": "shipped"})
        took = time.monotonic() - started
    holder.close()
    assert (status, body["error"]["code"]) == (409, "conflict") and took < 6, (status, body, took)
    assert "being written by a sync" in body["error"]["message"]
    assert [d["type"] for d in body["error"]["details"]] == ["record_busy"]  # what the console says
    assert api.send("PUT", f"/api/orders/{ident}/status", {"status": "shipped"})[0] == 200


def test_a_staff_cancellation_leaves_the_sales(api: Api, db: Database, shop_data: ShopData):
    raw = next(o for o in reversed(shop_data.orders) if o["status"] not in ("cancelled", "refunded"))
    before = db.run("SELECT sum(sales_qty) FROM product_trends")[0][0]
    api.send("PUT", f"/api/orders/{order_id(db, raw['id'])}/status", {"status": "cancelled"})
    after = db.run("SELECT sum(sales_qty) FROM product_trends")[0][0]
    assert after == before - sum(i["quantity"] for i in raw["order_items"])


# -- products --------------------------------------------------------------------------------------


def test_products_list_filters_and_sorts(api: Api, shop_data: ShopData):
    products = shop_data.real_products()
    page = api.ok("/api/products?limit=200")
    assert page["total"] == len(products)
    names = [p["name"] for p in page["items"]]
    assert names == sorted(names, key=str.lower)
    adhd = api.ok("/api/products?category=%D0%A1%D0%94%D0%92%D0%93&limit=200")  # СДВГ
    assert adhd["total"] == sum(1 for p in products if p["ancestry"] == "1/2")
    assert api.ok("/api/products?q=atominex")["total"] == sum(1 for p in products if p["brand"] == "Atominex")
    prices = [Decimal(p["price"]) for p in api.ok("/api/products?sort=-price&limit=200")["items"]]
    assert prices == sorted(prices, reverse=True)
    statuses = {p["analytics"]["stock_status"] for p in page["items"]}
    for stock_status in statuses:
        subset = api.ok(f"/api/products?stock_status={stock_status}&limit=200")
        assert subset["total"] == sum(
            1 for p in page["items"] if p["analytics"]["stock_status"] == stock_status
        )
    assert api.get("/api/products?stock_status=empty")[0] == 400


def test_price_stock_cost_and_visibility_edits(api: Api, db: Database, shop: FakeShop):
    raw = shop.data.real_products()[0]
    ident = product_id(db, raw["id"])
    status, product = api.send("PUT", f"/api/products/{ident}/price", {"price": "1990.10"})
    assert status == 200 and product["price"] == "1990.10"
    assert product["upstream"] == {"price": f"{Decimal(raw['price']):.2f}"}
    assert api.send("PUT", f"/api/products/{ident}/price", {"price": 1234.5})[1]["price"] == "1234.50"
    assert api.send("PUT", f"/api/products/{ident}/stock", {"stock_quantity": 12})[1]["stock_quantity"] == 12
    product = api.send("PUT", f"/api/products/{ident}/cost", {"cost": "850.00"})[1]
    assert (product["cost"], product["margin"]) == ("850.00", "384.50")
    product = api.send("PUT", f"/api/products/{ident}/visibility", {"hidden": True})[1]
    assert product["is_hidden"] is True
    assert api.ok("/api/products?hidden=true")["total"] == 1
    assert sorted(product["overridden"]) == ["cost", "is_hidden", "price", "stock_quantity"]

    shop.data.set_product(raw["id"], price="7777.0", stock_quantity=99)
    assert api.send("POST", "/api/sync-products")[0] == 200
    product = api.ok(f"/api/products/{ident}")
    assert (product["price"], product["stock_quantity"]) == ("1234.50", 12)
    assert product["upstream"] == {"price": "7777.00", "stock_quantity": 99}

    api.send("DELETE", f"/api/products/{ident}/overrides/price", headers=ADMIN)
    product = api.send("DELETE", f"/api/products/{ident}/overrides/stock_quantity", headers=ADMIN)[1]
    assert (product["price"], product["stock_quantity"], product["upstream"]) == ("7777.00", 99, {})


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("price", {"price": "-1"}),
        ("price", {"price": "1.001"}),
        ("price", {"price": "NaN"}),
        ("price", {"price": "1e400"}),
        ("stock", {"stock_quantity": -1}),
        ("stock", {"stock_quantity": 1.5}),
        ("stock", {"stock_quantity": "5"}),
        ("visibility", {"hidden": "yes"}),
        ("cost", {}),
        ("analytics", {"trend": "up"}),
        ("analytics", {}),
    ],
)
def test_product_edits_refuse_bad_bodies(api: Api, db: Database, shop_data: ShopData, path: str, body: Any):
    ident = product_id(db, shop_data.real_products()[0]["id"])
    status, answer = api.send("PUT", f"/api/products/{ident}/{path}", body)
    assert status == 400, answer
    assert answer["error"]["code"] == "validation_error"


def test_analytics_inputs_and_overrides(api: Api, db: Database, shop_data: ShopData):
    ident = product_id(db, shop_data.real_products()[0]["id"])
    before = api.ok(f"/api/products/{ident}")["analytics"]
    assert before["computed"] == {}  # nothing overridden yet
    product = api.send("PUT", f"/api/products/{ident}/analytics", {"min_stock": 1000, "delivery_days": 7})[1]
    assert product["analytics"]["min_stock"] == 1000 and product["analytics"]["stock_status"] == "critical"
    # The inputs' defaults, as the database holds them, stay beside the values in force.
    by_class = {"A": "95.0", "B": "90.0", "C": "85.0"}[before["abc_class"]]
    assert before["defaults"] == {
        "min_stock": 0,
        "delivery_days": 14,
        "in_transit": 0,
        "service_level": by_class,
    }
    assert product["analytics"]["defaults"] == before["defaults"]
    assert product["analytics"]["delivery_days"] == 7
    trend = "falling" if before["trend"] == "growing" else "growing"
    product = api.send("PUT", f"/api/products/{ident}/analytics", {"trend": trend, "days_to_zero": 3})[1]
    assert (product["analytics"]["trend"], product["analytics"]["days_to_zero"]) == (trend, 3)
    assert {"min_stock", "delivery_days", "trend", "days_to_zero"} <= set(product["overridden"])
    # beside each overridden value, what the service computes
    assert product["analytics"]["computed"] == {
        "trend": before["trend"],
        "days_to_zero": before["days_to_zero"],
    }
    product = api.send("DELETE", f"/api/products/{ident}/overrides/min_stock", headers=ADMIN)[1]
    assert product["analytics"]["min_stock"] == 0
    product = api.send("DELETE", f"/api/products/{ident}/overrides/days_to_zero", headers=ADMIN)[1]
    assert product["analytics"]["days_to_zero"] == before["days_to_zero"]
    assert "days_to_zero" not in product["analytics"]["computed"]


def seed_days(db: Database, ident: int, days: list[tuple[int, int, bool]]) -> None:
    """The product's per-day rows: (days before today, units sold, out of stock that day)."""
    db.run("DELETE FROM product_trends WHERE product_id = :p", p=ident)
    for ago, sold, out in days:
        db.run(
            """INSERT INTO product_trends (product_id, day, sales_qty, revenue, orders, last_sale_at,
                                           stock_level, out_of_stock)
               VALUES (:p, (now() AT TIME ZONE 'Europe/Moscow')::date - CAST(:ago AS integer),
                       :q, :q * 100, :q,
                       CASE WHEN :q > 0 THEN now() - make_interval(days => CAST(:ago AS integer)) END,
                       CASE WHEN :out THEN 0 ELSE 50 END, :out)""",
            p=ident, ago=ago, q=sold, out=out,
        )  # fmt: skip


def test_demand_counts_only_the_days_a_product_could_be_bought(api: Api, db: Database, shop_data: ShopData):
    sold_out, new = (product_id(db, p["id"]) for p in shop_data.real_products()[:2])
    # Out of stock 20 of the last 30 days (a unit sold on each before it ran out), 3 a day on the 10
    # others; known long before. Counted as before, its demand would be 50 / 30 = 1.667 a day.
    seed_days(db, sold_out, [(45, 1, False)] + [(n, 1 if n % 3 else 3, n % 3 != 0) for n in range(30)])
    seed_days(db, new, [(n, 2, False) for n in range(3)])  # first seen 3 days ago, selling well
    assert api.send("POST", "/api/sync-all")[0] == 200  # nothing changed: the analytics recomputed
    product = api.ok(f"/api/products/{sold_out}")
    analytics = product["analytics"]
    assert (analytics["demand_days"], analytics["demand_estimated"]) == (10, True)
    assert Decimal(analytics["avg_daily_sales_30d"]) == Decimal("3.000")
    stock = product["stock_quantity"]
    assert analytics["recommended_qty"] == max(0, 3 * (14 + 30) - stock)
    # Three days are too few for an estimate: it says so, and no demand is made up.
    analytics = api.ok(f"/api/products/{new}")["analytics"]
    assert (analytics["demand_days"], analytics["demand_estimated"]) == (3, False)
    assert Decimal(analytics["avg_daily_sales_30d"]) == 0 and analytics["days_to_zero"] is None
    # A staff value of the average is used as it is, whatever the days.
    analytics = api.send("PUT", f"/api/products/{new}/analytics", {"avg_daily_sales_30d": "2"})[1][
        "analytics"
    ]
    assert (
        Decimal(analytics["avg_daily_sales_30d"]) == 2 and analytics["computed"]["avg_daily_sales_30d"] == "0"
    )


def test_the_recommendation_adds_a_safety_stock_by_service_level_and_says_how(
    api: Api, db: Database, shop_data: ShopData
):
    ident = product_id(db, shop_data.real_products()[0]["id"])
    seed_days(db, ident, [(45, 1, False)] + [(n, 1 if n % 2 else 5, False) for n in range(30)])
    assert api.send("POST", "/api/sync-all")[0] == 200  # nothing changed: the analytics recomputed
    product = api.ok(f"/api/products/{ident}")
    analytics = product["analytics"]
    classes = {"A": "95.0", "B": "90.0", "C": "85.0"}  # the default service level by ABC class
    assert analytics["defaults"]["service_level"] == classes[analytics["abc_class"]]
    assert analytics["service_level"] == analytics["defaults"]["service_level"]
    # 1 and 5 a day in turn: 3 a day, a sample deviation of sqrt(30 * 4 / 29) = 2.034.
    product = api.send("PUT", f"/api/products/{ident}/analytics", {"service_level": "95"})[1]
    analytics, stock = product["analytics"], product["stock_quantity"]
    assert "service_level" in product["overridden"]
    how = analytics["recommendation"]
    assert (Decimal(how["demand"]), Decimal(how["sigma"]), how["demand_days"]) == (
        Decimal(3),
        Decimal("2.034"),
        30,
    )
    assert abs(Decimal(how["z"]) - Decimal("1.645")) < Decimal("0.001")
    assert how["safety_stock"] == 13  # ceil(1.645 * 2.034 * sqrt(14 delivery days)) = ceil(12.52)
    assert how["delivery_days"] == 14 and how["cover_days"] == 30 and how["stock"] == stock
    expected = max(0, 3 * (14 + 30) + 13 - stock)
    assert how["quantity"] == analytics["recommended_qty"] == expected
    # A higher service level asks for more; out of range is refused by name.
    higher = api.send("PUT", f"/api/products/{ident}/analytics", {"service_level": 99.5})[1]["analytics"]
    assert higher["recommendation"]["safety_stock"] > 13
    for bad in (100, 49.9, "95.55"):
        status, body = api.send("PUT", f"/api/products/{ident}/analytics", {"service_level": bad})
        assert status == 400 and "service_level" in json.dumps(body), (bad, body)
    back = api.send("DELETE", f"/api/products/{ident}/overrides/service_level", headers=ADMIN)[1]
    assert back["analytics"]["service_level"] == classes[back["analytics"]["abc_class"]]


def test_abc_classes_split_the_last_90_days_revenue_at_80_and_95_percent(
    api: Api, db: Database, shop_data: ShopData
):
    idents = [product_id(db, p["id"]) for p in shop_data.real_products()[:6]]
    db.run("UPDATE product_trends SET revenue = 0")
    # 1,000 in all: 700 and 110 make the first 80% (the one crossing it included), 90 and 60 the
    # next 15%, then 40; a product without revenue is C; revenue 91 days ago does not count.
    for ident, amount, ago in zip(idents, [700, 110, 90, 60, 40, 0], [1, 5, 30, 60, 89, 0], strict=True):
        db.run(
            """INSERT INTO product_trends (product_id, day, revenue)
               VALUES (:p, (now() AT TIME ZONE 'Europe/Moscow')::date - CAST(:ago AS integer), :r)
               ON CONFLICT (product_id, day) DO UPDATE SET revenue = EXCLUDED.revenue""",
            p=ident, ago=ago, r=amount,
        )  # fmt: skip
    db.run(
        """INSERT INTO product_trends (product_id, day, revenue)
           VALUES (:p, (now() AT TIME ZONE 'Europe/Moscow')::date - 91, 100000)""",
        p=idents[5],
    )
    assert api.send("POST", "/api/sync-all")[0] == 200  # nothing changed: the analytics recomputed
    classes = [api.ok(f"/api/products/{ident}")["analytics"]["abc_class"] for ident in idents]
    assert classes == ["A", "A", "B", "B", "C", "C"]


def test_the_largest_analytics_inputs_compute_without_overflow(api: Api, db: Database, shop_data: ShopData):
    # found by Schemathesis: integer arithmetic in product_view overflowed and the edit answered 500
    ident = product_id(db, shop_data.real_products()[0]["id"])
    status, product = api.send(
        "PUT",
        f"/api/products/{ident}/analytics",
        {"avg_daily_sales_30d": "999999999.999", "delivery_days": 3650},
    )
    assert status == 200, product
    assert product["analytics"]["recommended_qty"] == 2**31 - 1  # clamped to the column's range
    assert api.send("PUT", f"/api/products/{ident}/stock", {"stock_quantity": 10**9})[0] == 200
    status, product = api.send("PUT", f"/api/products/{ident}/analytics", {"avg_daily_sales_30d": "0.001"})
    assert status == 200 and product["analytics"]["days_to_zero"] == 2**31 - 1


def test_product_trends_cover_the_asked_days(api: Api, db: Database, shop_data: ShopData):
    ident = product_id(db, shop_data.real_products()[0]["id"])
    points = api.ok(f"/api/products/{ident}/trends?days=30")
    assert len(points) == 30
    assert points[-1]["date"] == datetime.now(MOSCOW).date().isoformat()
    assert points[-1]["stock_level"] is not None
    assert api.get(f"/api/products/{ident}/trends?days=400")[0] == 400
    assert api.get("/api/products/999999/trends")[0] == 404


# -- sync control ----------------------------------------------------------------------------------


def test_sync_routes_answer_with_their_run_summaries(api: Api):
    status, body = api.send("POST", "/api/sync-orders")
    assert status == 200
    assert [(r["resource"], r["trigger"], r["status"]) for r in body["runs"]] == [
        ("orders", "http", "succeeded")
    ]
    assert body["runs"][0]["counts"]["unchanged"] == body["runs"][0]["counts"]["fetched"]


def test_a_failing_shop_gives_502_with_the_summary(api: Api, shop: FakeShop):
    shop.fail("status", status=500, times=10, path="orders")
    status, body = api.send("POST", "/api/sync-orders")
    assert status == 502
    assert body["runs"][0]["status"] == "failed" and "answered 500" in body["runs"][0]["error"]


def test_a_sync_already_running_gives_409(api: Api, shop: FakeShop, app_env: None, db: Database):
    from chalicelib import wiring

    shop.fail("slow", seconds=1.5, path="orders")
    worker = threading.Thread(target=lambda: wiring.sync_service().run("orders", trigger="schedule"))
    worker.start()
    wait_until(lambda: sync_lock_holders(db), what="the scheduled run to hold the lock")
    status, body = api.send("POST", "/api/sync-orders")
    worker.join()
    assert status == 409 and body["error"]["code"] == "conflict"


def test_sync_status_and_run_history(api: Api, shop: FakeShop):
    shop.data.break_record("orders", shop.data.orders[0]["id"], "bad_total")
    api.send("POST", "/api/sync-orders")
    status = api.ok("/api/sync/status")
    assert status["schedule"] == "rate(5 minutes)" and status["stale"] is False
    assert status["resources"]["orders"]["last_run"]["status"] == "partial"
    assert status["resources"]["products"]["last_success"] is not None
    runs = api.ok("/api/sync/runs?resource=orders")
    assert runs["total"] == 2 and runs["items"][0]["status"] == "partial"
    run = api.ok(f"/api/sync/runs/{runs['items'][0]['id']}")
    assert run["quarantined"][0]["external_id"] == str(shop.data.orders[0]["id"])
    assert run["quarantined"][0]["payload"]["total_amount"] == "12,5 руб"
    assert api.get("/api/sync/runs/999999")[0] == 404


# -- access and errors -----------------------------------------------------------------------------


def test_health_needs_no_token_and_everything_else_does(api: Api):
    assert api.get("/api/health", headers={}) == (200, {"status": "ok", "database": "ok"})
    assert api.get("/api/openapi.json", headers={})[0] == 200  # the description holds no data
    # No header: chalice local answers by itself, before any authorizer runs, with its own body (in
    # AWS, API Gateway does the same, with the UNAUTHORIZED gateway response in the contract's body).
    assert api.get("/api/orders", headers={})[0] == 401
    assert api.get("/api/orders", headers={"Authorization": "Bearer not-a-token"}) == (
        401,
        {
            "error": {
                "code": "unauthorized",
                "message": "no or an unknown token: send Authorization: Bearer <token>",
                "details": [],
            }
        },
    )
    assert api.get("/api/orders", headers={"Authorization": "Bearer not-a-token"})[0] == 401
    assert api.get("/api/orders", headers={"Authorization": "test-admin-token-0123456789"})[0] == 401


def test_a_read_only_token_reads_but_may_not_write(api: Api, db: Database, shop_data: ShopData):
    assert api.get("/api/orders", headers=VIEWER)[0] == 200
    ident = order_id(db, shop_data.orders[0]["id"])
    status, body = api.send(
        "PUT",
        f"/api/orders/{ident}/status",
        {"status": "paid"},
        headers={**VIEWER, "Content-Type": "application/json"},
    )
    assert status == 403 and body == {
        "error": {"code": "forbidden", "message": "this token may only read", "details": []}
    }
    assert db.run("SELECT staff_status FROM orders WHERE id = :id", id=ident) == [[None]]  # nothing written
    assert api.send("POST", "/api/sync-all", headers=VIEWER)[0] == 403


def test_me_names_the_token_its_access_and_the_shop_zone(api: Api):
    assert api.ok("/api/me") == {"name": "tester", "access": "full", "shop_timezone": "Europe/Moscow"}
    assert api.get("/api/me", headers=VIEWER) == (
        200,
        {"name": "viewer", "access": "read", "shop_timezone": "Europe/Moscow"},
    )
    assert api.get("/api/me", headers={"Authorization": "Bearer not-a-token"})[0] == 401


def test_categories_count_the_products_that_carry_each(api: Api, shop_data: ShopData):
    categories = api.ok("/api/products/categories")
    names = [c["name"] for c in categories]
    assert names == sorted(names, key=str.lower) and "СДВГ" in names
    for category in categories:
        status, page = api.get(f"/api/products?category={quote(category['name'])}&limit=1")
        assert status == 200 and page["total"] == category["products"] > 0
    products = api.ok("/api/products?limit=1")["total"]
    assert sum(c["products"] for c in categories) <= products


def test_an_unknown_route_is_a_404_in_the_contract_body(api: Api):
    status, body = api.get("/api/customers")
    assert status == 404 and body["error"]["code"] == "not_found"


def test_the_openapi_description_covers_every_route_in_the_app(api: Api):
    from app import app

    document = api.ok("/api/openapi.json")
    described = {(path, method.upper()) for path, methods in document["paths"].items() for method in methods}
    routes = {
        (path, method)
        for path, methods in app.routes.items()
        for method in methods
        if path.startswith("/api/")  # the console's page and files are not JSON API
        and path != "/api/{proxy+}"
        and method != "OPTIONS"  # preflights are CORS, not API
        and app.routes[path][method].view_name not in ("method_not_allowed",)
    }
    assert routes == {(p.replace("{order_id}", "{order_id}"), m) for p, m in described}
    put_price = document["paths"]["/api/products/{product_id}/price"]["put"]
    assert "requestBody" in put_price and "400" in put_price["responses"]
    assert document["paths"]["/api/orders"]["get"]["parameters"]


def test_totals_and_stats_stay_exact_through_deletions_restores_and_edits(
    api: Api, db: Database, shop: FakeShop
):
    def check() -> None:
        for query, where in [
            ("", "true"),
            ("status=shipped&status=cancelled", "status IN ('shipped', 'cancelled')"),
        ]:
            expected = db.run(f"SELECT count(*) FROM orders WHERE {where}")[0][0]
            assert api.ok(f"/api/orders?{query}")["total"] == expected
        listed = db.run("SELECT count(*), status FROM orders WHERE deleted_upstream_at IS NULL GROUP BY 2")
        stats = api.ok("/api/orders/stats")
        assert {s["status"]: s["count"] for s in stats["by_status"]} == {r[1]: r[0] for r in listed}

    check()
    gone = shop.data.orders[7]
    shop.data.delete_orders([gone["id"]])
    shop.data.add_orders(4)
    api.send("POST", "/api/sync-orders")
    check()
    api.send("PUT", f"/api/orders/{order_id(db, shop.data.orders[8]['id'])}/status", {"status": "refunded"})
    check()
    shop.data.restore_order(gone)
    api.send("POST", "/api/sync-orders")
    check()


def test_migrating_builds_the_per_day_tables_for_the_shop_zone(api: Api, db: Database):
    from chalicelib.migrate import migrate_and_prepare

    expected = db.run("SELECT sum(orders) FROM order_daily_stats")[0][0]
    db.run("DELETE FROM order_daily_stats")
    db.run("DELETE FROM analytics_state")
    assert migrate_and_prepare(db, tz="Europe/Moscow") == []
    assert db.run("SELECT sum(orders) FROM order_daily_stats")[0][0] == expected
    assert db.run("SELECT value FROM analytics_state") == [["Europe/Moscow"]]


def test_an_unreachable_database_is_a_503_in_the_contract_body(
    app_env: None, monkeypatch: pytest.MonkeyPatch
):
    from app import app
    from chalicelib import wiring

    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nowhere")
    monkeypatch.setenv("DATABASE_CONNECT_TIMEOUT_S", "2")
    wiring.reset()
    with Client(app) as client:
        api = Api(client)
        assert api.get("/api/health", headers={}) == (503, {"status": "degraded", "database": "unreachable"})
        status, body = api.get("/api/orders")
        assert status == 503 and body["error"]["code"] == "database_unavailable"
        assert "nobody" not in json.dumps(body) and "Traceback" not in json.dumps(body)


def test_a_method_a_route_lacks_is_a_405_in_the_contract_body(api: Api):
    # found by tests/test_fuzz.py: Chalice answered with its own body
    response = api.client.http.request("PUT", "/api/orders", headers=JSON, body=b"{}")
    assert response.status_code == 405
    assert json.loads(response.body)["error"]["code"] == "method_not_allowed"
    assert response.headers["Allow"] == "GET, OPTIONS"


@pytest.mark.parametrize(
    "email",
    [
        "not-an-email", "anna@example", "an na@example.ru", " anna@example.ru", "a@b@c.ru",
        # Spaces and controls that Python's \s and a JSON Schema's \s do not agree on: refused, as
        # the description's pattern refuses them.
        "an\x85na@example.ru", "anna\ufeff@example.ru", "an\u00a0na@example.ru",
    ],
)  # fmt: skip
def test_an_email_that_is_not_one_is_refused_naming_the_field(api: Api, email: str):
    status, body = api.send("PUT", "/api/orders/1", {"customer_email": email})
    assert status == 400, body
    [detail] = body["error"]["details"]
    assert (detail["field"], detail["type"]) == ("customer_email", "email")
    assert detail["message"] == "not an e-mail address: write it as name@example.com"


def test_the_email_rule_and_its_description_name_the_same_characters() -> None:
    r"""The description's pattern is read by JSON Schema (ECMAScript) clients, the API's by Python: no
    class whose meaning differs between the two (\s, \w, \d)."""
    from chalicelib.routes.models.orders import EMAIL_PATTERN

    assert not re.search(r"\\[swdSWD]", EMAIL_PATTERN), EMAIL_PATTERN


def test_an_email_is_saved(api: Api):
    status, order = api.send("PUT", "/api/orders/1", {"customer_email": "anna.petrova+shop@example.ru"})
    assert status == 200 and order["customer"]["email"] == "anna.petrova+shop@example.ru"


def test_a_validation_detail_has_a_stable_type_and_its_limit(api: Api):
    status, body = api.send("PUT", "/api/products/1/price", {"price": "1990.999"})
    assert status == 400
    assert body["error"]["details"] == [
        {
            "field": "price",
            "message": "Decimal input should have no more than 2 decimal places",
            "type": "decimal_max_places",
            "limit": "2",
        }
    ]
    status, body = api.send("PUT", "/api/products/1/analytics", {})
    assert [(d["type"], d.get("limit")) for d in body["error"]["details"]] == [("at_least_one", None)]
    status, body = api.get("/api/orders?limit=500")
    assert [(d["field"], d["type"], d["limit"]) for d in body["error"]["details"]] == [
        ("limit", "less_than_equal", "200")
    ]
