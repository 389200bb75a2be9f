"""Profit (GET /api/profit, /api/profit/products, /api/profit/categories) against a real, synced
database: the cost of goods at the cost in force when each order was created, the revenue of no known
cost as a share beside every figure, and periods, products and categories that add up."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chalicelib.db import Database
from chalicelib.stores import analytics
from devtools.shop_data import ShopData
from tests.test_api import MOSCOW, Api, api, shop_day

__all__ = ["api"]  # the fixture, imported for the tests below

NOT_SALES = ("cancelled", "refunded")


def today() -> date:
    return datetime.now(MOSCOW).date()


def backdate_cost(db: Database, ident: int, cost: str, days_ago: int) -> None:
    """A cost the staff entered `days_ago` days ago (no route can backdate one), and the per-day
    tables rebuilt from every order, as after a migration."""
    db.run(
        """INSERT INTO staff_edits (entity, entity_id, field, new_value, edited_by, edited_at)
           VALUES ('product', :id, 'cost', to_jsonb(CAST(:cost AS text)), 'anna',
                   now() - make_interval(days => CAST(:ago AS integer)))""",
        id=ident, cost=cost, ago=days_ago,
    )  # fmt: skip
    rebuild(db)


def rebuild(db: Database) -> None:
    db.run("DELETE FROM analytics_state")
    with db.transaction() as conn:
        assert analytics.ensure_built_for(conn, tz=MOSCOW.key)


def best_seller(api: Api, shop_data: ShopData, db: Database, first: date, last: date) -> dict[str, Any]:
    """The product that sold most in the range, as the profit API lists it."""
    rows = api.ok(f"/api/profit/products?date_from={first}&date_to={last}&sort=-revenue&limit=1")["items"]
    assert rows, "the shop sold something in the range"
    return dict(rows[0])


def product_row(api: Api, ident: int, first: date, last: date) -> dict[str, Any]:
    rows = api.ok(f"/api/profit/products?date_from={first}&date_to={last}&limit=200")["items"]
    return next((row for row in rows if row["product_id"] == ident), {"units": 0, "cogs": "0.00"})


def shop_goods_revenue(shop_data: ShopData, first: date, last: date) -> Decimal:
    """What the shop's own orders say was sold in the range: independent of our tables."""
    return sum(
        (
            Decimal(item["price"]) * item["quantity"]
            for order in shop_data.orders
            if order["status"] not in NOT_SALES and first <= shop_day(order["created_at"]) <= last
            for item in order["order_items"]
        ),
        Decimal(0),
    )


def test_a_cost_change_leaves_past_profit_and_new_orders_take_the_new_cost(
    api: Api, db: Database, shop_data: ShopData
):
    last_month = (today() - timedelta(days=40), today() - timedelta(days=10))
    seller = best_seller(api, shop_data, db, *last_month)
    ident = seller["product_id"]
    backdate_cost(db, ident, "100.00", days_ago=400)
    before = api.ok(f"/api/profit?date_from={last_month[0]}&date_to={last_month[1]}&group=week")
    row = product_row(api, ident, *last_month)
    assert Decimal(row["cogs"]) == row["units"] * Decimal(100) and Decimal(row["uncosted_revenue"]) == 0

    # The cost changes now: what was sold before keeps the cost it was sold at.
    assert api.send("PUT", f"/api/products/{ident}/cost", {"cost": "150.00"})[0] == 200
    assert api.ok(f"/api/profit?date_from={last_month[0]}&date_to={last_month[1]}&group=week") == before
    todays = product_row(api, ident, today(), today())

    # Two orders of it come in after the change, 3 units: at the new cost.
    external = db.run("SELECT external_id FROM products WHERE id = :id", id=ident)[0][0]
    name, price = next((p["name"], p["price"]) for p in shop_data.products if p["id"] == external)
    for order in shop_data.add_orders(2, at=datetime.now(MOSCOW) + timedelta(seconds=2)):
        quantity = 1 if order["id"] % 2 else 2
        total = str(Decimal(price) * quantity)
        items = [{"name": name, "quantity": quantity, "price": price}]
        shop_data.set_order(order["id"], status="paid", order_items=items, total_amount=total)
    assert api.send("POST", "/api/sync-all")[0] == 200
    after = product_row(api, ident, today(), today())
    assert after["units"] - todays["units"] == 3
    assert Decimal(after["cogs"]) - Decimal(todays["cogs"]) == 3 * Decimal(150)
    assert api.ok(f"/api/profit?date_from={last_month[0]}&date_to={last_month[1]}&group=week") == before
    # The same from a rebuild of the per-day tables from every order (a migration does it): the
    # figures come from the history of costs, not from what was stored when.
    rebuild(db)
    assert api.ok(f"/api/profit?date_from={last_month[0]}&date_to={last_month[1]}&group=week") == before
    assert product_row(api, ident, today(), today()) == after


