"""Russian throughout: every page and every error a person can meet, in Russian, shows no English word
that is not data (the shop's text, a field's name as the shop sends it, a code, a payload). A shop that
sends broken records, a run that failed, a wrong token, a refused edit, a missing record, a 409."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from chalicelib.sync.service import lock_key
from devtools.postgres import PostgresServer
from devtools.served_app import ServedApp
from devtools.shop_data import ShopData
from tests.browser import Console
from tests.conftest import database_for, served_shop

# Latin words a Russian page may hold: names (the product, the platform, the language's own name in
# the language menu) and the abbreviations Russian uses as they are (file formats among them).
NAMES = {"Strattera", "API", "AWS", "Lambda", "Telegram", "ID", "English", "NUL", "NaN", "CSV", "XLSX"}

# The page's words outside what is data: the shop's text (<bdi class="shop-text">), a token's name
# (.data), commands, codes and field names (<code>), payloads (<pre>), what the person typed (inputs
# are not text nodes).
WORDS_SHOWN = """
() => {
  const data = 'bdi.shop-text, .data, code, pre, script, style, noscript, [hidden]';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const words = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(data)) continue;
    if (parent.closest('select') && !parent.closest('option:checked')) continue;
    words.push(node.textContent);
  }
  return words.join(' ');
}
"""
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'_.-]*[A-Za-z]")


def english_in(console: Console) -> list[str]:
    shown = console.page.evaluate(WORDS_SHOWN)
    return sorted({word for word in LATIN_WORD.findall(shown) if word not in NAMES})


@pytest.fixture(scope="module")
def broken(postgres: PostgresServer) -> Iterator[tuple[ServedApp, int]]:
    """A shop whose listing has an order with a bad total, one with a bad time, one without an id,
    and a customer name with a lone surrogate; and a run stored as failed by the shop's 500."""
    data = ShopData(orders=30, products=10, seed=41)
    first, second, third = (order["id"] for order in data.orders[:3])
    data.set_order(first, total_amount="двести")
    data.set_order(second, created_at="вчера вечером")
    data.break_record("orders", third, "lone_surrogate")
    data.set_order(data.orders[3]["id"], id=None)
    with served_shop(postgres, data, "russian") as served:
        db = database_for(served.database_url)
        try:
            db.run(
                "INSERT INTO sync_runs (resource, trigger, status, finished_at, error, error_code)"
                " VALUES ('products', 'schedule', 'failed', now(), :e, 'upstream_http')",
                e="GET https://shop.example/api/products answered 500: Internal Server Error",
            )
        finally:
            db.close()
        _, runs = served.call("GET", "api/sync/runs?resource=orders&limit=1")
        yield served, runs["items"][0]["id"]


@pytest.fixture
def tab(browser: Browser, broken: tuple[ServedApp, int]) -> Iterator[Console]:
    console = Console(browser, broken[0], width=375)
    yield console
    console.close()
    assert console.errors == [], "JavaScript errors or CSP violations"


def test_every_page_and_error_says_nothing_in_english(tab: Console, broken: tuple[ServedApp, int]) -> None:
    served, run_id = broken
    page = tab.page
    found: dict[str, list[str]] = {}

    def look(name: str) -> None:
        expect(page.locator(".loading")).to_have_count(0)
        tab.shot(f"russian-{name.strip('/').replace('/', '-')}")
        found[name] = english_in(tab)

    tab.open()
    page.fill("#token", "not-a-token")
    page.press("#token", "Enter")
    page.wait_for_selector("#token-error")
    look("signin-refused")
    tab.sign_in()

    tab.open("/")
    page.wait_for_selector(".chart svg")
    # The failed run, by its code (the runs load beside the chart: waited for, not raced).
    expect(page.locator("main")).to_contain_text("магазин ответил ошибкой")
    look("overview")

    tab.open(f"/runs/{run_id}")
    page.wait_for_selector(".quarantined")
    text = page.inner_text("main")
    assert "нужно число, например 1990,00" in text  # total_amount: "двести"
    assert "нужно время вида 05.06.2025 21:31:26" in text
    assert "недопустимые символы" in text  # the lone surrogate in the customer's name
    assert "нужен номер: целое положительное число" in text  # "id": null
    assert "у части записей нет годного номера" in text
    look("run")

    first_product = served.call("GET", "api/products?limit=1")[1]["items"][0]["id"]
    for fragment, ready in (
        ("/orders", ".results"),
        ("/products", ".results"),
        (f"/products/{first_product}", "[data-fact=recommendation]"),
        ("/purchasing", ".purchase-summary, [data-empty]"),
        ("/profit", "[data-table=products] h2"),
        ("/orders/999999", ".error-box"),
    ):
        tab.open(fragment)
        page.wait_for_selector(ready)
        look(fragment)
    assert "Такой записи нет" in page.inner_text(".error-box")

    tab.open("/orders/1")
    page.wait_for_selector("#order-customer_email")
    page.fill("#order-customer_email", "nobody@nowhere")
    page.click("form.staff-form button[type=submit]")
    page.wait_for_selector(".field-message")
    look("order-refused")

    holder = database_for(served.database_url)
    try:
        with holder.connection() as conn:  # a session lock, as a running sync holds it
            conn.run("SELECT pg_advisory_lock(:key)", key=lock_key("orders"))
            assert "уже идёт" in tab.sync("orders")
            look("sync-409")
    finally:
        holder.close()

    assert sorted(found) == sorted(
        [
            "signin-refused",
            "overview",
            "run",
            "/orders",
            "/products",
            f"/products/{first_product}",
            "/purchasing",
            "/profit",
            "/orders/999999",
            "order-refused",
            "sync-409",
        ]
    )
    assert {name: words for name, words in found.items() if words} == {}


def test_the_check_finds_an_english_word(tab: Console) -> None:
    """The check above can fail: English shown outside data is found, data is not."""
    tab.open()
    page = tab.page
    page.wait_for_selector("#token")
    page.evaluate(
        """() => {
          const main = document.querySelector('main');
          main.insertAdjacentHTML('beforeend', '<p>Input should be a valid decimal</p>'
            + '<p><bdi class="shop-text">Aspirin Bayer</bdi> <code>total_amount</code></p>');
        }"""
    )
    assert english_in(tab) == ["Input", "be", "decimal", "should", "valid"]
