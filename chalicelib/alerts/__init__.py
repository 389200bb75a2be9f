"""Telegram alerts: the stack's alarms as one message per incident, and the morning stock digest
(docs/telegram.md). `Alerts` is what the three functions in app.py call; everything is optional:
without a bot token and a chat, each logs that delivery is off and does nothing else.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from chalicelib.alerts.alarm import AlarmChange
from chalicelib.alerts.delivery import Delivery
from chalicelib.alerts.digest import Digest
from chalicelib.alerts.incidents import Incidents
from chalicelib.alerts.links import Links
from chalicelib.alerts.texts import Texts
from chalicelib.errors import InvalidInputError
from chalicelib.problems import validated

__all__ = ["Alerts", "Delivery", "Digest", "Incidents", "Links", "SendRequest", "Texts"]

log = logging.getLogger(__name__)

OFF = (
    "telegram: delivery is off (set TELEGRAM_BOT_TOKEN_SECRET_ID and TELEGRAM_CHAT_IDS to send; "
    "docs/telegram.md)"
)


class SendRequest(BaseModel):
    """The `telegram` console function's payload: `{"send": "test"}` (the default) or `{"send": "digest"}`."""

    model_config = ConfigDict(extra="forbid")

    send: Literal["test", "digest"] = "test"

    @classmethod
    def parse(cls, event: Any) -> SendRequest:
        return validated(cls, event or {}, what="telegram payload")


class Alerts:
    def __init__(self, delivery: Delivery, incidents: Incidents, digest: Digest, texts: Texts) -> None:
        self.delivery = delivery
        self.incidents = incidents
        self.digest = digest
        self._texts = texts

    def on_sns(self, message: str, *, now: datetime | None = None) -> dict[str, Any]:
        """An SNS notification's `Message`: said when it is an alarm's state change; a message that is
        not one is logged and dropped (retrying it would not make it one)."""
        if not self.delivery.on:
            return self._off()
        try:
            change = AlarmChange.from_sns(message)
        except InvalidInputError as exc:
            log.warning(
                "alert: not an alarm state change", extra={"event": "alert_ignored", "error": exc.message}
            )
            return {"action": "ignored", "error": exc.message}
        done = self.incidents.on_alarm(change, now=now)
        log.info("alert: done", extra={"event": "alert", **done})
        return done

    def on_schedule(self, now: datetime | None = None) -> dict[str, Any]:
        if not self.delivery.on:
            return self._off()
        done = self.digest.on_schedule(now)
        if done["action"] != "not-due":
            log.info("digest: done", extra={"event": "digest", **done})
        return done

    def on_request(self, request: SendRequest) -> dict[str, Any]:
        """The console function: a test message to every chat, or the digest now."""
        if not self.delivery.on:
            return {**self._off(), "message": OFF}  # said to whoever ran it in the console
        if request.send == "digest":
            return self.digest.send()
        text = "✅ " + self._texts.say("test", time=f"{self.digest.at:%H:%M}")
        sent = self.delivery.send(text, what="test")
        return {
            "action": "sent",
            "chats": len(sent),
            "failed": [c for c in self.delivery.chats if c not in sent],
        }

    def _off(self) -> dict[str, Any]:
        """Delivery is off: the function's one log line, and its answer."""
        log.info(OFF, extra={"event": "telegram_off"})
        return {"action": "off"}
