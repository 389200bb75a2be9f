"""The console reads well whatever the shop sends: a 500-character word (a city, a brand, a name) wraps
inside its box at 1280 and 375 px, a right-to-left override in a name reverses nothing around it, and a
status the console does not know is shown as the shop's own word (badge, filter, status select)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from devtools.postgres import PostgresServer
from devtools.served_app import ServedApp
from devtools.shop_data import ShopData
from tests.browser import Console
from tests.conftest import served_shop

LONG_CITY = "ПетропавловскКамчатский" * 21  # 483 characters (the shop may send 500), no break
LONG_BRAND = "ФармСтандартЛексредстваТомскхимфарм" * 15
LONG_NAME = "Атомоксетин" * 45
RLO_ITEM = "Капсулы \u202eпо 10 мг"  # an override the shop never closes


@pytest.fixture(scope="module")
def odd(postgres: PostgresServer) -> Iterator[tuple[ServedApp, dict[str, Any]]]:
    data = ShopData(orders=40, products=12, seed=31)
    long_city, rtl, pending = (order["id"] for order in data.orders[:3])
    data.set_order(long_city, user={**data.order(long_city)["user"], "city": LONG_CITY})
    data.set_order(rtl, order_items=[{"name": RLO_ITEM, "quantity": 2, "price": "350.0"}])
    data.set_order(pending, status="pending")
    branded, named = data.real_products()[:2]
    data.set_product(branded["id"], brand=LONG_BRAND)
    data.set_product(named["id"], name=LONG_NAME)
    with served_shop(postgres, data, "odd") as served:
        ids = {}
        for external in (long_city, rtl, pending):
            _, found = served.call("GET", f"api/orders?q={external}")
            ids[external] = next(o["id"] for o in found["items"] if o["external_id"] == external)
        products = {}
        for external in (branded["id"], named["id"]):
            _, found = served.call("GET", "api/products?limit=200")
            products[external] = next(p["id"] for p in found["items"] if p["external_id"] == external)
        yield (
            served,
            {
                "long_city": ids[long_city],
                "rtl": ids[rtl],
                "pending": ids[pending],
                "pending_external": pending,
                "branded": products[branded["id"]],
                "named": products[named["id"]],
            },
        )


@pytest.fixture(params=[375, 1280])
def tab(
    browser: Browser,
    odd: tuple[ServedApp, dict[str, Any]],
    request: pytest.FixtureRequest,
) -> Iterator[Console]:
    console = Console(browser, odd[0], width=request.param)
    console.sign_in()
    yield console
    console.close()
    assert console.errors == [], "JavaScript errors or CSP violations"


def width_of(tab: Console) -> int:
    return int(tab.page.viewport_size["width"])  # type: ignore[index]


def assert_nothing_sticks_out(tab: Console, name: str) -> None:
    page = tab.page
    expect(page.locator(".loading")).to_have_count(0)
    tab.shot(f"shop-text-{name}-{width_of(tab)}", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width_of(tab), name
    # Every box of the page holds its text: nothing is wider than what it sits in, but a table that
    # scrolls inside its own box (at phone width) and the cell text that wraps within 20rem there.
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('main h1, main .card, main dd, main td, main p')]
             .filter((el) => !el.closest('.table-wrap') && el.scrollWidth > el.clientWidth + 1)
             .map((el) => `${el.tagName}.${el.className}: ${el.scrollWidth} > ${el.clientWidth}`)"""
    )
    assert overflowing == [], (name, overflowing)
    cells = page.evaluate(
        "() => [...document.querySelectorAll('td .shop-text')].map((e) => e.getBoundingClientRect().width)"
    )
    assert all(width <= 20 * 15 + 1 for width in cells), (name, max(cells or [0]))