def test_revenue_of_no_known_cost_is_a_share_never_cost_zero(api: Api, db: Database, shop_data: ShopData):
    first, last = today() - timedelta(days=60), today()
    seller = best_seller(api, shop_data, db, first, last)
    backdate_cost(db, seller["product_id"], "250.00", days_ago=400)
    report = api.ok(f"/api/profit?date_from={first}&date_to={last}")
    totals = report["totals"]
    # Revenue is what the shop's own orders sold; only the one product has a cost.
    revenue = Decimal(totals["revenue"])
    assert revenue == shop_goods_revenue(shop_data, first, last)
    seller = product_row(api, seller["product_id"], first, last)
    costed, cogs = Decimal(seller["revenue"]), Decimal(seller["cogs"])
    assert (Decimal(totals["costed_revenue"]), Decimal(totals["cogs"])) == (costed, cogs)
    assert Decimal(totals["uncosted_revenue"]) == revenue - costed
    share = (100 * (revenue - costed) / revenue).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    assert Decimal(totals["uncosted_share"]) == share
    # Profit and margin are those of the goods whose cost is known.
    assert Decimal(totals["gross_profit"]) == costed - cogs
    margin = (100 * (costed - cogs) / costed).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    assert Decimal(totals["margin"]) == margin
    # A product without a cost: all of its revenue is uncosted, its margin unknown.
    other = next(
        row
        for row in api.ok(f"/api/profit/products?date_from={first}&date_to={last}&limit=200")["items"]
        if row["product_id"] != seller["product_id"]
    )
    assert (other["uncosted_share"], other["cogs"], other["gross_profit"], other["margin"]) == (
        "100.0", "0.00", "0.00", None
    )  # fmt: skip


