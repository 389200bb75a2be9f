"""A Telegram Bot API client for the service's messages: `sendMessage` and `editMessageText` with
`parse_mode=HTML`, within Telegram's limits (issue "Tell the staff where they are", item 3).

- A 429's `parameters.retry_after` is waited out; a 5xx or a connection error is tried again with a
  growing pause; all of it within the call's time budget, after which `TelegramError` says so. Never
  an unhandled error for a Bot API that is down: the caller logs a failed delivery and goes on.
- At most one message a second to a chat, and 20 a minute to a group (a negative chat id), as
  Telegram asks of bots; the pause counts against the budget.
- Every dynamic value goes through `escape`; a message is `fit` to 4,096 characters by whole lines,
  with a last line that links to where the rest is.
- The bot token is part of the URL path: it never appears in a message, an error or a log line.
"""

from __future__ import annotations

import html
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error

from chalicelib.errors import TelegramError

log = logging.getLogger(__name__)

API_URL = "https://api.telegram.org"
MAX_TEXT = 4096
PER_CHAT_S = 1.0  # between two messages to one chat
GROUP_PER_MINUTE = 20


def escape(value: Any) -> str:
    """A value for a message in `parse_mode=HTML`: `<`, `>`, `&` and quotes as entities."""
    return html.escape(str(value), quote=True)


def fit(lines: Sequence[str], more: str) -> str:
    """`lines` (each valid HTML on its own) joined by newlines; when they would pass 4,096 characters,
    as many as fit and then `more` (e.g. a link to the console page with all of them)."""
    text = "\n".join(lines)
    if len(text) <= MAX_TEXT:
        return text
    kept: list[str] = []
    used = len(more) + 1
    for line in lines:
        if used + len(line) + 1 > MAX_TEXT:
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join([*kept, more])


class TelegramClient:
    def __init__(
        self,
        token: Callable[[], str],
        *,
        base_url: str = API_URL,
        timeout_s: float = 10.0,
        budget_s: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`token()`: the bot token (from Secrets Manager, via the wiring). `budget_s`: how long one
        call may take in all, its waits included."""
        self._token = token
        self._base = base_url.rstrip("/")
        self._timeout = urllib3.Timeout(connect=min(5.0, timeout_s), read=timeout_s)
        self._budget_s = budget_s
        self._sleep = sleep
        self._clock = clock
        self._pool = urllib3.PoolManager(retries=False)
        self._sent_at: dict[str, deque[float]] = {}

    def send(
        self, chat_id: int | str, text: str, *, silent: bool = False, reply_to: int | None = None
    ) -> int:
        """Send `text` (HTML) to `chat_id`; the new message's id."""
        body: dict[str, Any] = {
            "chat_id": chat_id, "text": text, "parse_mode": "HTML",
            "disable_notification": silent, "link_preview_options": {"is_disabled": True},
        }  # fmt: skip
        if reply_to is not None:
            body["reply_parameters"] = {"message_id": reply_to, "allow_sending_without_reply": True}
        result = self._call("sendMessage", chat_id, body)
        return int(result["message_id"])

    def edit(self, chat_id: int | str, message_id: int, text: str) -> None:
        """Replace the text of a message sent before (an edit that changes nothing is no error)."""
        body = {
            "chat_id": chat_id, "message_id": message_id, "text": text, "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }  # fmt: skip
        try:
            self._call("editMessageText", chat_id, body)
        except TelegramError as exc:
            if "message is not modified" not in exc.message:
                raise

    # -- one call, within the limits --------------------------------------------------------------

    def _call(self, method: str, chat_id: int | str, body: dict[str, Any]) -> dict[str, Any]:
        deadline = self._clock() + self._budget_s
        pause = 1.0
        while True:
            self._wait_for_turn(str(chat_id), deadline, method)
            status, answer = self._post(method, body)
            if status == 200 and answer.get("ok"):
                return dict(answer.get("result") or {})
            said = str(answer.get("description") or "")[:200]
            description = f"HTTP {status}: {said}" if status is not None else said
            if status == 429:
                wait = float((answer.get("parameters") or {}).get("retry_after") or pause)
            elif status is None or status >= 500:
                wait, pause = pause, min(pause * 2, 10.0)
            else:
                raise TelegramError(f"Telegram refused {method}: {description}")
            if self._clock() + wait > deadline:
                raise TelegramError(
                    f"Telegram {method} not delivered within {self._budget_s:g} s: {description}"
                )
            log.info(
                "telegram: retrying", extra={"event": "telegram_retry", "method": method, "wait_s": wait}
            )
            self._sleep(wait)

    def _wait_for_turn(self, chat: str, deadline: float, method: str) -> None:
        """Pause so that `chat` gets at most one message a second (and a group 20 a minute)."""
        sent = self._sent_at.setdefault(chat, deque(maxlen=GROUP_PER_MINUTE))
        now = self._clock()
        ready = sent[-1] + PER_CHAT_S if sent else now
        if chat.startswith("-") and len(sent) == GROUP_PER_MINUTE:
            ready = max(ready, sent[0] + 60.0)
        if ready > now:
            if ready > deadline:
                raise TelegramError(
                    f"Telegram {method} not delivered within {self._budget_s:g} s: the chat's rate"
                )
            self._sleep(ready - now)
        sent.append(max(ready, now))

    def _post(self, method: str, body: dict[str, Any]) -> tuple[int | None, dict[str, Any]]:
        url = f"{self._base}/bot{self._token()}/{method}"
        try:
            response = self._pool.request(
                "POST", url, body=json.dumps(body, ensure_ascii=False).encode(),
                headers={"Content-Type": "application/json"}, timeout=self._timeout,
            )  # fmt: skip
        except Urllib3Error as exc:  # the URL (and so the token) stays out of it
            return None, {"description": f"no answer ({type(exc).__name__})"}
        try:
            answer = json.loads(response.data or b"{}")
        except ValueError:
            answer = {}
        return response.status, answer if isinstance(answer, dict) else {}
