"""The staff console in a real browser: headless Chromium (Debian's package) driven by Playwright,
against `chalice local` with the fake shop and a synced database. Every page fails its test on a
JavaScript error or a Content-Security-Policy violation; screenshots go to build/test-artifacts/
(those of every page at 375 and 1280 px are the README's, copied to docs/screenshots/)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from playwright.sync_api import Browser, expect

from chalicelib.sync.service import lock_key
from devtools.served_app import ADMIN_TOKEN, VIEWER_TOKEN, ServedApp
from tests.browser import Console
from tests.conftest import database_for

MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture
def console(browser: Browser, served_app: ServedApp, request: pytest.FixtureRequest) -> Iterator[Console]:
    tab = Console(browser, served_app)
    yield tab
    tab.shot(f"test-{request.node.name}")
    tab.close()
    assert tab.errors == [], "JavaScript errors or CSP violations"


def rub(amount: Decimal) -> str:
    """As the console shows money: ru-RU grouping with no-break spaces, a comma, the rouble sign."""
    whole, fraction = f"{amount:.2f}".split(".")
    return f"{int(whole):,}".replace(",", "\u00a0") + f",{fraction}\u00a0₽"


def shop_today() -> str:
    return datetime.now(MOSCOW).date().isoformat()


# -- signing in ------------------------------------------------------------------------------------


def test_a_wrong_token_is_refused_on_the_form_and_the_right_one_signs_in(console: Console) -> None:
    page = console.page
    console.open()
    page.fill("#token", "not-a-token-of-ours-at-all")
    page.click("button[type=submit]")
    assert "Этот токен не принят" in page.inner_text("#token-error")
    expect(page.locator("#token")).to_be_focused()  # back on the token, its error read with it
    assert page.get_attribute("#token", "aria-describedby") == "token-hint token-error"
    assert page.evaluate("sessionStorage.length") == 0
    page.fill("#token", ADMIN_TOKEN)
    page.click("button[type=submit]")
    page.wait_for_selector("header.top nav")
    assert "tester" in page.inner_text("header.top")
    # The token is in this tab's sessionStorage only: not in the URL, a cookie or localStorage.
    assert page.evaluate("sessionStorage.getItem('strattera.token')") == ADMIN_TOKEN
    assert ADMIN_TOKEN not in page.url
    assert console.context.cookies() == []
    assert ADMIN_TOKEN not in str(page.evaluate("JSON.stringify(localStorage)"))
    page.reload()  # a reload keeps the session of this tab
    page.wait_for_selector("header.top nav")
    page.click("text=Выйти")
    page.wait_for_selector("#token")
    assert page.evaluate("sessionStorage.length") == 0


def test_the_console_works_with_the_keyboard_alone(console: Console) -> None:
    page = console.page
    console.open()
    page.wait_for_selector("#token:focus")  # the form is ready to type into
    page.keyboard.type(ADMIN_TOKEN)
    page.keyboard.press("Enter")
    page.wait_for_selector("header.top nav")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == "#/orders":
            break
    else:
        pytest.fail("Tab never reached the Orders link")
    page.keyboard.press("Enter")
    page.wait_for_selector("table.orders")
    for _ in range(80):
        page.keyboard.press("Tab")
        if re.fullmatch(r"#/orders/\d+", page.evaluate("document.activeElement.getAttribute('href') || ''")):
            break
    else:
        pytest.fail("Tab never reached an order")
    page.keyboard.press("Enter")
    page.wait_for_selector("#order-status")
    assert page.locator("label[for=order-status]").inner_text() == "Статус"


def test_english_can_be_chosen_and_every_field_has_a_label(console: Console) -> None:
    page = console.page
    console.sign_in()
    page.select_option("header.top select", "en")
    assert page.inner_text("header.top nav").split() == [
        "Overview",
        "Orders",
        "Products",
        "Purchasing",
        "Profit",
    ]
    console.open("/products/1")
    page.wait_for_selector("#product-price")
    unlabelled = page.evaluate(
        """[...document.querySelectorAll('input, select, textarea')]
             .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
             .map((el) => el.outerHTML)"""
    )
    assert unlabelled == []
    page.select_option("header.top select", "ru")


def test_a_csp_violation_is_caught_by_these_tests(browser: Browser, served_app: ServedApp) -> None:
    # The control for every test here: an inline script is refused by the console's CSP, and the
    # refusal is recorded as an error (so a page that caused one would fail its test).
    tab = Console(browser, served_app)
    try:
        tab.open()
        tab.page.wait_for_selector("#token")
        tab.page.evaluate(
            "document.head.appendChild(Object.assign(document.createElement('script'),"
            " {textContent: 'window.x = 1'}))"
        )
        tab.page.wait_for_timeout(300)
        assert tab.page.evaluate("window.x") is None
        assert any("CSP violation" in e or "Refused to execute" in e for e in tab.errors), tab.errors
    finally:
        tab.close()


# -- overview --------------------------------------------------------------------------------------


def test_the_overview_shows_the_runs_and_sync_all_shows_its_counts(console: Console) -> None:
    page = console.page
    console.sign_in()
    page.wait_for_selector("#recent-runs ~ .table-wrap tbody tr")
    assert "успешно" in page.inner_text("#recent-runs ~ .table-wrap")
    assert page.locator(".stale").count() == 0
    result = console.sync("all")
    assert "Товары: успешно — получено" in result
    # What happened, its zeros left out (nothing new, changed, invalid, deleted or back).
    assert "Заказы: успешно — получено 300: 300 без изменений" in result
    page.wait_for_selector(".figure .big")
    assert "Сегодня" in page.inner_text("#figures ~ .cards")
    assert page.locator(".chart .bar").count() == 30


def test_a_sync_already_running_shows_the_409_message(console: Console) -> None:
    console.sign_in()
    holder = database_for(console.served.database_url)
    try:
        with holder.connection() as conn:  # a session lock, as a running sync holds it
            conn.run("SELECT pg_advisory_lock(:key)", key=lock_key("orders"))
            shown = console.sync("orders")
    finally:
        holder.close()  # the lock goes with the session
    assert "Не удалось: запустить синхронизацию" in shown
    assert "синхронизация этого раздела уже идёт" in shown and "409" in shown
    assert "already running" not in shown  # the API's English message is for programs


def test_a_run_opens_to_its_quarantined_records(console: Console) -> None:
    status, runs = console.served.call("GET", "api/sync/runs?resource=orders&limit=1")
    assert status == 200
    run_id = runs["items"][0]["id"]
    console.sign_in()
    # The run is linked from its resource's card and from the recent runs (as a card on a phone, in
    # the table here): whichever shows first, as a person would.
    console.page.locator(f"a[href='#/runs/{run_id}']:visible").first.click()
    console.page.wait_for_selector("text=Отложенные записи")
    assert "Все записи прошли проверку" in console.page.inner_text("main")


# -- orders ----------------------------------------------------------------------------------------


def test_orders_filter_open_edit_status_survive_a_sync_and_revert(console: Console) -> None:
    page, served = console.page, console.served
    date_from = (datetime.now(MOSCOW).date() - timedelta(days=120)).isoformat()
    status, expected = served.call(
        "GET", f"api/orders?status=paid&status=shipped&date_from={date_from}&date_to={shop_today()}&limit=1"
    )
    assert status == 200 and expected["total"] > 0
    console.sign_in()
    console.open("/orders")
    page.wait_for_selector("table.orders")
    page.get_by_label("оплачен", exact=True).check()
    page.get_by_label("отправлен", exact=True).check()
    page.fill("#f-from", date_from)
    page.fill("#f-to", shop_today())
    page.click("text=Показать")
    page.wait_for_url(re.compile(r".*#/orders\?.*status=paid"))
    page.wait_for_selector(f"text=Найдено заказов: {expected['total']}")
    badges = page.locator("table.orders tbody .badge").all_inner_texts()
    assert badges and set(badges) <= {"оплачен", "отправлен"}

    row = page.locator("table.orders tbody tr", has=page.locator(".badge", has_text="оплачен")).first
    row.locator("a").click()
    page.wait_for_selector("#order-status")
    order_id = page.evaluate("location.hash.split('/')[2]")
    assert page.input_value("#order-status") == "paid"
    page.select_option("#order-status", "shipped")
    page.click("form.staff-form button[type=submit]")
    page.wait_for_selector("text=Сохранено")
    mark = page.locator("[data-override=status]")
    assert "изменено" in mark.inner_text().lower() and "в магазине: оплачен" in mark.inner_text()

    assert "Заказы: успешно" in console.sync("orders")
    console.open(f"/orders/{order_id}")
    page.wait_for_selector("[data-override=status]")
    assert page.input_value("#order-status") == "shipped"  # the staff's status stays through a sync

    page.click("[data-override=status] button")
    page.wait_for_selector("text=Снова значение магазина")
    assert page.input_value("#order-status") == "paid"
    assert page.locator("[data-override=status]").count() == 0
    assert served.call("GET", f"api/orders/{order_id}")[1]["overridden"] == []


def test_a_staff_note_is_saved_and_a_bad_email_keeps_what_was_typed(console: Console) -> None:
    page = console.page
    console.sign_in()
    console.open("/orders/2")
    page.wait_for_selector("#order-notes")
    page.fill("#order-notes", "позвонить до 18:00")
    page.click("form.staff-form button[type=submit]")
    page.wait_for_selector("text=Сохранено")
    assert "изменено" in page.inner_text(".field:has(#order-notes)").lower()
    # The keyboard's place after a save is the message that says so, not the page's body.
    assert page.evaluate("document.activeElement.textContent") == "Сохранено"
    page.fill("#order-customer_email", "not-an-email")
    page.click("form.staff-form button[type=submit]")
    page.wait_for_selector(".error-box")
    said = "это не адрес электронной почты: нужен вид имя@пример.рф"  # the API's `email`, said in Russian
    assert said in page.inner_text(".field:has(#order-customer_email)")  # next to the field, in Russian
    assert page.evaluate("document.activeElement.className") == "error-box"  # focus on what went wrong
    email = page.locator("#order-customer_email")  # the field names its error for a screen reader
    assert email.get_attribute("aria-describedby") == "order-customer_email-error"
    assert email.get_attribute("aria-invalid") == "true"
    assert page.input_value("#order-customer_email") == "not-an-email"  # what was typed is still there
    page.fill("#order-customer_email", " anna@example.ru ")  # pasted with spaces: saved without them
    page.click("form.staff-form button[type=submit]")
    page.wait_for_selector("text=Сохранено")
    assert console.served.call("GET", "api/orders/2")[1]["customer"]["email"] == "anna@example.ru"
    page.click(".field:has(#order-notes) [data-override=notes] button")
    page.wait_for_selector("text=Очищено")


def test_the_dev_token_hint_shows_only_where_the_app_runs_locally(browser: Browser, served_app: ServedApp):
    tab = Console(browser, served_app)
    try:
        tab.open()
        expect(tab.page.locator("#token-hint")).to_contain_text(".local/dev-token")
        # The same app under another name, as deployed behind API Gateway (Chromium sends *.localhost
        # to this machine): no word about a developer's file.
        tab.page.goto(served_app.url.replace("127.0.0.1", "console.localhost"))
        tab.page.wait_for_selector("#token")
        expect(tab.page.locator("#token-hint")).to_have_count(0)
        assert tab.page.get_attribute("#token", "aria-describedby") is None
        tab.page.fill("#token", ADMIN_TOKEN)
        tab.page.press("#token", "Enter")
        tab.page.wait_for_selector("header.top nav")  # and it works there
    finally:
        tab.close()
    assert tab.errors == [], "JavaScript errors or CSP violations"


def test_a_refiltered_list_is_marked_busy_until_the_new_one_arrives(console: Console) -> None:
    page = console.page
    console.sign_in()
    console.open("/orders")
    page.wait_for_selector("table.orders")
    before = page.inner_text("p.total")
    held: list[Any] = []
    page.route(re.compile(r".*/api/orders\?.*status=paid.*"), lambda route: held.append(route))  # it waits
    page.check("input[name=status][value=paid]")
    page.click("form.filters button[type=submit]")
    expect(page.locator(".results")).to_have_attribute("aria-busy", "true")  # the old list, marked
    assert page.inner_text("p.total") == before
    for route in held:
        route.continue_()
    expect(page.locator(".results")).to_have_attribute("aria-busy", "false")
    assert page.inner_text("p.total") != before


def test_the_back_link_returns_to_the_list_as_it_was_and_never_leaves_the_console(console: Console) -> None:
    page = console.page
    console.sign_in()
    console.open("/orders/1")  # opened directly (a shared link): back is the list itself
    page.wait_for_selector("#order-status")
    assert page.get_attribute("main a[href^='#/orders']", "href") == "#/orders"
    console.open("/orders?status=paid&offset=0")
    page.wait_for_selector("table.orders tbody tr")
    page.click("table.orders tbody tr:first-child a")
    page.wait_for_selector("#order-status")
    back = page.locator("main p a").first
    assert back.get_attribute("href") == "#/orders?status=paid&offset=0"
    back.click()
    expect(page.locator("input[name=status][value=paid]")).to_be_checked()  # the same list
    assert page.url.startswith(console.served.url)


@pytest.mark.parametrize(
    ("fragment", "cards"),
    [("/orders", ".orders-cards"), ("/products", ".products-cards"), ("/", ".runs-cards")],
)
def test_on_a_phone_lists_are_cards_whose_figures_and_badges_are_whole(
    browser: Browser, served_app: ServedApp, fragment: str, cards: str
) -> None:
    tab = Console(browser, served_app, width=375)
    try:
        tab.sign_in()
        tab.open(fragment)
        tab.page.wait_for_selector(f"{cards} li")
        expect(tab.page.locator(".wide-list").first).to_be_hidden()  # no table to scroll sideways
        cut = tab.page.evaluate(
            f"""() => [...document.querySelectorAll('{cards} li *')]
                 .filter((e) => e.children.length === 0 && e.textContent.trim())
                 .filter((e) => {{ const r = e.getBoundingClientRect();
                                  return e.scrollWidth > e.clientWidth + 1 || r.left < 0 || r.right > 375; }})
                 .map((e) => e.textContent)"""
        )
        assert cut == [], cut  # a number, a date, an amount or a badge: each whole, on screen
    finally:
        tab.close()
    assert tab.errors == [], "JavaScript errors or CSP violations"


def test_daily_sales_have_two_decimals_everywhere(console: Console) -> None:
    console.sign_in()
    console.open("/products")
    console.page.wait_for_selector("table.products")
    cells = console.page.locator("table.products td:nth-child(7)").all_inner_texts()
    assert cells and all(re.fullmatch(r"\d+,\d\d", cell) for cell in cells), cells
    # A product's page: the fact and the computed value its override field offers, alike.
    console.page.click("table.products tbody a")
    console.page.wait_for_selector("#analytics-avg_daily_sales_30d")
    fact = console.page.inner_text(".facts dt:has-text('Продаж в день') + dd")
    placeholder = console.page.get_attribute("#analytics-avg_daily_sales_30d", "placeholder")
    assert re.fullmatch(r"\d+,\d\d", fact) and placeholder == f"расчёт: {fact}", (fact, placeholder)


@pytest.mark.parametrize("width", [1280, 375])
def test_the_products_list_shows_each_products_abc_class(browser: Browser, served_app: ServedApp, width: int):
    tab = Console(browser, served_app, width=width)
    try:
        tab.sign_in()
        tab.open("/products")
        listed = "table.products [data-abc]" if width >= 800 else ".products-cards [data-abc]"
        tab.page.wait_for_selector(listed)
        shown = [text.removeprefix("Класс: ") for text in tab.page.locator(listed).all_inner_texts()]
        names = tab.page.locator("table.products tbody a" if width >= 800 else ".products-cards a")
        ids = [int(href.rsplit("/", 1)[1]) for href in (a.get_attribute("href") or "" for a in names.all())]
        classes = {
            p["id"]: p["analytics"]["abc_class"]
            for p in served_app.call("GET", "api/products?limit=100")[1]["items"]
        }
        assert shown == [classes[i] for i in ids] and "A" in shown, shown
        tab.shot(f"products-abc-{width}")
    finally:
        tab.close()
    assert tab.errors == [], "JavaScript errors or CSP violations"


def test_a_product_out_of_stock_all_month_shows_no_daily_sales_and_says_why(console: Console) -> None:
    product = _a_priced_product(console.served)
    db = database_for(console.served.database_url)
    month = "SELECT :p, (now() AT TIME ZONE 'Europe/Moscow')::date - n, :out FROM generate_series(0, 29) n"
    mark = f"""INSERT INTO product_trends (product_id, day, out_of_stock) {month}
               ON CONFLICT (product_id, day) DO UPDATE SET out_of_stock = EXCLUDED.out_of_stock"""
    console.sign_in()
    page = console.page
    console.open(f"/products/{product['id']}")
    page.wait_for_selector("[data-fact=demand-days]")
    how = page.inner_text("[data-fact=recommendation]")  # the sentence that explains the order
    assert how.startswith("Как посчитан заказ: ") and "страховой запас" in how, how
    assert how.endswith(f"= {product['analytics']['recommendation']['quantity']}"), how
    console.shot("product-recommendation")
    page.select_option("header.top select", "en")  # the same sentence in English
    how_en = page.inner_text("[data-fact=recommendation]")
    assert how_en.startswith("How the order is reached: ") and "safety stock" in how_en, how_en
    page.select_option("header.top select", "ru")
    page.wait_for_selector("[data-fact=recommendation]:has-text('Как посчитан заказ')")
    assert (
        page.input_value("#analytics-service_level")
        == {"A": "95", "B": "90", "C": "85"}[product["analytics"]["abc_class"]]
    )
    page.fill("#analytics-service_level", "97,5")  # as it is written here
    page.click("form.analytics-form button[type=submit]")
    page.wait_for_selector("[data-fact=recommendation]:has-text('уровень сервиса 97,5 %')")
    assert page.input_value("#analytics-service_level") == "97,5"
    try:
        db.run(mark, p=product["id"], out=True)
        assert console.served.call("POST", "api/sync-all")[0] == 200  # the analytics recomputed
        console.open(f"/products/{product['id']}")
        page.reload()
        page.wait_for_selector("[data-fact=demand-days]:has-text('мало для оценки')")
        assert page.inner_text("[data-fact=avg-sales]") == "—"
        assert page.inner_text("[data-fact=demand-days]") == "0 · мало для оценки"
        assert page.inner_text("[data-fact=recommendation]").startswith(
            "Как посчитан заказ: оценки спроса нет, поэтому мин. запас 0"
        )
        console.shot("product-no-demand")
    finally:
        console.served.call("DELETE", f"api/products/{product['id']}/overrides/service_level")
        db.run(mark, p=product["id"], out=False)
        console.served.call("POST", "api/sync-all")
        db.close()


# -- products --------------------------------------------------------------------------------------


def _a_priced_product(served: ServedApp) -> dict[str, Any]:
    status, page = served.call("GET", "api/products?limit=100&sort=name")
    assert status == 200
    return next(p for p in page["items"] if p["price"] and not p["overridden"] and Decimal(p["price"]) > 200)


def _open_a_priced_product(console: Console, ready: str = "#product-price") -> dict[str, Any]:
    """Sign in and open a product with a price and no edits; the product as the API shows it."""
    product = _a_priced_product(console.served)
    console.sign_in()
    console.open(f"/products/{product['id']}")
    console.page.wait_for_selector(ready)
    return product


def test_products_price_and_cost_edits_move_the_margin_survive_a_sync_and_revert(console: Console) -> None:
    page, served = console.page, console.served
    product = _a_priced_product(served)
    shop_price = Decimal(product["price"])
    console.sign_in()
    console.open("/products")
    page.wait_for_selector("table.products")
    page.fill("#p-q", product["name"])
    page.click("text=Показать")
    page.wait_for_selector("text=Найдено товаров: 1")
    page.click(f"table.products a[href='#/products/{product['id']}']")
    page.wait_for_selector("#product-cost")

    page.fill("#product-cost", "100")
    page.click("form[data-field=cost] button[type=submit]")
    page.wait_for_selector(f"[data-fact=cost]:has-text('{rub(Decimal('100'))}')")
    assert page.inner_text("[data-fact=margin]") == rub(shop_price - 100)

    # The field shows money as the page does, and reads it back so.
    assert page.input_value("#product-price") == rub(shop_price).removesuffix("\u00a0₽")
    page.fill("#product-price", "2\u00a0000,00")
    page.click("form[data-field=price] button[type=submit]")
    page.wait_for_selector(f"[data-fact=price]:has-text('{rub(Decimal('2000'))}')")
    assert page.input_value("#product-price") == "2\u00a0000,00"
    assert page.inner_text("[data-fact=margin]") == rub(Decimal("1900"))
    assert f"в магазине: {rub(shop_price)}" in page.inner_text("[data-override=price]")

    assert "Товары: успешно" in console.sync("products")
    console.open(f"/products/{product['id']}")
    page.wait_for_selector("[data-override=price]")
    assert page.inner_text("[data-fact=price]") == rub(Decimal("2000"))  # the staff's price stays

    page.click("[data-override=price] button")
    page.wait_for_selector(f"[data-fact=price]:has-text('{rub(shop_price)}')")
    assert page.inner_text("[data-fact=margin]") == rub(shop_price - 100)
    page.click("[data-override=cost] button")
    page.wait_for_selector("[data-fact=cost]:has-text('—')")
    assert served.call("GET", f"api/products/{product['id']}")[1]["overridden"] == []


def test_an_analytics_override_shows_the_computed_value_and_goes_back_to_it(console: Console) -> None:
    page, served = console.page, console.served
    product = _open_a_priced_product(console, "#analytics-days_to_zero")
    computed = product["analytics"]["days_to_zero"]
    shown = "—" if computed is None else f"{computed:,}".replace(",", "\u00a0")
    page.fill("#analytics-days_to_zero", "3")
    page.fill("#analytics-delivery_days", "30")
    page.click("form.analytics-form button[type=submit]")
    page.wait_for_selector("[data-override=days_to_zero]")
    assert f"расчёт: {shown}" in page.inner_text("[data-override=days_to_zero]")
    assert "по умолчанию: 14" in page.inner_text("[data-override=delivery_days]")
    assert page.inner_text("dd:right-of(dt:text('Дней до нуля'))") == "3"
    page.click("[data-override=days_to_zero] button")
    page.wait_for_selector("[data-override=days_to_zero]", state="detached")
    page.click("[data-override=delivery_days] button")
    page.wait_for_selector("[data-override=delivery_days]", state="detached")
    assert served.call("GET", f"api/products/{product['id']}")[1]["overridden"] == []


def test_a_failed_save_shows_the_api_message_and_keeps_what_was_typed(console: Console) -> None:
    page = console.page
    _open_a_priced_product(console)
    page.fill("#product-price", "12,5 руб")
    page.click("form[data-field=price] button[type=submit]")
    page.wait_for_selector("form[data-field=price] .field-message")
    assert page.input_value("#product-price") == "12,5 руб"
    assert page.locator("[data-override=price]").count() == 0


def test_the_apis_validation_errors_are_said_in_russian_with_their_limit(console: Console) -> None:
    page = console.page
    _open_a_priced_product(console)
    page.fill("#product-price", "1990.999")
    page.click("form[data-field=price] button[type=submit]")
    field = page.locator("form[data-field=price] .field-message")
    expect(field).to_have_text("не больше 2 знаков после запятой")  # the API's type and limit, said here
    text = page.inner_text("main")
    assert "Decimal input" not in text and "Input should" not in text and "price:" not in text


def test_the_trends_chart_follows_the_chosen_range(console: Console) -> None:
    page = console.page
    _open_a_priced_product(console, "#trends-title")
    expect(page.locator(".chart .bar")).to_have_count(30)
    page.select_option("#trends-title + label select", "90")
    expect(page.locator(".chart .bar")).to_have_count(90)


# -- read-only -------------------------------------------------------------------------------------


def test_a_read_only_token_sees_every_page_with_the_edit_controls_disabled(console: Console) -> None:
    page = console.page
    console.sign_in(VIEWER_TOKEN)
    assert "только чтение" in page.inner_text("header.top")
    page.wait_for_selector(".read-only")
    for which in ("orders", "products", "all"):
        assert page.is_disabled(f"[data-sync={which}]")
    console.open("/orders/1")
    page.wait_for_selector("#order-status")
    assert page.locator(".read-only").is_visible()
    assert page.is_disabled("#order-status") and page.is_disabled("form.staff-form button[type=submit]")
    console.open("/products/1")
    page.wait_for_selector("#product-price")
    for control in ("#product-price", "#product-cost", "#product-hidden", "#analytics-min_stock"):
        assert page.is_disabled(control), control
    assert page.locator(".read-only").is_visible()


# -- the API reference page -------------------------------------------------------------------------


def test_the_api_reference_needs_no_token_and_shows_every_route(
    browser: Browser, served_app: ServedApp
) -> None:
    status, spec = served_app.call("GET", "api/openapi.json", token=None)
    assert status == 200
    tab = Console(browser, served_app)
    try:
        tab.page.goto(served_app.url + "docs")
        tab.page.wait_for_selector("#schemas")
        shown = [" ".join(text.split()) for text in tab.page.locator(".operation h3").all_inner_texts()]
        assert sorted(shown) == sorted(
            f"{m.upper()} {path}" for path, item in spec["paths"].items() for m in item
        )
        assert tab.page.locator(".schema").count() == len(spec["components"]["schemas"])
        tab.page.click(
            "#group-orders + section a[href='#schema-OrderSummary'], .operation a[href^='#schema-']"
        )
        tab.shot("docs-1280", full_page=False)
    finally:
        tab.close()
    assert tab.errors == [], "JavaScript errors or CSP violations"


# -- every page at phone and desktop width ----------------------------------------------------------

PAGES = {
    "overview": "/",
    "orders": "/orders",
    "order": "/orders/1",
    "products": "/products",
    "product": "/products/1",
    "purchasing": "/purchasing",
    "profit": "/profit",
    "run": "/runs/1",
}
READY = {
    "overview": ".chart svg",
    "orders": ".results",  # a table from 800 px, cards on a phone
    "order": "#order-status",
    "products": ".results",
    "product": ".chart svg",
    "purchasing": ".purchase-summary, [data-empty]",
    "profit": "[data-table=products] h2",
    "run": "text=Отложенные записи",
}


# How many tables scroll inside their own box (each a number a person must scroll sideways to read).
SCROLLED_BOXES = (
    "[...document.querySelectorAll('.table-wrap')]"
    ".filter((box) => box.scrollWidth > box.clientWidth + 1).length"
)


@pytest.mark.parametrize("width", [375, 1280])
def test_every_page_at_phone_and_desktop_width(browser: Browser, served_app: ServedApp, width: int) -> None:
    tab = Console(browser, served_app, width=width)
    try:
        tab.open()
        tab.page.wait_for_selector("#token")
        tab.shot(f"signin-{width}", full_page=False)
        tab.sign_in()
        for name, fragment in PAGES.items():
            tab.open(fragment)
            tab.page.wait_for_selector(READY[name])
            expect(tab.page.locator(".loading")).to_have_count(0)
            tab.shot(f"{name}-{width}", full_page=False)  # what a person sees on opening it
            # Nothing sticks out sideways: wide tables scroll inside their own box.
            assert tab.page.evaluate("document.documentElement.scrollWidth") <= width, name
            # Nor inside its own box: at 375 px no number is read by scrolling a table sideways.
            assert width > 375 or tab.page.evaluate(SCROLLED_BOXES) == 0, name
    finally:
        tab.close()
    assert tab.errors == [], "JavaScript errors or CSP violations"


# -- accessibility ---------------------------------------------------------------------------------

AXE_RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize("width", [375, 1280])
def test_every_page_has_no_wcag_21_a_or_aa_violation(
    browser: Browser, served_app: ServedApp, width: int, language: str
) -> None:
    """axe-core (shipped by axe-playwright-python) on the sign-in form and every page."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    tab = Console(browser, served_app, width=width)
    tab.context.add_init_script(f"localStorage.setItem('strattera.lang', '{language}')")
    found: dict[str, list[str]] = {}

    def check(name: str) -> None:
        expect(tab.page.locator(".loading")).to_have_count(0)
        violations = axe.run(tab.page, options=AXE_RULES).response["violations"]
        found[name] = [
            f"{v['id']}: {n['target']} {n['failureSummary'][:200]}" for v in violations for n in v["nodes"]
        ]

    try:
        tab.open()
        tab.page.wait_for_selector("#token")
        check("signin")
        tab.sign_in()
        for name, fragment in PAGES.items():
            tab.open(fragment)
            tab.page.wait_for_selector(
                READY[name] if language == "ru" or name != "run" else ".quarantined, h2"
            )
            check(name)
    finally:
        tab.close()
    assert sorted(found) == sorted(["signin", *PAGES])  # every page was checked
    assert {name: v for name, v in found.items() if v} == {}
    assert tab.errors == [], "JavaScript errors or CSP violations"


def test_the_orders_list_downloads_as_shown_in_csv_and_xlsx(console: Console) -> None:
    page, served = console.page, console.served
    console.sign_in()
    console.open("/orders?status=shipped&sort=-total_amount")
    page.wait_for_selector("table.orders tbody tr")
    listed: dict[str, Any] = {"items": []}
    while len(listed["items"]) < listed.get("total", 1):
        page_of = served.call(
            "GET", f"api/orders?status=shipped&sort=-total_amount&limit=200&offset={len(listed['items'])}"
        )
        listed = {"items": listed["items"] + page_of[1]["items"], "total": page_of[1]["total"]}
    with page.expect_download() as downloading:
        page.click("[data-export=csv]")
    text = Path(downloading.value.path()).read_bytes().decode("utf-8-sig")
    head, *rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert head[0] == "№ заказа" and [int(row[0]) for row in rows] == [
        o["external_id"] for o in listed["items"]
    ]
    with page.expect_download() as downloading:
        page.click("[data-export=xlsx]")
    assert downloading.value.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(downloading.value.path()).read_bytes())).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        o["external_id"] for o in listed["items"]
    ]
    expect(page.locator(".export .notice")).to_contain_text(".xlsx")
