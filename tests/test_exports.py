"""Exports (GET /api/exports/...) against a real, synced database: each file read back, the CSV with
the csv module in the dialect it is written in and the XLSX with openpyxl, holds the same rows and
numbers as the JSON route of the same list; a file too large for a response is refused."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import openpyxl
import pytest

from chalicelib import exports
from chalicelib.db import Database
from devtools.shop_data import ShopData
from tests.test_api import ADMIN, MOSCOW, Api, api, product_id

__all__ = ["api"]  # the fixture, imported for the tests below

XLSX = exports.MEDIA_TYPES["xlsx"]


def download(api: Api, path: str, accept: str) -> tuple[int, dict[str, str], bytes]:
    response = api.client.http.get(path, headers={**ADMIN, "Accept": accept})
    return response.status_code, dict(response.headers), response.body


def csv_rows(api: Api, path: str) -> list[list[str]]:
    status, headers, body = download(api, path, "text/csv")
    assert status == 200, body[:300]
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    assert headers["Content-Disposition"].startswith('attachment; filename="')
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))


def xlsx_rows(api: Api, path: str) -> list[list[Any]]:
    status, headers, body = download(api, path, XLSX)
    assert status == 200, body[:300]
    assert headers["Content-Type"] == XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def comma(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def all_pages(api: Api, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = api.ok(f"{path}&offset={len(items)}")
        items += page["items"]
        if len(items) >= page["total"]:
            return items


def shop_time(iso: str) -> str:
    return f"{datetime.fromisoformat(iso).astimezone(MOSCOW):%d.%m.%Y %H:%M}"


def test_the_orders_file_holds_the_filtered_list_in_its_order(api: Api):
    since = date.today() - timedelta(days=120)
    query = f"status=paid&status=shipped&date_from={since}&sort=-total_amount"
    orders = all_pages(api, f"/api/orders?{query}&limit=200")
    assert len(orders) > 10
    head, *rows = csv_rows(api, f"/api/exports/orders?{query}")
    assert head[:4] == ["№ заказа", "Создан", "Статус", "Сумма"]
    assert [int(row[0]) for row in rows] == [o["external_id"] for o in orders]
    assert [comma(row[3]) for row in rows] == [Decimal(o["total_amount"]) for o in orders]
    assert [row[1] for row in rows] == [shop_time(o["created_at"]) for o in orders]
    assert {row[2] for row in rows} <= {"оплачен", "отправлен"}
    assert [int(row[6]) for row in rows] == [o["item_count"] for o in orders]

    head, *cells = xlsx_rows(api, f"/api/exports/orders?{query}&format=xlsx&lang=en")
    assert head[:4] == ["Order", "Created", "Status", "Total"]
    assert [row[0] for row in cells] == [o["external_id"] for o in orders]
    assert [Decimal(str(row[3])) for row in cells] == [Decimal(o["total_amount"]) for o in orders]
    created = [row[1] for row in cells]
    assert all(isinstance(value, datetime) for value in created)  # dates as dates
    assert [f"{value:%d.%m.%Y %H:%M}" for value in created] == [shop_time(o["created_at"]) for o in orders]
    assert {row[2] for row in cells} <= {"paid", "shipped"}


def test_money_is_a_number_with_a_currency_format_in_xlsx(api: Api):
    status, _, body = download(api, "/api/exports/orders?format=xlsx", XLSX)
    assert status == 200
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    total = sheet.cell(row=2, column=4)
    assert total.data_type == "n" and "₽" in total.number_format
    assert sheet.cell(row=2, column=2).number_format == "dd.mm.yyyy hh:mm"


def test_shop_text_that_looks_like_a_formula_stays_text(api: Api, shop_data: ShopData):
    order = shop_data.orders[0]
    shop_data.set_order(order["id"], user={**order["user"], "full_name": '=HYPERLINK("http://evil")'})
    assert api.send("POST", "/api/sync-all")[0] == 200
    query = f"q={order['id']}"
    head, row = csv_rows(api, f"/api/exports/orders?{query}")
    assert row[head.index("Покупатель")] == '\'=HYPERLINK("http://evil")'
    status, _, body = download(api, f"/api/exports/orders?{query}&format=xlsx", XLSX)
    assert status == 200
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    cell = sheet.cell(row=2, column=head.index("Покупатель") + 1)
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://evil")'


def test_the_products_file_is_the_products_list(api: Api):
    products = all_pages(api, "/api/products?sort=-price&limit=200")
    head, *rows = csv_rows(api, "/api/exports/products?sort=-price")
    assert [int(row[0]) for row in rows] == [p["external_id"] for p in products]
    price, stock = head.index("Цена"), head.index("Остаток")
    assert [comma(row[price]) if row[price] else None for row in rows] == [
        Decimal(p["price"]) if p["price"] else None for p in products
    ]
    assert [int(row[stock]) for row in rows] == [p["stock_quantity"] for p in products]
    _, *cells = xlsx_rows(api, "/api/exports/products?sort=-price&format=xlsx")
    assert [row[0] for row in cells] == [p["external_id"] for p in products]


def test_the_purchasing_file_takes_this_orders_quantities_and_ends_with_the_total(
    api: Api, db: Database, shop_data: ShopData
):
    first, second = (product_id(db, p["id"]) for p in shop_data.real_products()[:2])
    for ident, cost in ((first, "100.00"), (second, "12.34")):
        api.send("PUT", f"/api/products/{ident}/analytics", {"min_stock": 1_000})
        api.send("PUT", f"/api/products/{ident}/cost", {"cost": cost})
    lines = api.ok("/api/purchasing?limit=2000")["items"]
    head, *rows = csv_rows(api, f"/api/exports/purchasing?qty={second}:7")
    *body, total = rows
    assert [row[0] for row in body] == [line["name"] for line in lines]
    qty_at, cost_at = head.index("Заказать, шт."), head.index("Сумма")
    expected = {
        line["name"]: (7 if line["product_id"] == second else line["recommended_qty"]) for line in lines
    }
    assert {row[0]: int(row[qty_at]) for row in body} == expected
    mine = next(row for row in body if row[0] == next(x["name"] for x in lines if x["product_id"] == second))
    assert comma(mine[cost_at]) == Decimal("86.38")  # 7 × 12,34
    assert total[0] == "Итого" and int(total[qty_at]) == sum(expected.values())
    assert comma(total[cost_at]) == sum(comma(row[cost_at]) for row in body if row[cost_at])
    _, *cells = xlsx_rows(api, f"/api/exports/purchasing?qty={second}:7&format=xlsx")
    assert cells[-1][0] == "Итого" and Decimal(str(cells[-1][qty_at])) == sum(expected.values())


@pytest.mark.parametrize("table", ["periods", "categories", "products"])
def test_each_profit_table_is_the_apis(api: Api, table: str):
    span = f"date_from={date.today() - timedelta(days=200)}&date_to={date.today()}"
    route = {"periods": f"/api/profit?{span}&group=month", "categories": f"/api/profit/categories?{span}",
             "products": f"/api/profit/products?{span}&limit=200"}[table]  # fmt: skip
    answer = api.ok(route)
    items = answer["periods"] if table == "periods" else answer["items"]
    head, *rows = csv_rows(api, f"/api/exports/profit?table={table}&{span}&group=month")
    assert len(rows) == len(items) > 0
    for key, title in (("revenue", "Выручка"), ("uncosted_revenue", "Без себестоимости")):
        column = head.index(title)
        assert [comma(row[column]) for row in rows] == [Decimal(item[key]) for item in items], key
    _, *cells = xlsx_rows(api, f"/api/exports/profit?table={table}&{span}&group=month&format=xlsx")
    assert [Decimal(str(row[head.index("Выручка")])) for row in cells] == [
        Decimal(i["revenue"]) for i in items
    ]


def test_a_file_larger_than_a_response_can_carry_is_refused_asking_for_less(
    api: Api, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(exports, "MAX_ROWS", 10)  # counted before the file is made
    status, _, body = download(api, "/api/exports/orders", "text/csv")
    assert status == 413 and b'"export_too_large"' in body and b"narrow it" in body
    monkeypatch.setattr(exports, "MAX_ROWS", 50_000)
    monkeypatch.setattr(exports, "MAX_BYTES", 2_000)  # found while it is written
    for fmt, accept in (("csv", "text/csv"), ("xlsx", XLSX)):
        status, _, body = download(api, f"/api/exports/orders?format={fmt}", accept)
        assert status == 413 and b'"export_too_large"' in body, (fmt, body[:200])


def test_bad_queries_are_refused(api: Api):
    for bad in ("orders?format=pdf", "orders?lang=de", "purchasing?qty=12", "profit?table=days"):
        status, _, body = download(api, f"/api/exports/{bad}", "*/*")
        assert status == 400 and b"validation_error" in body, (bad, body[:200])