def test_periods_products_and_categories_add_up_to_the_same_totals(
    api: Api, db: Database, shop_data: ShopData
):
    first, last = today() - timedelta(days=364), today()
    for rank, row in enumerate(
        api.ok("/api/profit/products?sort=-revenue&limit=5&date_from=2020-01-01")["items"]
    ):
        backdate_cost(db, row["product_id"], f"{100 + 10 * rank}.00", days_ago=30 * rank + 1)
    months = api.ok(f"/api/profit?date_from={first}&date_to={last}&group=month")
    periods = months["periods"]
    assert (
        len(periods) in (12, 13)
        and periods[0]["first_day"] == str(first)
        and periods[-1]["last_day"] == str(last)
    )
    assert all(date.fromisoformat(p["start"]).day == 1 for p in periods)
    for key in ("revenue", "cogs", "uncosted_revenue", "gross_profit"):
        assert sum(Decimal(p[key]) for p in periods) == Decimal(months["totals"][key]), key
    days = api.ok(f"/api/profit?date_from={first}&date_to={last}&group=day")
    assert len(days["periods"]) == 365 and days["totals"] == months["totals"]
    weeks = api.ok(f"/api/profit?date_from={first}&date_to={last}&group=week")
    assert all(date.fromisoformat(p["start"]).weekday() == 0 for p in weeks["periods"])
    assert weeks["totals"] == months["totals"]

    products = api.ok(f"/api/profit/products?date_from={first}&date_to={last}&limit=200")
    categories = api.ok(f"/api/profit/categories?date_from={first}&date_to={last}")
    by_category: dict[Any, Decimal] = defaultdict(Decimal)
    for row in products["items"]:
        by_category[row["category"]] += Decimal(row["revenue"])
    assert {row["category"]: Decimal(row["revenue"]) for row in categories["items"]} == by_category
    for key in ("revenue", "cogs", "uncosted_revenue"):
        parts = sum(Decimal(row[key]) for row in categories["items"]) + Decimal(categories["unmatched"][key])
        assert parts == Decimal(months["totals"][key]), key
        products_sum = sum(Decimal(row[key]) for row in products["items"])
        assert products_sum == Decimal(products["totals"][key]), key
    assert products["unmatched"] == categories["unmatched"]
    profits = [Decimal(row["gross_profit"]) for row in products["items"]]
    assert profits == sorted(profits, reverse=True)  # the most profitable first

    # Whole months come from the month sums, the ends from the days: ranges inside one month, of
    # exactly one month, across the end of one, and over a year add up the same as the periods.
    month_start = (today() - timedelta(days=70)).replace(day=1)
    month_end = (month_start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    for start, end in (
        (month_start + timedelta(days=3), month_start + timedelta(days=12)),
        (month_start, month_end),
        (month_start + timedelta(days=9), month_end + timedelta(days=9)),
        (first, last),
    ):
        span = f"date_from={start}&date_to={end}"
        total = api.ok(f"/api/profit?{span}&group=month")["totals"]
        sold = api.ok(f"/api/profit/products?{span}&limit=200")
        for key in ("revenue", "cogs", "uncosted_revenue"):
            parts = sum(Decimal(row[key]) for row in sold["items"]) + Decimal(sold["unmatched"][key])
            assert (
                parts == Decimal(total[key]) == Decimal(sold["totals"][key]) + Decimal(sold["unmatched"][key])
            )


def test_the_range_defaults_to_the_last_30_days_and_bad_queries_are_refused(api: Api):
    report = api.ok("/api/profit")
    assert (report["date_from"], report["date_to"]) == (str(today() - timedelta(days=29)), str(today()))
    assert len(report["periods"]) == 30 and report["group"] == "day"
    for bad in (
        "group=year",
        "date_from=2026-02-01&date_to=2026-01-01",
        "date_from=2000-01-01&date_to=2026-01-01",
        "date_from=01.02.2026",
    ):
        status, body = api.get(f"/api/profit?{bad}")
        assert status == 400 and body["error"]["code"] == "validation_error", (bad, body)
    status, body = api.get("/api/profit?date_from=2000-01-01&date_to=2026-01-01")
    assert [(d["type"], d["limit"]) for d in body["error"]["details"]] == [("range_too_long", "3660")]
    for bad in ("sort=cost", "limit=0"):
        status, body = api.get(f"/api/profit/products?{bad}")
        assert status == 400, (bad, body)


def test_the_worked_example_of_the_reference(api: Api, db: Database, shop_data: ShopData):
    """docs/api.md, "Profit": A at 600,00 until 12:00 and 650,00 since, sold at 10:00 and 15:00; B of
    no cost."""
    day = today() - timedelta(days=700)  # before the shop's other orders
    assert api.ok(f"/api/profit?date_from={day}&date_to={day}")["totals"]["revenue"] == "0.00"
    a, b = shop_data.real_products()[:2]
    ident = db.run("SELECT id FROM products WHERE external_id = :e", e=a["id"])[0][0]
    noon = datetime.combine(day, datetime.min.time(), MOSCOW) + timedelta(hours=12)
    for cost, since in (("600.00", noon - timedelta(days=30)), ("650.00", noon)):
        db.run(
            """INSERT INTO staff_edits (entity, entity_id, field, new_value, edited_by, edited_at)
               VALUES ('product', :id, 'cost', to_jsonb(CAST(:cost AS text)), 'anna', :at)""",
            id=ident, cost=cost, at=since,
        )  # fmt: skip
    for hour, items in (
        (10, [{"name": a["name"], "quantity": 1, "price": "1000.00"}]),
        (
            15,
            [
                {"name": a["name"], "quantity": 1, "price": "1000.00"},
                {"name": b["name"], "quantity": 1, "price": "500.00"},
            ],
        ),
    ):
        (order,) = shop_data.add_orders(1, at=noon + timedelta(hours=hour - 12))
        total = str(sum(Decimal(i["price"]) * i["quantity"] for i in items))
        shop_data.set_order(order["id"], status="delivered", order_items=items, total_amount=total)
    assert api.send("POST", "/api/sync-all")[0] == 200
    totals = api.ok(f"/api/profit?date_from={day}&date_to={day}")["totals"]
    assert totals == {
        "revenue": "2500.00", "uncosted_revenue": "500.00", "uncosted_share": "20.0",
        "costed_revenue": "2000.00", "cogs": "1250.00", "gross_profit": "750.00", "margin": "37.5",
    }  # fmt: skip
