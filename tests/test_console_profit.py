"""The profit page in a real browser: the API's figures for the range, each with its revenue of no
known cost beside it, periods of the chosen length, and a phone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from chalicelib.stores import analytics
from devtools.postgres import PostgresServer
from devtools.served_app import ServedApp
from devtools.shop_data import ShopData
from tests.browser import Console
from tests.conftest import database_for, served_shop
from tests.test_console import MOSCOW, rub


@pytest.fixture(scope="module")
def shop_app(postgres: PostgresServer) -> Iterator[ServedApp]:
    """A shop of its own whose best sellers have had a cost for a year (backdated: no route can)."""
    with served_shop(postgres, ShopData(orders=300, products=40, seed=11), "profit") as served:
        db = database_for(served.database_url)
        try:
            db.run(
                """INSERT INTO staff_edits (entity, entity_id, field, new_value, edited_by, edited_at)
                   SELECT 'product', id, 'cost', to_jsonb(round(coalesce(price, 1000) * 0.6, 2)::text),
                          'anna',
                          now() - interval '400 days'
                   FROM product_view WHERE abc_class = 'A'"""
            )
            db.run("DELETE FROM analytics_state")
            with db.transaction() as conn:
                assert analytics.ensure_built_for(conn, tz=MOSCOW.key)
        finally:
            db.close()
        yield served


@pytest.fixture
def tab(browser: Browser, shop_app: ServedApp, request: pytest.FixtureRequest) -> Iterator[Console]:
    console = Console(browser, shop_app, width=getattr(request, "param", 1280))
    yield console
    console.shot(f"test-{request.node.name}")
    console.close()
    assert console.errors == [], "JavaScript errors or CSP violations"


def year() -> dict[str, str]:
    today = datetime.now(MOSCOW).date()
    return {"date_from": str(today - timedelta(days=364)), "date_to": str(today)}


def call(served: ServedApp, path: str) -> Any:
    status, body = served.call("GET", path)
    assert status == 200, body
    return body


def test_the_page_shows_the_apis_figures_with_the_uncosted_share_beside_each(tab: Console) -> None:
    page, served = tab.page, tab.served
    span = year()
    tab.sign_in()
    tab.open(f"/profit?date_from={span['date_from']}&date_to={span['date_to']}&group=month")
    page.wait_for_selector("[data-table=products] tbody tr")
    tab.shot("profit-page-1280", full_page=False)  # the README's
    api = call(served, f"api/profit?date_from={span['date_from']}&date_to={span['date_to']}&group=month")
    totals = api["totals"]
    assert Decimal(totals["cogs"]) > 0 and Decimal(totals["uncosted_revenue"]) > 0  # both kinds of goods
    for key in ("revenue", "cogs", "gross_profit"):
        assert page.inner_text(f"[data-total={key}]") == rub(Decimal(totals[key])), key
    assert page.inner_text("[data-total=margin]") == f"{totals['margin'].replace('.', ',')}\u00a0%"
    share = totals["uncosted_share"].replace(".", ",")
    assert (
        page.inner_text("[data-total=uncosted]")
        == f"{rub(Decimal(totals['uncosted_revenue']))} · {share}\u00a0%"
    )
    periods = page.locator("[data-table=periods] tbody tr")
    expect(periods).to_have_count(len(api["periods"]))
    # Every row of every table says its revenue of no known cost (or a dash when there is none). The
    # three tables come from three calls made at once: each is waited for, not raced.
    expect(page.locator(".loading")).to_have_count(0)
    for table in ("periods", "categories", "products"):
        rows = page.locator(f"[data-table={table}] tbody tr")
        expect(rows.first).to_be_visible()
        assert rows.locator("[data-uncosted]").count() == rows.count(), table
    products = call(
        served, f"api/profit/products?date_from={span['date_from']}&date_to={span['date_to']}&limit=50"
    )
    first = page.locator("[data-table=products] tbody tr").first
    assert first.locator("[data-cell=gross_profit]").inner_text() == rub(
        Decimal(products["items"][0]["gross_profit"])
    )
    if Decimal(products["unmatched"]["revenue"]):  # the goods of no product have their own line
        expect(page.locator("[data-table=categories]")).to_contain_text("Позиции без товара")

    # Weeks instead, from the form: the address holds the choice.
    page.select_option("#profit-group", "week")
    page.click("text=Показать")
    page.wait_for_selector("h2:has-text('По неделям')")
    assert "group=week" in page.url
    weeks = call(served, f"api/profit?date_from={span['date_from']}&date_to={span['date_to']}&group=week")
    expect(page.locator("[data-table=periods] tbody tr")).to_have_count(len(weeks["periods"]))


def test_a_range_the_api_refuses_is_said_and_can_be_fixed(tab: Console) -> None:
    page = tab.page
    tab.sign_in()
    tab.open("/profit?date_from=2026-02-01&date_to=2026-01-01")
    page.wait_for_selector(".error-box")
    expect(page.locator(".error-box")).to_contain_text("начало периода позже его конца")
    page.fill("#profit-from", "2025-12-01")
    page.click("text=Показать")
    page.wait_for_selector("[data-total=revenue]")


@pytest.mark.parametrize("tab", [375], indirect=True)
def test_on_a_phone_every_figure_is_whole_and_nothing_scrolls_sideways(tab: Console) -> None:
    page = tab.page
    span = year()
    tab.sign_in()
    tab.open(f"/profit?date_from={span['date_from']}&date_to={span['date_to']}&group=month")
    page.wait_for_selector("[data-table=products] .record-card")
    expect(page.locator("[data-table=periods] table")).to_be_hidden()
    tab.shot("profit-page-375", full_page=False)  # the README's
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    cut = page.evaluate(
        """() => [...document.querySelectorAll('main *')]
             .filter((e) => e.children.length === 0 && e.textContent.trim() && e.offsetParent !== null)
             .filter((e) => !e.closest('.visually-hidden'))
             .filter((e) => { const r = e.getBoundingClientRect();
                              return e.scrollWidth > e.clientWidth + 1 || r.left < 0 || r.right > 375; })
             .map((e) => e.textContent)"""
    )
    assert cut == [], cut
