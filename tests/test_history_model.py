"""Timelines against a model: random shop changes and staff edits over many sync runs, with an
independent model of what each order must be and what its timeline must say, checked after every
run. Through the HTTP API, against a real Postgres and the fake shop over HTTP."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from chalicelib.db import Database
from devtools.fake_shop import FakeShop
from tests.test_api import ADMIN, Api, api, order_id
from tests.test_deletion_guard import sync_orders

__all__ = ["api"]  # the fixture (synced once), imported for the tests below

STATUSES = ("unpaid", "paid", "processing", "shipped", "delivered", "cancelled")
SHOP_VALUES = {"status": STATUSES, "bank_card": ("*1111", "*2222", "*3333")}  # what the shop changes


@dataclass
class Modelled:
    """What one order must be, kept apart from the service: the shop's record of it (a copy, changed as
    the shop's is), the staff's status, and its timeline oldest first, each event as (source, kind,
    {field: [old, new]})."""

    record: dict[str, Any]
    listed: bool = True
    staff_status: str | None = None
    events: list[tuple[str, str, dict[str, list[Any]]]] = field(default_factory=list)


def seen(api: Api, ident: int) -> list[tuple[str, str, dict[str, list[Any]]]]:
    """The service's timeline of the order, oldest first, staff events by field and new value only
    (their `old` is what the service had: not the model's business)."""
    page = api.ok(f"/api/orders/{ident}/history?limit=200")
    assert page["total"] == len(page["items"])
    events = []
    for event in reversed(page["items"]):
        changes = {c["field"]: [c["old"], c["new"]] for c in event["changes"]}
        if event["source"] == "staff":
            changes = {name: [None, new] for name, (_, new) in changes.items()}
        events.append((event["source"], event["kind"], changes))
    return events


def test_timelines_follow_a_model_over_many_runs(api: Api, db: Database, shop: FakeShop):
    rng = random.Random(20261207)  # noqa: S311 (a fixed seed: the same runs every time)
    orders = shop.data.orders[:15]
    model = {o["id"]: Modelled(dict(o), events=[("shop", "created", {})]) for o in orders}
    idents = {ext: order_id(db, ext) for ext in model}

    for cycle in range(30):
        # One action for each of a few orders (two on one order in a run would be one shop event).
        for ext in rng.sample(sorted(model), 5):
            m, ident = model[ext], idents[ext]
            if not m.listed:
                shop.data.restore_order(m.record)  # as it was when it went
                m.listed = True
                m.events.append(("shop", "restored", {}))
                continue
            action = rng.choice(("status", "bank_card", "staff", "revert", "delete"))
            if action in SHOP_VALUES:
                old = m.record[action]
                new = rng.choice([value for value in SHOP_VALUES[action] if value != old])
                shop.data.set_order(ext, **{action: new})
                m.record[action] = new
                m.events.append(("shop", "changed", {action: [old, new]}))
            elif action == "staff":
                new = rng.choice([s for s in STATUSES if s != (m.staff_status or m.record["status"])])
                status, body = api.send("PUT", f"/api/orders/{ident}/status", {"status": new})
                assert status == 200, body
                m.staff_status = new
                m.events.append(("staff", "edited", {"status": [None, new]}))
            elif action == "revert" and m.staff_status is not None:
                status, body = api.send("DELETE", f"/api/orders/{ident}/overrides/status", headers=ADMIN)
                assert status == 200, body
                m.staff_status = None
                m.events.append(("staff", "reverted", {"status": [None, None]}))
            elif action == "delete":
                shop.data.delete_orders([ext])
                m.listed = False
                m.events.append(("shop", "deleted", {}))
        run = sync_orders(api)
        assert run["status"] == "succeeded", (cycle, run)

        for ext, m in model.items():
            ident = idents[ext]
            assert seen(api, ident) == m.events, (cycle, ext)
            order = api.ok(f"/api/orders/{ident}")
            shop_status = m.record["status"]
            assert order["status"] == (m.staff_status or shop_status), (cycle, ext)
            assert order["upstream_status"] == shop_status, (cycle, ext)
            assert (order["deleted_upstream_at"] is None) == m.listed, (cycle, ext)
            assert order["bank_card"] == m.record["bank_card"], (cycle, ext)

    # Every kind of event happened (the seed exercised the whole model), on every order.
    kinds = {kind for m in model.values() for _, kind, _ in m.events}
    assert kinds == {"created", "changed", "deleted", "restored", "edited", "reverted"}
    assert all(len(m.events) > 3 for m in model.values())
    # A run with nothing changed adds nothing to any timeline.
    sync_orders(api)
    assert all(seen(api, idents[ext]) == m.events for ext, m in model.items())
