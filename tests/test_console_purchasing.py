"""The purchasing page in a real browser: the API's lines in its order and its totals, a quantity
changed for this order only, the reason on demand, the print view, and a phone."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from devtools.postgres import PostgresServer
from devtools.served_app import ServedApp
from devtools.shop_data import ShopData
from tests.browser import SHOTS, Console
from tests.conftest import served_shop
from tests.test_console import rub


@pytest.fixture(scope="module")
def shop_app(postgres: PostgresServer) -> Iterator[ServedApp]:
    """A shop of its own (its costs are set here), with two lines to order that have a cost."""
    with served_shop(postgres, ShopData(orders=300, products=40, seed=11), "purchasing") as served:
        products = served.call("GET", "api/products?limit=200&sort=name")[1]["items"]
        for product, cost in zip(products[:2], ("1234.56", "99.90"), strict=True):
            path = f"api/products/{product['id']}"
            assert served.call("PUT", f"{path}/analytics", body={"min_stock": 500})[0] == 200
            assert served.call("PUT", f"{path}/cost", body={"cost": cost})[0] == 200
        yield served


@pytest.fixture
def tab(browser: Browser, shop_app: ServedApp, request: pytest.FixtureRequest) -> Iterator[Console]:
    console = Console(browser, shop_app, width=getattr(request, "param", 1280))
    yield console
    console.shot(f"test-{request.node.name}")
    console.close()
    assert console.errors == [], "JavaScript errors or CSP violations"


def listing(served: ServedApp) -> dict[str, Any]:
    status, body = served.call("GET", "api/purchasing?limit=2000")
    assert status == 200, body
    return dict(body)


def open_purchasing(tab: Console) -> None:
    tab.sign_in()
    tab.page.evaluate("sessionStorage.removeItem('strattera.purchase')")
    tab.open("/purchasing")
    tab.page.wait_for_selector(".purchase-summary")


def test_the_page_shows_the_apis_lines_in_order_and_its_totals(tab: Console) -> None:
    open_purchasing(tab)
    page, api = tab.page, listing(tab.served)
    tab.shot("purchasing-page-1280", full_page=False)  # the README's
    rows = page.locator(".purchase-table tbody tr")
    assert [int(r) for r in rows.evaluate_all("rows => rows.map(r => r.dataset.line)")] == [
        line["product_id"] for line in api["items"]
    ]
    assert page.inner_text("[data-summary=cost]") == rub(Decimal(api["totals"]["cost"]))
    assert page.inner_text("[data-total-cost]") == rub(Decimal(api["totals"]["cost"]))
    assert page.inner_text("[data-summary=units]").replace("\u00a0", "") == str(api["totals"]["units"])
    assert page.inner_text("[data-summary=lines]").replace("\u00a0", "") == str(api["totals"]["lines"])
    if api["totals"]["lines_without_cost"]:
        expect(page.locator("[data-summary=without-cost]")).to_contain_text(
            str(api["totals"]["lines_without_cost"])
        )
    costed = next(line for line in api["items"] if line["cost"] and line["recommended_qty"])
    row = page.locator(f".purchase-table tr[data-line='{costed['product_id']}']")
    assert row.locator("[data-line-cost]").inner_text() == rub(Decimal(costed["line_cost"]))
    # The reason, on demand: the same sentence as on the product's page.
    row.locator("summary").click()
    expect(row.locator("details p").first).to_contain_text("Как посчитан заказ")
    expect(row.locator("details p").first).to_contain_text(f"= {costed['recommended_qty']}")


def test_a_quantity_changed_here_moves_the_line_and_the_total_and_nothing_else(tab: Console) -> None:
    open_purchasing(tab)
    page, served = tab.page, tab.served
    api = listing(served)
    costed = next(line for line in api["items"] if line["cost"] and line["recommended_qty"])
    ident, cost = costed["product_id"], Decimal(costed["cost"])
    # By the keyboard: from the print button to the first line's quantity.
    first = api["items"][0]["product_id"]
    page.focus("text=Печать")
    for _ in range(5):  # the two downloads, the line's link, its "why", its quantity
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == f"qty-{first}"

    field = page.locator(f"#qty-{ident}")
    field.fill("3")
    row = page.locator(f".purchase-table tr[data-line='{ident}']")
    expect(row.locator("[data-line-cost]")).to_have_text(rub(3 * cost))
    expected_total = Decimal(api["totals"]["cost"]) - Decimal(costed["line_cost"]) + 3 * cost
    expect(page.locator("[data-summary=cost]")).to_have_text(rub(expected_total))
    expect(row.locator("[data-recommended]")).to_have_text(f"рекомендовано {costed['recommended_qty']}")

    # Kept while the tab lives; the analytics are untouched.
    page.reload()
    page.wait_for_selector(".purchase-summary")
    expect(page.locator(f"#qty-{ident}")).to_have_value("3")
    product = served.call("GET", f"api/products/{ident}")[1]
    assert product["analytics"]["recommended_qty"] == costed["recommended_qty"]
    assert listing(served)["totals"] == api["totals"]

    # Not a number: said at the line, left out of the total, and said so.
    page.locator(f"#qty-{ident}").fill("три")
    expect(row.locator(".field-message")).to_have_text("Целое число от 0")
    expect(page.locator("[role=alert]")).to_contain_text("количество не число")
    expect(page.locator("[data-summary=cost]")).to_have_text(
        rub(Decimal(api["totals"]["cost"]) - Decimal(costed["line_cost"]))
    )
    page.click("text=Вернуть рекомендованные количества")
    expect(page.locator(f"#qty-{ident}")).to_have_value(str(costed["recommended_qty"]))
    expect(page.locator("[data-summary=cost]")).to_have_text(rub(Decimal(api["totals"]["cost"])))


def test_printed_it_is_one_plain_table_with_the_quantities_as_ordered(tab: Console) -> None:
    open_purchasing(tab)
    page = tab.page
    api = listing(tab.served)
    ident = api["items"][0]["product_id"]
    page.locator(f"#qty-{ident}").fill("42")
    page.emulate_media(media="print")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "purchasing-print.png"), full_page=True)
    page.pdf(path=str(SHOTS / "purchasing-print.pdf"), format="A4", landscape=True)
    for hidden in ("header.top", ".filters", ".record-cards", "text=Печать", f"#qty-{ident}", "details.why"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.locator(".purchase-table")).to_be_visible()
    row = page.locator(f".purchase-table tr[data-line='{ident}']")
    expect(row.locator(".print-only")).to_have_text("42")
    expect(page.locator("h1 .print-only")).to_be_visible()
    assert page.locator(".purchase-table tbody tr").count() == len(api["items"])
    # Nothing wider than the page: every column of a line on the sheet.
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")


@pytest.mark.parametrize("tab", [375], indirect=True)
def test_on_a_phone_each_line_is_a_card_whose_quantity_moves_the_total(tab: Console) -> None:
    open_purchasing(tab)
    page = tab.page
    api = listing(tab.served)
    expect(page.locator(".purchase-table")).to_be_hidden()
    tab.shot("purchasing-page-375", full_page=False)  # the README's
    costed = next(line for line in api["items"] if line["cost"] and line["recommended_qty"])
    card = page.locator(f".record-card[data-line='{costed['product_id']}']")
    card.locator("input").fill("1")
    expect(card.locator("[data-line-cost]")).to_have_text(rub(Decimal(costed["cost"])))
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    cut = page.evaluate(
        """() => [...document.querySelectorAll('.record-cards li *, .purchase-summary *')]
             .filter((e) => e.children.length === 0 && e.textContent.trim() && !e.closest('.visually-hidden'))
             .filter((e) => { const r = e.getBoundingClientRect();
                              return e.scrollWidth > e.clientWidth + 1 || r.left < 0 || r.right > 375; })
             .map((e) => e.textContent)"""
    )
    assert cut == [], cut


def test_the_export_carries_this_orders_quantities(tab: Console) -> None:
    open_purchasing(tab)
    page = tab.page
    api = listing(tab.served)
    line = api["items"][0]
    page.locator(f"#qty-{line['product_id']}").fill("42")
    with page.expect_download() as downloading:
        page.click("[data-export=csv]")
    saved = downloading.value
    assert saved.suggested_filename.startswith("purchasing-") and saved.suggested_filename.endswith(".csv")
    text = Path(saved.path()).read_bytes().decode("utf-8-sig")
    head, *rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert [row[0] for row in rows[:-1]] == [item["name"] for item in api["items"]]
    assert rows[0][head.index("Заказать, шт.")] == "42" and rows[-1][0] == "Итого"
    expect(page.locator(".export .notice")).to_contain_text(saved.suggested_filename)


@pytest.fixture(scope="module")
def long_list(postgres: PostgresServer) -> Iterator[ServedApp]:
    """A shop whose every product is sold out: a purchasing list of 260 lines, drawn in batches."""
    data = ShopData(orders=300, products=260, seed=12)
    for product in data.products:
        product["stock_quantity"] = 0
    with served_shop(postgres, data, "purchasing_long") as served:
        yield served


def test_a_long_list_is_drawn_whole_and_printed_whole(browser: Browser, long_list: ServedApp) -> None:
    tab = Console(browser, long_list, width=1280)
    try:
        open_purchasing(tab)
        page, api = tab.page, listing(long_list)
        assert len(api["items"]) > 200, "the list should be longer than two batches"
        rows = page.locator(".purchase-table tbody tr")
        expect(rows).to_have_count(len(api["items"]))
        expect(page.locator(".record-cards li")).to_have_count(len(api["items"]))
        last = api["items"][-1]
        expect(rows.last).to_have_attribute("data-line", str(last["product_id"]))
        expect(page.locator("[data-summary=cost]")).to_have_text(rub(Decimal(api["totals"]["cost"])))
        # A quantity changed in the last batch moves its line and the total; the first batch keeps its own.
        page.locator(f"#qty-{last['product_id']}").fill("7")
        expect(page.locator(f"#qty-{last['product_id']}")).to_have_value("7")
        expect(page.locator(f"#qty-{api['items'][0]['product_id']}")).to_have_value(
            str(api["items"][0]["recommended_qty"])
        )
        # Printing from the button, straight after a fresh load: every line is on the sheet when the
        # print dialog opens (headless Chromium has none: window.print is replaced to count them).
        page.reload()
        page.wait_for_selector(".purchase-summary")
        page.evaluate(
            """window.print = () => {
                 window.printed = document.querySelectorAll('.purchase-table tbody tr').length;
               }"""
        )
        page.click("text=Печать")
        page.wait_for_function("window.printed !== undefined")
        assert page.evaluate("window.printed") == len(api["items"])
    finally:
        tab.shot("test-purchasing-long-list")
        tab.close()
    assert tab.errors == [], "JavaScript errors or CSP violations"
