"""Exports: the orders list (with its filters), the products list, the purchasing list and the profit
tables as CSV or XLSX (chalicelib/exports.py says how each is written and bounded).

Each file holds what the same list's JSON route answers for the same query, every row of it; a file
larger than a response can carry is refused (413, `export_too_large`) before or while it is made.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from chalice import Blueprint, Response

from chalicelib import exports, stores, wiring
from chalicelib.exports import Column
from chalicelib.routes.http import api_route
from chalicelib.routes.models.exports import (
    FileChoice,
    OrdersExportQuery,
    ProductsExportQuery,
    ProfitExportQuery,
    PurchasingExportQuery,
)
from chalicelib.routes.models.profit import Figures
from chalicelib.stores import orders, products, profit, purchasing

export_routes = Blueprint(__name__)

FILE_ERRORS = (400, 413)

STATUS = {
    "ru": {
        "unpaid": "не оплачен", "paid": "оплачен", "processing": "в обработке", "shipped": "отправлен",
        "delivered": "доставлен", "cancelled": "отменён", "overdue": "просрочен", "refunded": "возврат",
    },
    "en": {},  # the API's own words
}  # fmt: skip
STOCK = {"ru": {"critical": "критично", "warning": "мало", "normal": "норма"}, "en": {}}
YES_NO = {"ru": ("да", "нет"), "en": ("yes", "no")}


def columns(lang: str, spec: list[tuple[str, str, str, exports.Kind]]) -> list[Column]:
    """(key, Russian title, English title, kind) -> the columns in `lang`."""
    return [Column(key, ru if lang == "ru" else en, kind) for key, ru, en, kind in spec]


ORDER_COLUMNS: list[tuple[str, str, str, exports.Kind]] = [
    ("external_id", "№ заказа", "Order", "integer"),
    ("created_at", "Создан", "Created", "datetime"),
    ("status", "Статус", "Status", "text"),
    ("total_amount", "Сумма", "Total", "money"),
    ("delivery_cost", "Доставка", "Delivery", "money"),
    ("bonus", "Бонусы", "Bonus", "money"),
    ("item_count", "Позиций", "Items", "integer"),
    ("customer_name", "Покупатель", "Customer", "text"),
    ("customer_city", "Город", "City", "text"),
    ("customer_phone", "Телефон", "Phone", "text"),
    ("customer_email", "Эл. почта", "Email", "text"),
    ("customer_address", "Адрес", "Address", "text"),
    ("tracking_number", "Трек-номер", "Tracking number", "text"),
    ("notes", "Заметки", "Notes", "text"),
    ("paid_at", "Оплачен", "Paid", "datetime"),
    ("shipped_at", "Отправлен", "Shipped", "datetime"),
]

PRODUCT_COLUMNS: list[tuple[str, str, str, exports.Kind]] = [
    ("external_id", "№ в магазине", "Shop id", "integer"),
    ("name", "Название", "Name", "text"),
    ("category", "Категория", "Category", "text"),
    ("brand", "Бренд", "Brand", "text"),
    ("price", "Цена", "Price", "money"),
    ("cost", "Себестоимость", "Cost", "money"),
    ("margin", "Маржа", "Margin", "money"),
    ("stock_quantity", "Остаток", "Stock", "integer"),
    ("avg_daily_sales_30d", "Продаж в день", "Sales a day", "decimal"),
    ("days_to_zero", "Дней до нуля", "Days to zero", "integer"),
    ("recommended_qty", "Заказать", "To order", "integer"),
    ("abc_class", "Класс", "Class", "text"),
    ("stock_status", "Запас", "Stock status", "text"),
    ("hidden", "Скрыт", "Hidden", "text"),
]

PURCHASE_COLUMNS: list[tuple[str, str, str, exports.Kind]] = [
    ("name", "Название", "Name", "text"),
    ("category", "Категория", "Category", "text"),
    ("stock_quantity", "Остаток", "Stock", "integer"),
    ("in_transit", "В пути", "In transit", "integer"),
    ("avg_daily_sales_30d", "Спрос в день", "Demand a day", "decimal"),
    ("days_to_zero", "Хватит на, дн.", "Days left", "integer"),
    ("delivery_days", "Поставка, дн.", "Delivery, days", "integer"),
    ("quantity", "Заказать, шт.", "To order", "integer"),
    ("cost", "Цена закупки", "Unit cost", "money"),
    ("line_cost", "Сумма", "Line cost", "money"),
]

FIGURE_COLUMNS: list[tuple[str, str, str, exports.Kind]] = [
    ("revenue", "Выручка", "Revenue", "money"),
    ("cogs", "Себестоимость", "Cost of goods", "money"),
    ("gross_profit", "Валовая прибыль", "Gross profit", "money"),
    ("margin", "Маржа, %", "Margin, %", "percent"),
    ("uncosted_revenue", "Без себестоимости", "No known cost", "money"),
    ("uncosted_share", "Без себестоимости, %", "No known cost, %", "percent"),
]

PROFIT_COLUMNS: dict[str, list[tuple[str, str, str, exports.Kind]]] = {
    "periods": [
        ("first_day", "С", "From", "date"),
        ("last_day", "По", "To", "date"),
        ("orders", "Заказов", "Orders", "integer"),
        *FIGURE_COLUMNS,
    ],
    "categories": [
        ("category", "Категория", "Category", "text"),
        ("products", "Товаров", "Products", "integer"),
        ("units", "Штук", "Units", "integer"),
        *FIGURE_COLUMNS,
    ],
    "products": [
        ("name", "Товар", "Product", "text"),
        ("category", "Категория", "Category", "text"),
        ("units", "Штук", "Units", "integer"),
        *FIGURE_COLUMNS,
    ],
}


def _file(
    choice: FileChoice,
    what: str,
    spec: list[tuple[str, str, str, exports.Kind]],
    rows: Iterable[dict[str, Any]],
) -> Response:
    settings = wiring.settings()
    zone = settings.shop_timezone
    body = exports.write_file(choice.format, columns(choice.lang, spec), rows, zone=zone, what=what)
    name = exports.filename(what, choice.format, datetime.now(zone).date())
    return Response(
        body=body,
        status_code=200,
        headers={
            "Content-Type": exports.MEDIA_TYPES[choice.format],
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )


def _tz() -> str:
    return str(wiring.settings().shop_timezone.key)


@api_route(
    export_routes,
    "/api/exports/orders",
    summary="The orders list (its filters and order) as a CSV or XLSX file",
    query=OrdersExportQuery,
    files=tuple(exports.MEDIA_TYPES.values()),
    errors=FILE_ERRORS,
)
def export_orders(request: Any, query: OrdersExportQuery) -> Response:
    filters = orders.filter_params(
        statuses=query.status, date_from=query.date_from, date_to=query.date_to, q=query.q, tz=_tz()
    )
    labels = STATUS[query.lang]

    def rows(found: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for row in found:
            yield {**row, "status": labels.get(row["status"], row["status"])}

    with wiring.database().transaction() as conn:
        stores.read_one_snapshot(conn)
        exports.refuse_if_too_many(orders.count_orders(conn, filters), "orders list")
        return _file(
            query, "orders", ORDER_COLUMNS, rows(orders.export_orders(conn, filters=filters, sort=query.sort))
        )


@api_route(
    export_routes,
    "/api/exports/products",
    summary="The products list (its filters and order) as a CSV or XLSX file",
    query=ProductsExportQuery,
    files=tuple(exports.MEDIA_TYPES.values()),
    errors=FILE_ERRORS,
)
def export_products(request: Any, query: ProductsExportQuery) -> Response:
    params = products.filter_params(
        q=query.q, category=query.category, hidden=query.hidden, stock_status=query.stock_status
    )
    stock, (yes, no) = STOCK[query.lang], YES_NO[query.lang]

    def rows(found: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for row in found:
            status = row["stock_status"]
            yield {
                **row,
                "stock_status": stock.get(status, status),
                "hidden": yes if row["is_hidden"] else no,
            }

    with wiring.database().transaction() as conn:
        stores.read_one_snapshot(conn)
        exports.refuse_if_too_many(products.count_products(conn, params), "products list")
        return _file(
            query,
            "products",
            PRODUCT_COLUMNS,
            rows(products.export_products(conn, params=params, sort=query.sort)),
        )


@api_route(
    export_routes,
    "/api/exports/purchasing",
    summary="The purchasing list (with this order's quantities) as a CSV or XLSX file, its total last",
    query=PurchasingExportQuery,
    files=tuple(exports.MEDIA_TYPES.values()),
    errors=FILE_ERRORS,
)
def export_purchasing(request: Any, query: PurchasingExportQuery) -> Response:
    chosen: dict[int, int] = {}
    for item in query.qty or []:
        product, quantity = item.split(":")
        chosen[int(product)] = int(quantity)
    total_title = "Итого" if query.lang == "ru" else "Total"

    def rows(found: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        units, money = 0, Decimal(0)
        for row in found:
            quantity = chosen.get(row["id"], row["recommended_qty"])
            line_cost = None if row["cost"] is None else quantity * row["cost"]
            units += quantity
            money += line_cost or 0
            yield {**row, "quantity": quantity, "line_cost": line_cost}
        yield {column[0]: None for column in PURCHASE_COLUMNS} | {
            "name": total_title, "quantity": units, "line_cost": money
        }  # fmt: skip

    with wiring.database().transaction() as conn:
        stores.read_one_snapshot(conn)
        lines = purchasing.export_lines(conn, category=query.category)
        return _file(query, "purchasing", PURCHASE_COLUMNS, rows(lines))


@api_route(
    export_routes,
    "/api/exports/profit",
    summary="A profit table (per period, category or product) as a CSV or XLSX file",
    query=ProfitExportQuery,
    files=tuple(exports.MEDIA_TYPES.values()),
    errors=FILE_ERRORS,
)
def export_profit(request: Any, query: ProfitExportQuery) -> Response:
    first, last = query.days(datetime.now(wiring.settings().shop_timezone).date())
    no_category = "без категории" if query.lang == "ru" else "no category"
    with wiring.database().transaction() as conn:
        stores.read_one_snapshot(conn)
        if query.table == "periods":
            found = profit.by_period(conn, date_from=first, date_to=last, group=query.group)
        elif query.table == "categories":
            found = profit.by_category(conn, date_from=first, date_to=last)
            found = [{**row, "category": row["category"] or no_category} for row in found]
        else:
            _, _, found = profit.by_product(
                conn, date_from=first, date_to=last, category=query.category, sort=query.sort,
                limit=exports.MAX_ROWS + 1, offset=0,
            )  # fmt: skip
    exports.refuse_if_too_many(len(found), "profit table")
    rows = [{**row, **Figures.of(row["revenue"], row["cogs"], row["uncosted_revenue"])} for row in found]
    return _file(query, f"profit-{query.table}", PROFIT_COLUMNS[query.table], rows)
