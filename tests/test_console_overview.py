"""The overview after "sync now": the figures move with the data (three new orders today show at once,
not after a reload), and each figure is asked for once per load (the 30-day stats too)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Request, expect

from devtools.postgres import PostgresServer
from devtools.served_app import VIEWER_TOKEN, ServedApp
from devtools.shop_data import ShopData
from tests.browser import Console
from tests.conftest import database_for, served_shop


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


@pytest.fixture(scope="module")
def guarded(postgres: PostgresServer) -> Iterator[tuple[ServedApp, ShopData]]:
    data = ShopData(orders=60, products=12, seed=41)
    with served_shop(postgres, data, "guarded") as served:
        yield served, data


def listed_orders(served: ServedApp) -> int:
    status, body = served.call("GET", "api/orders?limit=1")
    assert status == 200, body
    return int(body["total"])


def test_held_deletions_are_shown_first_with_their_two_answers(browser: Browser, guarded: Any) -> None:
    served, data = guarded
    gone = list(data.orders)[:40]  # 40 of 60: more than 10% and more than 20 records
    data.delete_orders([o["id"] for o in gone])
    assert served.call("POST", "api/sync-orders")[1]["runs"][0]["counts"]["held"] == 40

    viewer = Console(browser, served)
    try:  # a read-only token sees the hold, and cannot answer it
        viewer.sign_in(VIEWER_TOKEN)
        viewer.open("/")
        card = viewer.page.locator("[data-held=orders]")
        expect(card).to_contain_text("Заказов, которые разом пропали из списка магазина: 40")
        expect(viewer.page.locator("[data-held-apply=orders]")).to_be_disabled()
        expect(viewer.page.locator("[data-held-ignore=orders]")).to_be_disabled()
    finally:
        viewer.close()
    assert viewer.errors == [], "JavaScript errors or CSP violations"

    tab = Console(browser, served, width=375)
    try:
        tab.sign_in()
        tab.open("/")
        card = tab.page.locator("[data-held=orders]")
        expect(card).to_contain_text("Заказов, которые разом пропали из списка магазина: 40")
        expect(card).to_contain_text("Запуск №")
        # First on the page, above the sync's own cards; nothing wider than the phone.
        assert tab.page.evaluate(
            "document.querySelector('.held').compareDocumentPosition("
            "document.querySelector('[data-sync=all]')) & Node.DOCUMENT_POSITION_FOLLOWING"
        )
        assert tab.page.evaluate("document.documentElement.scrollWidth") <= 375
        # The overview's recent runs say what happened, in Russian.
        expect(tab.page.locator(".runs-cards").first).to_contain_text("40 удалений придержано")
        tab.shot("overview-held-deletions-375", full_page=True)

        # Keep them: the banner goes, the orders stay.
        tab.page.click("[data-held-ignore=orders]")
        expect(tab.page.locator(".notice")).to_contain_text("Заказы: оставлены как есть (40).")
        expect(tab.page.locator("[data-held=orders]")).to_have_count(0)
        assert listed_orders(served) == 60

        # Listed again, then gone again: held again; applying asks once more, then flags them.
        for order in gone:
            data.restore_order(order)
        served.call("POST", "api/sync-orders")
        data.delete_orders([o["id"] for o in gone])
        served.call("POST", "api/sync-orders")
        tab.open("/")
        tab.page.reload()
        tab.page.click("[data-held-apply=orders]")
        expect(tab.page.locator(".held-confirm")).to_contain_text("Пометить удалёнными все эти заказы (40)?")
        tab.shot("overview-held-deletions-confirm-375", full_page=True)
        tab.page.click("[data-held-confirm=orders]")
        expect(tab.page.locator(".notice")).to_contain_text("Заказы: помечено удалёнными 40.")
        expect(tab.page.locator("[data-held=orders]")).to_have_count(0)
        assert listed_orders(served) == 60  # the list keeps them, flagged
        _, body = served.call("GET", "api/orders/stats")
        assert body["total_orders"] == 20
    finally:
        tab.close()
    assert tab.errors == [], "JavaScript errors or CSP violations"


@pytest.fixture(scope="module")
def drifted(postgres: PostgresServer) -> Iterator[tuple[ServedApp, ShopData]]:
    data = ShopData(orders=40, products=10, seed=43)
    with served_shop(postgres, data, "drifted") as served:
        yield served, data


@pytest.mark.parametrize("width", [375, 1280])
def test_a_run_shows_the_shops_new_shape_plainly(browser: Browser, drifted: Any, width: int) -> None:
    served, data = drifted
    if width == 375:  # the shop's new release: a field renamed, one added, a new status
        data.reshape("orders", rename={"total_amount": "sum"}, add={"promo_code": None})
        data.set_order(data.orders[0]["id"], status="on_hold")
        assert served.call("POST", "api/sync-orders")[0] == 200
    _, runs = served.call("GET", "api/sync/runs?resource=orders&limit=1")
    run_id = runs["items"][0]["id"]

    tab = Console(browser, served, width=width)
    try:
        tab.sign_in()
        tab.open(f"/runs/{run_id}")
        shape = tab.page.locator("section.shape")
        expect(shape.get_by_role("alert")).to_contain_text("Похоже, магазин изменил формат заказов")
        expect(shape).to_contain_text("Поле, которое сервис читает, пропало из всех записей.")
        expect(shape).to_contain_text("Отложено с ошибками 100,0 % списка.")
        expect(shape).to_contain_text("Прочитано полностью записей: 40")
        missing = shape.locator("h3", has_text="Не хватает полей").locator("+ ul")
        expect(missing).to_have_text(re.compile(r"^total_amount — записей: 40$"))
        unknown = shape.locator("h3", has_text="Новые поля").locator("+ ul li")
        expect(unknown).to_have_text(["promo_code — записей: 40", "sum — записей: 40"])
        expect(shape.locator("h3", has_text="Новые статусы").locator("+ ul")).to_have_text(
            re.compile(r"^on_hold — записей: 1$")
        )
        assert tab.page.evaluate("document.documentElement.scrollWidth") <= width
        tab.page.locator("#shape-title").scroll_into_view_if_needed()
        tab.shot(f"run-shape-drift-{width}", full_page=False)  # the report, not 40 quarantined records
        tab.page.select_option("header.top select", "en")
        expect(shape.get_by_role("alert")).to_contain_text("changed the format of its orders")
    finally:
        tab.close()
    assert tab.errors == [], "JavaScript errors or CSP violations"


def test_each_resource_says_how_old_its_newest_data_is(browser: Browser, live: Any) -> None:
    served, data = live
    placed = datetime.now(ZoneInfo("Europe/Moscow")).replace(microsecond=0) - timedelta(hours=3, minutes=5)
    data.add_orders(1, at=placed)
    assert served.call("POST", "api/sync-orders")[0] == 200
    tab = Console(browser, served, width=375)
    try:
        tab.sign_in()
        tab.open("/")
        newest = tab.page.locator("[data-newest=orders]")
        status = served.call("GET", "api/sync/status")[1]["resources"]["orders"]
        shown = datetime.fromisoformat(status["newest_data_at"].replace("Z", "+00:00"))
        assert shown >= placed  # the order just placed, or one the fake shop made later
        expect(newest).to_contain_text(shown.astimezone(ZoneInfo("Europe/Moscow")).strftime("%H:%M"))
        expect(newest).to_have_text(
            re.compile(r"\((\d+ мин|\d+ ч \d+ мин|\d дн \d+ ч|[\d\u00a0 ]+ дн) назад\)$")
        )
        products = tab.page.locator("[data-newest=products]")
        expect(products).to_have_text(re.compile(r"\(\d+ дн назад\)$"))  # the fake shop's are old
        assert tab.page.evaluate("document.documentElement.scrollWidth") <= 375
        tab.page.locator("[data-newest=orders]").scroll_into_view_if_needed()
        tab.shot("overview-freshness-375", full_page=False)
    finally:
        tab.close()
    assert tab.errors == [], "JavaScript errors or CSP violations"


def test_an_order_and_a_product_show_their_timeline(browser: Browser, live: Any) -> None:
    served, data = live
    order = data.orders[0]
    before = order["status"]
    data.set_order(order["id"], status="delivered" if before != "delivered" else "shipped")
    product = data.real_products()[0]
    data.set_product(product["id"], price="777.0")
    assert served.call("POST", "api/sync-all")[0] == 200
    _, found = served.call("GET", f"api/orders?q={order['id']}&limit=1")
    ident = found["items"][0]["id"]
    assert served.call("PUT", f"api/orders/{ident}", body={"notes": "позвонить"})[0] == 200
    assert served.call("PUT", f"api/orders/{ident}/status", body={"status": "refunded"})[0] == 200
    assert served.call("DELETE", f"api/orders/{ident}/overrides/status")[0] == 200
    # A long history to page through: 70 card changes, seeded, one a day over the last 70 days.
    db = database_for(served.database_url)
    try:
        db.run(
            """INSERT INTO record_events (entity, entity_id, kind, changes, seen_at)
               SELECT 'order', :id, 'changed', jsonb_build_object('bank_card', jsonb_build_array('*1', '*2')),
                      now() - make_interval(days => n)
               FROM generate_series(1, 70) n""",
            id=ident,
        )
    finally:
        db.close()
    total = served.call("GET", f"api/orders/{ident}/history?limit=1")[1]["total"]

    for width in (375, 1280):
        tab = Console(browser, served, width=width)
        try:
            tab.sign_in()
            tab.open(f"/orders/{ident}")
            events = tab.page.locator(".timeline .event")
            expect(events.nth(0)).to_contain_text("tester: возврат к значению магазина")
            expect(events.nth(0)).to_contain_text("Статус: снова значение магазина")
            expect(events.nth(1)).to_contain_text("tester: изменение")
            expect(events.nth(1)).to_contain_text("Статус:")
            expect(events.nth(1)).to_contain_text("→ возврат")  # refunded, as the page names statuses
            expect(events.nth(2)).to_contain_text("Заметки: — → позвонить")
            shop = tab.page.locator(".timeline .event[data-kind=changed]").first
            expect(shop).to_contain_text("магазин: изменения · запуск №")
            expect(shop).to_contain_text("Статус:")
            expect(events).to_have_count(50)  # a page; the rest on demand, in as many pages as it takes
            while tab.page.locator(".timeline button", has_text="Показать ещё").count():
                tab.page.locator(".timeline button", has_text="Показать ещё").click()
                expect(tab.page.locator(".timeline button[disabled]")).to_have_count(0)
            expect(events).to_have_count(total)
            expect(tab.page.locator(".timeline .event[data-kind=created]")).to_contain_text("впервые получен")
            assert tab.page.evaluate("document.documentElement.scrollWidth") <= width
            tab.page.locator("#timeline-title").scroll_into_view_if_needed()
            tab.shot(f"order-timeline-{width}", full_page=False)

            _, products = served.call("GET", f"api/products?q={quote(product['name'])}&limit=1")
            tab.open(f"/products/{products['items'][0]['id']}")
            expect(tab.page.locator(".timeline .event[data-kind=changed]").first).to_contain_text("Цена:")
            expect(tab.page.locator(".timeline .event[data-kind=changed]").first).to_contain_text(
                "777,00\u00a0₽"
            )
        finally:
            tab.close()
        assert tab.errors == [], "JavaScript errors or CSP violations"