def test_a_500_character_city_wraps_on_the_order_and_in_the_list(tab: Console, odd: Any):
    ids = odd[1]
    tab.open(f"/orders/{ids['long_city']}")
    tab.page.wait_for_selector("#order-status")
    city = tab.page.locator("dd .shop-text", has_text="Петропавловск").first
    expect(city).to_have_text(LONG_CITY)
    box = city.bounding_box()
    assert box and box["width"] <= width_of(tab) and box["height"] > 40  # it wrapped onto lines
    assert_nothing_sticks_out(tab, "order-long-city")
    tab.open("/orders")
    tab.page.wait_for_selector(".results")
    assert_nothing_sticks_out(tab, "orders")
    if width_of(tab) >= 800:  # the city column is shown on wide screens: the table fits its box
        wrap = tab.page.evaluate(
            "(() => { const w = document.querySelector('.table-wrap'); "
            "return [w.scrollWidth, w.clientWidth]; })()"
        )
        assert wrap[0] <= wrap[1] + 1, wrap


def test_a_500_character_brand_and_name_wrap_on_the_product_and_in_the_list(tab: Console, odd: Any):
    ids = odd[1]
    tab.open(f"/products/{ids['branded']}")
    tab.page.wait_for_selector(".chart svg")
    expect(tab.page.locator("dd .shop-text", has_text="ФармСтандарт")).to_have_text(LONG_BRAND)
    assert_nothing_sticks_out(tab, "product-long-brand")
    tab.open(f"/products/{ids['named']}")
    tab.page.wait_for_selector(".chart svg")
    heading = tab.page.locator("h1 .shop-text")
    expect(heading).to_have_text(LONG_NAME)
    box = heading.bounding_box()
    assert box and box["width"] <= width_of(tab)
    assert_nothing_sticks_out(tab, "product-long-name")
    tab.open("/products")
    tab.page.wait_for_selector(".results")
    assert_nothing_sticks_out(tab, "products")


def test_a_right_to_left_override_in_a_name_reverses_nothing_around_it(tab: Console, odd: Any):
    tab.open(f"/orders/{odd[1]['rtl']}")
    tab.page.wait_for_selector("#order-status")
    name = tab.page.locator("td .shop-text", has_text="Капсулы")
    note = tab.page.locator("td .muted", has_text="не сопоставлен с товаром")
    expect(name).to_have_text(RLO_ITEM)
    # Where the name's last line ends and where the note's first piece starts (the note may wrap:
    # its whole box would then start at the left margin).
    name_box = name.evaluate(
        "(e) => { const r = [...e.getClientRects()].pop(); return [r.right, r.bottom]; }"
    )
    note_box = note.evaluate("(e) => { const r = e.getClientRects()[0]; return [r.left, r.top]; }")
    # In a left-to-right page the note follows the name, on its right or on the next line.
    assert note_box[0] >= name_box[0] - 1 or note_box[1] >= name_box[1] - 1, (name_box, note_box)
    tab.shot(f"shop-text-rtl-{width_of(tab)}", full_page=True)


def test_an_unknown_status_is_shown_as_the_shops_word(tab: Console, odd: Any):
    ids = odd[1]
    page = tab.page
    tab.open(f"/orders/{ids['pending']}")
    page.wait_for_selector("#order-status")
    expect(page.locator("h1 .badge")).to_have_text("pending")
    expect(page.locator("#order-status option[value=pending]")).to_have_text("pending")
    expect(page.locator("#order-status")).to_have_value("pending")
    assert "status." not in page.inner_text("main")
    tab.open("/orders")
    page.wait_for_selector(".results")
    expect(page.locator("label.check", has_text="pending")).to_have_count(1)
    page.check("label.check:has-text('pending') input")
    page.click("form.filters button[type=submit]")
    expect(page.locator("p.total")).to_have_text("Найдено заказов: 1")
    listed = "table.orders tbody .badge" if width_of(tab) >= 800 else ".orders-cards .badge"
    expect(page.locator(listed)).to_have_text(["pending"])
    assert "status." not in page.inner_text("main")
    tab.shot(f"shop-text-pending-{width_of(tab)}", full_page=True)
