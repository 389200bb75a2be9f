"""An alarm's state changes as one Telegram message per incident (issue "Tell the staff where they
are", item 1).

ALARM: one message to each chat, saying what is wrong, since when, how old the console's data is,
and a link to the page that helps; its message ids are kept (alert_incidents). OK: each of those
messages is edited to say it recovered and when, with a short reply sent silently. A chat whose
first message did not get through is told of the recovery in a new silent message.
INSUFFICIENT_DATA says nothing (the stack's alarms send nothing for it either).

Each state change is taken once (alarm_state_changes): SNS delivers at least once, and a repeat,
even one arriving at the same moment, finds it taken and sends nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from chalicelib.alerts.alarm import AlarmChange
from chalicelib.alerts.delivery import Delivery
from chalicelib.alerts.links import Links
from chalicelib.alerts.texts import Html, Texts
from chalicelib.db import Database
from chalicelib.stores import alerts, held_deletions, runs
from chalicelib.telegram import escape

log = logging.getLogger(__name__)


class Incidents:
    def __init__(self, db: Database, delivery: Delivery, texts: Texts, links: Links) -> None:
        self._db = db
        self._delivery = delivery
        self._texts = texts
        self._links = links

    def on_alarm(self, change: AlarmChange, *, now: datetime | None = None) -> dict[str, Any]:
        """Say `change` to the chats; what was done, for the function's answer and the log."""
        done = {"alarm": change.name, "state": change.state}
        if change.state == "INSUFFICIENT_DATA":
            return {**done, "action": "none"}
        with self._db.transaction() as conn:
            first = alerts.claim_state_change(
                conn, alarm=change.name, state=change.state, changed_at=change.changed_at
            )
        if not first:
            log.info("alert: a repeated delivery, already said", extra={"event": "alert_repeat", **done})
            return {**done, "action": "repeat"}
        if change.state == "ALARM":
            return {**done, **self._open(change, now or datetime.now(UTC))}
        return {**done, **self._close(change)}

    def _open(self, change: AlarmChange, now: datetime) -> dict[str, Any]:
        text = self.incident_text(change, now)
        sent = self._delivery.send(text, what="incident")
        with self._db.transaction() as conn:
            incident = alerts.open_incident(
                conn, alarm=change.name, started_at=change.changed_at, messages=sent
            )
        return {"action": "sent", "incident": incident, "chats": len(sent)}

    def _close(self, change: AlarmChange) -> dict[str, Any]:
        with self._db.transaction() as conn:
            closed = alerts.close_incidents(conn, alarm=change.name, recovered_at=change.changed_at)
        if not closed:  # OK after INSUFFICIENT_DATA (a new stack), or after an ALARM said by no one
            return {"action": "none"}
        say = self._texts.say
        edited = 0
        for incident in closed:
            text = self.recovered_text(change, incident["started_at"])
            reply = say("recovered.reply", time=self._texts.clock(change.changed_at))
            for chat in self._delivery.chats:
                message_id = incident["messages"].get(chat)
                if message_id is None:
                    self._delivery.send_to(chat, text, what="recovery", silent=True)
                elif self._delivery.edit(chat, message_id, text, what="recovery"):
                    edited += 1
                    self._delivery.reply(chat, message_id, reply, what="recovery")
        return {"action": "edited", "incidents": [i["id"] for i in closed], "messages": edited}

    # -- the texts ---------------------------------------------------------------------------------

    def title(self, change: AlarmChange) -> str:
        resource = self._texts.say(f"{change.resource}.of") if change.resource else ""
        return self._texts.say(f"title.{change.kind}", resource=Html(resource), alarm=change.name)

    def incident_text(self, change: AlarmChange, now: datetime) -> str:
        t = self._texts
        with self._db.transaction() as conn:
            latest = runs.latest_runs(conn)
            newest = runs.newest_data(conn)
            held = (  # read only for the alarm that says it
                {row["resource"]: row["held"] for row in held_deletions.summary(conn)}
                if change.kind == "deletions-held"
                else {}
            )
        last_run = latest.get(change.resource or "", {}).get("last_run")
        lines = [f"🔴 <b>{self.title(change)}</b>", t.say("since", time=t.time(change.changed_at))]
        if change.kind == "sync-failed":
            if last_run and last_run["status"] == "failed":
                error = t.run_error(last_run["error_code"], last_run["error"])
                lines.append(t.say("why.sync-failed", run=last_run["id"], error=error))
            else:
                lines.append(t.say("why.sync-failed.unknown"))
        elif change.kind == "deletions-held":
            lines.append(t.say("why.deletions-held", count=t.count(held.get(change.resource, 0), "record")))
        elif change.kind == "other":
            lines.append(escape(change.description or change.reason))
        else:
            lines.append(t.say(f"why.{change.kind}"))
        about = () if change.kind == "telegram-delivery-failed" else ("orders", "products")
        for resource in (change.resource,) if change.resource else about:
            success = latest.get(resource, {}).get("last_success")
            lines.append(
                t.say(
                    f"data.{resource}",
                    synced=Html(t.ago(success["finished_at"] if success else None, now)),
                    newest=Html(t.ago(newest[resource], now)),
                )
            )
        if change.kind in ("sync-failed", "shape-drift") and last_run:
            lines.append(self._links.run(last_run["id"]))
        else:
            lines.append(self._links.overview())
        return "\n".join(line for line in lines if line)

    def recovered_text(self, change: AlarmChange, started_at: datetime) -> str:
        t = self._texts
        span = t.say(
            "recovered.span",
            started=t.time(started_at),
            recovered=t.time(change.changed_at)
            if t.day(change.changed_at) != t.day(started_at)
            else t.clock(change.changed_at),
            duration=Html(t.duration(change.changed_at - started_at)),
        )
        title = t.say("recovered.title", title=Html(self.title(change)))
        return "\n".join(line for line in (f"✅ <b>{title}</b>", span, self._links.overview()) if line)
