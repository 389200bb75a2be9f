"""The fake shop must look like the real one (docs/shop-api.md), or every sync test proves nothing."""

from __future__ import annotations

import gzip
import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from devtools.fake_shop import FakeShop
from devtools.shop_data import DELIVERY_NAME, ShopData

SHOP_TIME = re.compile(r"^\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d$")


def get(url: str, token: str | None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Authorization": token} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def shop() -> Iterator[FakeShop]:
    with FakeShop(ShopData(orders=200, products=40, seed=7), token="t-123") as running:
        yield running


def test_standalone_shop_serves_a_bare_array_of_orders_and_refuses_bearer() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.fake_shop", "--port", str(port), "--orders", "1000", "--token", "x"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert "fake shop: http://127.0.0.1" in process.stdout.readline()
        status, headers, body = get(f"http://127.0.0.1:{port}/api/v1/orders", "x")
        assert status == 200 and headers["Content-Type"].startswith("application/json")
        orders = json.loads(body)
        assert isinstance(orders, list) and len(orders) == 1000
        assert get(f"http://127.0.0.1:{port}/api/v1/orders", "Bearer x")[0] == 401
        assert get(f"http://127.0.0.1:{port}/api/v1/orders", None)[0] == 401
    finally:
        process.terminate()
        process.wait(10)


def test_orders_are_shaped_like_the_real_shop(shop: FakeShop) -> None:
    orders: list[dict[str, Any]] = json.loads(get(f"{shop.url}/orders", "t-123")[2])
    for order in orders:
        assert set(order) == {
            "id",
            "status",
            "total_amount",
            "bonus",
            "delivery_cost",
            "bank_card",
            "created_at",
            "paid_at",
            "shipped_at",
            "user",
            "order_items",
        }
        assert isinstance(order["id"], int)
        assert isinstance(order["total_amount"], str) and re.fullmatch(r"\d+\.\d+", order["total_amount"])
        assert SHOP_TIME.match(order["created_at"])
        assert order["paid_at"] is None or SHOP_TIME.match(order["paid_at"])
        assert set(order["user"]) == {"id", "full_name", "city"}
        assert order["order_items"] and all(
            set(i) == {"name", "quantity", "price"} for i in order["order_items"]
        )
        assert all(isinstance(i["price"], str) for i in order["order_items"])
    names = {item["name"] for order in orders for item in order["order_items"]}
    assert any("мг" in name for name in names) and any(name != name.strip() for name in names)


def test_products_mix_categories_a_root_and_the_delivery_pseudo_product(shop: FakeShop) -> None:
    records = json.loads(get(f"{shop.url}/products", "t-123")[2])
    roots = [r for r in records if r["ancestry"] is None]
    categories = [r for r in records if r["ancestry"] and "/" not in r["ancestry"]]
    products = [r for r in records if r["ancestry"] and "/" in r["ancestry"]]
    assert len(roots) == 1 and {c["name"] for c in categories} >= {"СДВГ", "Для похудения"}
    assert all(c["price"] is None for c in categories)
    assert any(p["name"] == DELIVERY_NAME for p in products)
    assert all(isinstance(p["price"], str) for p in products)
    assert len(products) == 41  # 40 products and delivery


def test_the_same_seed_gives_the_same_shop() -> None:
    fixed = ShopData(orders=50, seed=3).now
    assert ShopData(orders=50, seed=3, now=fixed).listing("orders") == ShopData(
        orders=50, seed=3, now=fixed
    ).listing("orders")


def test_faults_are_served_in_order_then_the_shop_recovers(shop: FakeShop) -> None:
    shop.fail("status", status=503)
    shop.fail("retry_after", seconds=7)
    shop.fail("not_json")
    shop.fail("not_array")
    assert get(f"{shop.url}/orders", "t-123")[0] == 503
    status, headers, _ = get(f"{shop.url}/orders", "t-123")
    assert status == 429 and headers["Retry-After"] == "7"
    with pytest.raises(json.JSONDecodeError):
        json.loads(get(f"{shop.url}/orders", "t-123")[2])
    assert isinstance(json.loads(get(f"{shop.url}/orders", "t-123")[2]), dict)
    assert isinstance(json.loads(get(f"{shop.url}/orders", "t-123")[2]), list)


def test_a_truncated_response_is_cut_short(shop: FakeShop) -> None:
    shop.fail("truncate")
    with pytest.raises(Exception):  # noqa: B017 (http.client raises IncompleteRead; any failure will do)
        get(f"{shop.url}/orders", "t-123")


def test_a_cut_json_response_is_complete_http_but_broken_json(shop: FakeShop) -> None:
    shop.fail("cut_json")
    status, _, body = get(f"{shop.url}/orders", "t-123")
    assert status == 200 and body.startswith(b"[{")
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)


