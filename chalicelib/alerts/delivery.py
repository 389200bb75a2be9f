"""One message to every configured chat, and what became of it in each.

A chat that could not be reached (Telegram down past the call's budget, the bot removed from the
chat) is a failed delivery: logged with a `TelegramDeliveryFailed` metric (embedded metric format,
as the sync's metrics), never an exception out of the function. Without a bot token or a chat the
delivery is off: nothing is sent, and the caller's one log line says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from chalicelib.errors import ConfigError, TelegramError
from chalicelib.logs import embedded_metrics
from chalicelib.telegram import TelegramClient

log = logging.getLogger(__name__)


class Delivery:
    def __init__(self, client: TelegramClient | None, chats: list[str]) -> None:
        """`client` None: delivery is off (no token configured)."""
        self._client = client
        self.chats = chats if client is not None else []

    @property
    def on(self) -> bool:
        return bool(self.chats)

    def send(self, text: str, *, what: str, silent: bool = False) -> dict[str, int]:
        """`text` to every chat; {chat: message id} of those that took it."""
        sent: dict[str, int] = {}
        for chat in self.chats:
            if (message_id := self.send_to(chat, text, what=what, silent=silent)) is not None:
                sent[chat] = message_id
        return sent

    def send_to(self, chat: str, text: str, *, what: str, silent: bool = False) -> int | None:
        """`text` to one chat; its message id, or None when it did not get through."""
        return self._attempt(what, chat, lambda: self._client_of().send(chat, text, silent=silent))

    def edit(self, chat: str, message_id: int, text: str, *, what: str) -> bool:
        def edit() -> int:
            self._client_of().edit(chat, message_id, text)
            return message_id

        return self._attempt(what, chat, edit) is not None

    def reply(self, chat: str, message_id: int, text: str, *, what: str) -> bool:
        """A short answer to `message_id`, without a sound (`disable_notification`)."""
        send = self._client_of().send
        return (
            self._attempt(what, chat, lambda: send(chat, text, silent=True, reply_to=message_id)) is not None
        )

    def _client_of(self) -> TelegramClient:
        assert self._client is not None, "delivery is off: no chat to send to"
        return self._client

    def _attempt(self, what: str, chat: str, call: Callable[[], int]) -> int | None:
        try:
            result = call()
        except (TelegramError, ConfigError) as exc:  # ConfigError: the token's secret could not be read
            log.error(
                "telegram: delivery failed",
                extra={"event": "telegram_delivery_failed", "what": what, "chat": chat, "error": exc.message,
                       **failed_metric()},
            )  # fmt: skip
            return None
        log.info("telegram: delivered", extra={"event": "telegram_delivered", "what": what, "chat": chat})
        return result


def failed_metric() -> dict[str, Any]:
    """`TelegramDeliveryFailed` = 1 (no dimension: one count, whatever failed)."""
    return embedded_metrics({"TelegramDeliveryFailed": 1.0})
