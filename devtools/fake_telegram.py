"""A fake of the Telegram Bot API on 127.0.0.1, for the methods the service uses: `sendMessage` and
`editMessageText`, at `POST /bot<token>/<method>` with a JSON body, answered as the real API answers
(`{"ok": true, "result": Message}`, or `{"ok": false, "error_code": ..., "description": ...}`).

It misbehaves on demand: `FakeTelegram.fail(...)` queues a fault that the next request takes: a 429
with `parameters.retry_after`, a 5xx, or a slow answer. Every message it accepted is kept (`sent`,
with its edits applied), and `on_message` may print each as a line (what `make run` does).

    with FakeTelegram(token="123:abc") as bot:
        bot.url  # http://127.0.0.1:PORT, the client's base URL
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_TEXT = 4096  # characters of a message's text, after entities are parsed (the real limit)


@dataclass
class Fault:
    """kind: `retry_after` (429 with `seconds`), `status` (answer `status`), `slow` (wait `seconds`)."""

    kind: str
    status: int = 500
    seconds: float = 1.0


@dataclass
class Message:
    message_id: int
    chat_id: int | str
    text: str
    parse_mode: str | None
    disable_notification: bool
    reply_to: int | None
    edits: int = 0


@dataclass
class FakeTelegram:
    token: str
    on_message: Callable[[str, Message], None] | None = None  # ("sent" | "edited", the message)
    first_id: int = 1  # the first message's id
    sent: list[Message] = field(default_factory=list)
    requests: list[tuple[str, dict[str, Any], float]] = field(default_factory=list)  # method, body, time
    _faults: deque[Fault] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, kind: str, *, status: int = 500, seconds: float = 1.0, times: int = 1) -> None:
        for _ in range(times):
            self._faults.append(Fault(kind, status, seconds))

    def start(self) -> FakeTelegram:
        bot = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                bot._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- the API ----------------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        prefix = f"/bot{self.token}/"
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length)
        if not request.path.startswith(prefix):
            return _answer(request, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        method = request.path[len(prefix) :]
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return _answer(request, 400, _error(400, "Bad Request: can't parse JSON"))
        with self._lock:
            self.requests.append((method, body, time.monotonic()))
            fault = self._faults.popleft() if self._faults else None
        if fault and fault.kind == "slow":
            time.sleep(fault.seconds)
        elif fault and fault.kind == "retry_after":
            seconds = int(fault.seconds)
            answer = _error(429, f"Too Many Requests: retry after {seconds}")
            return _answer(request, 429, {**answer, "parameters": {"retry_after": seconds}})
        elif fault:
            return _answer(request, fault.status, _error(fault.status, "Internal Server Error"))
        if method == "sendMessage":
            return self._send(request, body)
        if method == "editMessageText":
            return self._edit(request, body)
        return _answer(request, 404, _error(404, "Not Found: method not found"))

    def _send(self, request: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        text, chat = body.get("text"), body.get("chat_id")
        if not isinstance(text, str) or not text.strip():
            return _answer(request, 400, _error(400, "Bad Request: message text is empty"))
        if len(text) > MAX_TEXT:
            return _answer(request, 400, _error(400, "Bad Request: message is too long"))
        if body.get("parse_mode") == "HTML" and (problem := html_problem(text)):
            return _answer(request, 400, _error(400, f"Bad Request: can't parse entities: {problem}"))
        if chat is None:
            return _answer(request, 400, _error(400, "Bad Request: chat not found"))
        reply = (body.get("reply_parameters") or {}).get("message_id")
        with self._lock:
            message = Message(
                self.first_id + len(self.sent), chat, text, body.get("parse_mode"),
                bool(body.get("disable_notification")), reply,
            )  # fmt: skip
            self.sent.append(message)
        if self.on_message:
            self.on_message("sent", message)
        return _answer(request, 200, {"ok": True, "result": _message(message)})

    def _edit(self, request: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        with self._lock:
            found = next(
                (
                    m
                    for m in self.sent
                    if m.message_id == body.get("message_id") and m.chat_id == body.get("chat_id")
                ),
                None,
            )
            if found is None:
                return _answer(request, 400, _error(400, "Bad Request: message to edit not found"))
            if found.text == body.get("text"):
                return _answer(request, 400, _error(400, "Bad Request: message is not modified"))
            found.text, found.edits = str(body.get("text")), found.edits + 1
        if self.on_message:
            self.on_message("edited", found)
        return _answer(request, 200, {"ok": True, "result": _message(found)})


def _message(message: Message) -> dict[str, Any]:
    return {
        "message_id": message.message_id,
        "chat": {"id": message.chat_id},
        "date": int(time.time()),
        "text": message.text,
    }


ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote"}


class _Entities(HTMLParser):
    """What Telegram's HTML parse mode refuses: a tag it does not know, a tag left open or closed
    without being opened, an `&` that starts no entity."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []
        self.problem: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problem = self.problem or f'Unsupported start tag "{tag}"'
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.problem = self.problem or f'Unexpected end tag "{tag}"'

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            self.problem = self.problem or "Unexpected character"

    def handle_entityref(self, name: str) -> None:
        if name not in ("lt", "gt", "amp", "quot"):
            self.problem = self.problem or f'Unsupported entity "{name}"'


def html_problem(text: str) -> str | None:
    parser = _Entities()
    parser.feed(text)
    parser.close()
    if parser.problem is None and parser.rawdata:  # an unfinished "<..." at the end
        return "Unclosed start tag"
    return parser.problem or (f'Unclosed start tag "{parser.open[-1]}"' if parser.open else None)


def _error(code: int, description: str) -> dict[str, Any]:
    return {"ok": False, "error_code": code, "description": description}


def _answer(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body, ensure_ascii=False).encode()
    request.send_response(status)
    request.send_header("Content-Type", "application/json")
    request.send_header("Content-Length", str(len(data)))
    request.end_headers()
    request.wfile.write(data)
