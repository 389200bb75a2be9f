"""The purchasing list (GET /api/purchasing) against a real, synced database: who is on it, in which
order, and what the order costs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib.db import Database
from devtools.shop_data import ShopData
from tests.test_api import Api, api, product_id

__all__ = ["api"]  # the fixture, imported for the tests below

STATUS_RANK = {"critical": 0, "warning": 1, "normal": 2}


def all_products(api: Api) -> list[dict[str, Any]]:
    return list(api.ok("/api/products?limit=200")["items"])


def expected_lines(products: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The list as the issue words it, from the products API: every listed, shown product whose
    recommended quantity is above zero or whose stock is critical or warning, the one that runs out
    soonest against its delivery time first."""
    wanted = [
        p
        for p in products
        if not p["is_hidden"]
        and p["deleted_upstream_at"] is None
        and (p["analytics"]["recommended_qty"] > 0 or p["analytics"]["stock_status"] != "normal")
    ]

    def urgency(p: dict[str, Any]) -> tuple[Any, ...]:
        a = p["analytics"]
        spare = None if a["days_to_zero"] is None else a["days_to_zero"] - a["delivery_days"]
        return (spare is None, spare or 0, STATUS_RANK[a["stock_status"]], -a["recommended_qty"], p["id"])

    return sorted(wanted, key=urgency)


def test_the_list_holds_what_needs_ordering_most_urgent_first_with_exact_totals(
    api: Api, db: Database, shop_data: ShopData
):
    first, hidden, costed = (product_id(db, p["id"]) for p in shop_data.real_products()[:3])
    # Out of stock, 5 a day, 60 days to deliver: it runs out 60 days before a delivery could come.
    api.send("PUT", f"/api/products/{first}/stock", {"stock_quantity": 0})
    api.send("PUT", f"/api/products/{first}/analytics", {"avg_daily_sales_30d": "5", "delivery_days": 60})
    api.send("PUT", f"/api/products/{first}/cost", {"cost": "123.45"})
    # On the list by its stock, but hidden from the shop: not to be ordered.
    api.send("PUT", f"/api/products/{hidden}/analytics", {"min_stock": 1_000})
    api.send("PUT", f"/api/products/{hidden}/visibility", {"hidden": True})
    # The staff's own quantity counts.
    api.send("PUT", f"/api/products/{costed}/analytics", {"recommended_qty": 7, "min_stock": 1_000})
    api.send("PUT", f"/api/products/{costed}/cost", {"cost": "10.01"})

    listing = api.ok("/api/purchasing")
    lines, totals = listing["items"], listing["totals"]
    expected = expected_lines(all_products(api))
    assert [line["product_id"] for line in lines] == [p["id"] for p in expected]
    assert lines[0]["product_id"] == first and hidden not in {line["product_id"] for line in lines}

    top = lines[0]
    facts = (top["stock_quantity"], top["days_to_zero"], top["delivery_days"], top["days_to_spare"])
    assert facts == (0, 0, 60, -60)
    assert top["recommended_qty"] == 5 * (60 + 30) + top["recommendation"]["safety_stock"]
    assert Decimal(top["line_cost"]) == top["recommended_qty"] * Decimal("123.45")
    mine = next(line for line in lines if line["product_id"] == costed)
    assert (mine["recommended_qty"], mine["recommended_overridden"], mine["line_cost"]) == (7, True, "70.07")

    by_id = {p["id"]: p for p in expected}
    for line in lines:  # each line's figures are the product's own
        a = by_id[line["product_id"]]["analytics"]
        assert (line["recommended_qty"], line["in_transit"], line["stock_status"]) == (
            a["recommended_qty"], a["in_transit"], a["stock_status"]
        )  # fmt: skip
        assert Decimal(line["demand"]) == Decimal(a["avg_daily_sales_30d"])
    assert totals["lines"] == len(lines)
    assert totals["units"] == sum(line["recommended_qty"] for line in lines)
    assert Decimal(totals["cost"]) == sum(Decimal(line["line_cost"]) for line in lines if line["line_cost"])
    uncosted = [line for line in lines if line["cost"] is None and line["recommended_qty"]]
    assert totals["lines_without_cost"] == len(uncosted)


def test_a_page_of_the_list_keeps_the_totals_of_all_of_it(api: Api, db: Database, shop_data: ShopData):
    for product in shop_data.real_products()[:5]:
        api.send("PUT", f"/api/products/{product_id(db, product['id'])}/analytics", {"min_stock": 1_000})
    whole = api.ok("/api/purchasing")
    assert whole["totals"]["lines"] >= 5
    page = api.ok("/api/purchasing?limit=2&offset=1")
    assert page["totals"] == whole["totals"]
    ids = [line["product_id"] for line in page["items"]]
    assert ids == [line["product_id"] for line in whole["items"][1:3]]


def test_a_category_narrows_the_list_and_bad_queries_are_refused(api: Api, db: Database, shop_data: ShopData):
    product = shop_data.real_products()[0]
    ident = product_id(db, product["id"])
    api.send("PUT", f"/api/products/{ident}/analytics", {"min_stock": 1_000})
    category = api.ok(f"/api/products/{ident}")["category"]
    narrowed = api.ok(f"/api/purchasing?category={category}")["items"]
    assert ident in {line["product_id"] for line in narrowed}
    assert {line["category"] for line in narrowed} == {category}
    for bad in ("limit=0", "limit=2001", "offset=-1", "sort=name"):
        status, body = api.get(f"/api/purchasing?{bad}")
        assert status == 400 and body["error"]["code"] == "validation_error", (bad, body)
