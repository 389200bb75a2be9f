"""The overview after "sync now": the figures move with the data (three new orders today show at once,
not after a reload), and each figure is asked for once per load (the 30-day stats too)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Request, expect

from devtools.postgres import PostgresServer
from devtools.served_app import ServedApp
from devtools.shop_data import ShopData
from tests.browser import Console
from tests.conftest import served_shop


@pytest.fixture(scope="module")
def live(postgres: PostgresServer) -> Iterator[tuple[ServedApp, ShopData]]:
    data = ShopData(orders=60, products=12, seed=37)
    with served_shop(postgres, data, "live") as served:
        yield served, data


def today_orders(tab: Console) -> int:
    text = tab.page.locator("section.figure").first.locator("dd.big").first.inner_text()
    return int(re.sub(r"\D", "", text))


def test_sync_now_moves_the_figures_and_each_is_asked_for_once(browser: Browser, live: Any) -> None:
    served, data = live
    tab = Console(browser, served)
    stats: list[str] = []

    def record(request: Request) -> None:
        if "/api/orders/stats" in request.url:
            stats.append(request.url.split("?", 1)[-1])

    tab.page.on("request", record)
    try:
        tab.sign_in()
        tab.open("/")
        tab.page.wait_for_selector(".chart svg")
        expect(tab.page.locator(".loading")).to_have_count(0)
        before = today_orders(tab)
        assert len(stats) == len(set(stats)) == 3, stats  # today, 7 and 30 days; the chart reuses 30
        data.add_orders(3)  # three new orders, now: today in the shop's zone
        tab.page.click("[data-sync=all]")
        tab.page.wait_for_selector(".sync-result, .error-box", timeout=40_000)
        expect(tab.page.locator("section.figure").first.locator("dd.big").first).to_have_text(
            re.compile(rf"^{before + 3}$")
        )
        assert len(stats) == 6, stats  # asked for again after the sync, once each
        tab.shot("overview-after-sync", full_page=True)
    finally:
        tab.close()
    assert tab.errors == [], "JavaScript errors or CSP violations"