def test_a_slow_response_is_slow(shop: FakeShop) -> None:
    shop.fail("slow", seconds=0.5)
    started = time.monotonic()
    assert get(f"{shop.url}/orders", "t-123")[0] == 200
    assert time.monotonic() - started >= 0.5


def test_mutations_show_in_the_next_listing(shop: FakeShop) -> None:
    data = shop.data
    before = {o["id"]: o for o in json.loads(get(f"{shop.url}/orders", "t-123")[2])}
    added = data.add_orders(3)
    moved = data.move_statuses(2)
    data.delete_orders([min(before)])
    after = {o["id"]: o for o in json.loads(get(f"{shop.url}/orders", "t-123")[2])}
    assert {o["id"] for o in added} <= set(after)
    assert min(before) not in after
    assert all(after[i]["status"] != before[i]["status"] for i in moved)


def test_broken_records_are_served_broken(shop: FakeShop) -> None:
    first = shop.data.orders[0]["id"]
    shop.data.break_record("orders", first, "bad_total")
    orders = json.loads(get(f"{shop.url}/orders", "t-123")[2])
    assert orders[0]["total_amount"] == "12,5 руб"


def test_times_are_in_order_and_never_in_the_future():
    from datetime import datetime

    from devtools.shop_data import SHOP_TIME, ShopData

    data = ShopData(orders=3000, products=40, seed=5)
    for _ in range(5):
        data.drift()
    now = data.now.replace(tzinfo=None)
    for order in data.orders:
        created = datetime.strptime(order["created_at"], SHOP_TIME)
        paid = datetime.strptime(order["paid_at"], SHOP_TIME) if order["paid_at"] else None
        shipped = datetime.strptime(order["shipped_at"], SHOP_TIME) if order["shipped_at"] else None
        assert created <= now, order
        assert paid is None or created <= paid <= now, order
        assert shipped is None or (paid is not None and paid <= shipped <= now), order


def get_with(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


def test_gzip_only_for_a_client_that_asks_for_it(shop: FakeShop) -> None:
    url = f"{shop.url}/orders"
    _, plain_headers, plain = get_with(url, {"Authorization": "t-123"})
    assert "Content-Encoding" not in plain_headers and plain_headers["Vary"] == "Accept-Encoding"
    _, headers, body = get_with(url, {"Authorization": "t-123", "Accept-Encoding": "br, gzip;q=0.8"})
    assert headers["Content-Encoding"] == "gzip" and gzip.decompress(body) == plain
    _, refused, _ = get_with(url, {"Authorization": "t-123", "Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused
    shop.gzip = False  # a shop that never compresses
    _, headers, body = get_with(url, {"Authorization": "t-123", "Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in headers and body == plain


def test_a_gzip_bomb_is_small_on_the_wire_and_huge_inflated(shop: FakeShop) -> None:
    shop.fail("gzip_bomb", size=64 * 1024 * 1024)
    _, headers, body = get_with(f"{shop.url}/orders", {"Authorization": "t-123", "Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip" and len(body) < 200 * 1024
    inflated = gzip.decompress(body)
    assert len(inflated) == 64 * 1024 * 1024 and inflated.startswith(b"[ ")


def test_a_cut_gzip_stream_is_complete_http_but_half_a_gzip_member(shop: FakeShop) -> None:
    shop.fail("cut_gzip")
    _, headers, body = get_with(f"{shop.url}/orders", {"Authorization": "t-123", "Accept-Encoding": "gzip"})
    assert int(headers["Content-Length"]) == len(body)
    with pytest.raises(EOFError):
        gzip.decompress(body)


def test_a_customers_surname_agrees_with_the_first_name_in_gender() -> None:
    from devtools.shop_data import WOMEN

    data = ShopData(orders=400, products=10, seed=3)
    for order in data.orders:
        first, last = order["user"]["full_name"].split()
        assert last.endswith("а") == (first in WOMEN), order["user"]["full_name"]  # Юлия Попова, Иван Попов


def test_a_gzip_bomb_is_built_when_it_is_queued_not_while_the_client_waits(shop: FakeShop) -> None:
    from devtools.fake_shop import _bomb

    size = 3 * 1024 * 1024 + 1  # a size no other test builds
    shop.fail("gzip_bomb", size=size, path="products")
    built = _bomb.cache_info()
    request = urllib.request.Request(f"{shop.url}/products", headers={"Authorization": shop.token})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        assert len(gzip.decompress(response.read())) == size
    served = _bomb.cache_info()
    assert (served.misses, served.hits) == (built.misses, built.hits + 1)  # served, not built again
