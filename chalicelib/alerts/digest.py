"""The morning digest (issue "Tell the staff where they are", item 2): one message a day at a
shop-local time (DIGEST_AT, 09:00 by default, in STRATTERA_TIMEZONE).

It says the products running out (critical or warning: days of stock left, delivery days and the
recommended quantity, most urgent first, as the purchasing list has them), the sync's state, and
yesterday's orders and revenue (as GET /api/orders/stats counts them). With nothing to say (no
product at risk, the sync fine) it is one line, or nothing (DIGEST_WHEN_QUIET=none).

The schedule looks every 15 minutes (an EventBridge rule runs in UTC; the shop's clock moves with
daylight saving): the first look in the three hours from DIGEST_AT sends it, once a day
(digests_sent). A digest no chat took is tried again at the next look.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.alerts.delivery import Delivery
from chalicelib.alerts.links import Links
from chalicelib.alerts.texts import Html, Texts
from chalicelib.db import Database
from chalicelib.stores import alerts, purchasing, read_one_snapshot, runs
from chalicelib.stores import orders as order_store
from chalicelib.stores.analytics import NOT_SALES
from chalicelib.telegram import fit

log = logging.getLogger(__name__)

SEND_WITHIN = timedelta(hours=3)  # past this, a missed morning's digest is not worth sending
MARKS = {"critical": "🔴", "warning": "🟡"}


class Digest:
    def __init__(
        self, db: Database, delivery: Delivery, texts: Texts, links: Links, *, at: time, when_quiet: str
    ) -> None:
        self._db = db
        self._delivery = delivery
        self._texts = texts
        self._links = links
        self.at = at
        self._when_quiet = when_quiet

    def due(self, now: datetime) -> date | None:
        """The shop-local day whose digest is due at `now`, or None."""
        local = now.astimezone(self._texts.zone)
        start = datetime.combine(local.date(), self.at, tzinfo=self._texts.zone)
        return local.date() if start <= local < start + SEND_WITHIN else None

    def on_schedule(self, now: datetime | None = None) -> dict[str, Any]:
        """The schedule's look: send the day's digest when it is due and not sent yet."""
        now = now or datetime.now(UTC)
        day = self.due(now)
        if day is None:
            return {"action": "not-due"}
        with self._db.transaction() as conn:
            mine = alerts.claim_digest(conn, day)
        if not mine:
            return {"action": "already-sent", "day": day.isoformat()}
        result = self.send(now)
        with self._db.transaction() as conn:
            alerts.digest_sent(conn, day, chats=result["chats"])
        return result

    def send(self, now: datetime | None = None) -> dict[str, Any]:
        """Compose and send the digest for `now`'s day, due or not (the console function's `digest`)."""
        now = now or datetime.now(UTC)
        text = self.text(now)
        if text is None:
            return {"action": "quiet", "chats": 0, "day": now.astimezone(self._texts.zone).date().isoformat()}
        sent = self._delivery.send(text, what="digest", silent=True)
        return {
            "action": "sent",
            "chats": len(sent),
            "day": now.astimezone(self._texts.zone).date().isoformat(),
        }

    def text(self, now: datetime) -> str | None:
        t = self._texts
        yesterday = now.astimezone(t.zone).date() - timedelta(days=1)
        with self._db.transaction() as conn:
            read_one_snapshot(conn)
            at_risk = purchasing.at_risk(conn)
            latest = runs.latest_runs(conn)
            stats = order_store.stats(
                conn, date_from=yesterday, date_to=yesterday, tz=t.zone.key, not_sales=list(NOT_SALES)
            )
        sold_orders = t.count(stats["total_orders"], "order")
        revenue = t.money(Decimal(stats["total_revenue"]))
        sold = t.say("digest.yesterday", orders=sold_orders, revenue=revenue)
        problems = []
        for resource in ("orders", "products"):
            success = latest.get(resource, {}).get("last_success")
            if runs.is_stale(success, now):
                age = t.duration(now - success["finished_at"]) if success else t.say("data.never")
                name = t.say(f"digest.sync.{resource}")
                problems.append(t.say("digest.sync.stale", resource=name, age=Html(age)))
        if not at_risk and not problems:
            if self._when_quiet == "none":
                return None
            return "☀️ " + t.say("digest.quiet", day=t.day(now), orders=sold_orders, revenue=revenue)
        if problems:
            sync = "⚠️ " + t.say("digest.sync.bad", problems=Html("; ".join(problems)))
        else:
            ages = {
                r: Html(t.duration(now - latest[r]["last_success"]["finished_at"]))
                for r in ("orders", "products")
            }
            sync = t.say("digest.sync.ok", **ages)
        lines = [f"☀️ <b>{t.say('digest.title', day=t.day(now))}</b>", sync, sold]
        if at_risk:
            counts = {s: sum(1 for p in at_risk if p["stock_status"] == s) for s in ("critical", "warning")}
            lines.append(f"<b>{t.say('digest.risk', **counts)}</b>")
            lines += [self.product_line(p) for p in at_risk]
        lines.append(self._links.purchasing() if at_risk else self._links.overview())
        return fit([line for line in lines if line], self._links.console())

    def product_line(self, p: dict[str, Any]) -> str:
        t = self._texts
        mark = MARKS[p["stock_status"]]
        qty = t.number(p["recommended_qty"] or 0)
        if p["days_to_zero"] is None:
            return t.say(
                "digest.line.unknown", mark=mark, name=p["name"], stock=t.number(p["stock_quantity"]), qty=qty
            )
        return t.say(
            "digest.line",
            mark=mark,
            name=p["name"],
            days=Html(t.say("days", n=t.number(p["days_to_zero"]))),
            delivery=Html(t.say("days", n=t.number(p["delivery_days"]))),
            qty=qty,
        )
