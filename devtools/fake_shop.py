"""A fake of the shop's API on 127.0.0.1: `GET /api/v1/orders` and `GET /api/v1/products`, as docs/shop-api.md
describes them (bare arrays, the raw token in `Authorization`, `Bearer ...` refused with 401).

It misbehaves on demand: queue faults with `FakeShop.fail(...)` (or `POST /_control/fault` when run
standalone) and each request takes the next one. Data comes from `devtools.shop_data.ShopData`.

    python -m devtools.fake_shop --port 8765 --orders 1000 --token dev-shop-token [--drift 60]
"""

from __future__ import annotations

import argparse
import functools
import gzip
import hmac
import json
import secrets
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from devtools.shop_data import ShopData, listing_json

PREFIX = "/api/v1"
FAULT_KINDS = (
    "status",
    "retry_after",
    "slow",
    "truncate",
    "cut_json",
    "not_json",
    "not_array",
    "hang",
    "huge",
    "bad_utf8",
    "gzip_bomb",
    "cut_gzip",
)


@dataclass
class Fault:
    """One misbehaviour, taken by the next matching request.

    kinds: status (answer `status` with `body`), retry_after (429 with Retry-After: `seconds`), slow
    (wait `seconds`, then answer normally), truncate (promise the whole body, send half, close),
    cut_json (a complete response whose JSON array breaks off halfway), not_json, not_array (a JSON
    object instead of an array), hang (send headers and a little, then nothing for `seconds`), huge
    (a `size` byte body that never parses), bad_utf8, gzip_bomb (a small gzip body that inflates to
    `size` bytes), cut_gzip (a complete response whose gzip stream breaks off halfway).
    """

    kind: str
    status: int = 500
    seconds: float = 1.0
    size: int = 50 * 1024 * 1024
    body: str = '{"error": "internal error"}'
    path: str | None = None  # only requests for this resource ("orders" / "products"); None: any


@dataclass
class RequestLog:
    path: str
    authorization: str | None
    status: int
    at: float = field(default_factory=time.monotonic)


class FakeShop:
    """The fake shop's server. Use as a context manager, or `start()` / `stop()`."""

    def __init__(
        self,
        data: ShopData,
        *,
        token: str = "fake-shop-token",
        host: str = "127.0.0.1",
        port: int = 0,
        drift_every_s: float | None = None,
        on_drift: Callable[[dict[str, int]], None] | None = None,
        validators: bool = False,
        gzip: bool = True,
    ) -> None:
        """`on_drift(changes)` after each drift step (default: one line on stdout). `validators`:
        send ETag and Last-Modified and answer 304 to them (False: a shop that knows neither).
        `gzip`: compress a listing for a client that accepts gzip (False: a shop that never does)."""
        self.data = data
        self.validators = validators
        self.gzip = gzip
        self._instance = secrets.token_hex(4)  # a restarted shop never reuses an ETag
        self._modified: dict[str, tuple[int, str]] = {}  # resource -> (data version, HTTP date)
        self.token = token
        self._host = host
        self.faults: deque[Fault] = deque()
        self.requests: list[RequestLog] = []
        self._cache: dict[tuple[str, bool], tuple[int, bytes]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        self._drift_every_s = drift_every_s
        self._on_drift = on_drift or (
            lambda changes: print(f"fake shop: {describe_drift(changes)}", flush=True)
        )
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://{self._host}:{port}{PREFIX}"

    def start(self) -> FakeShop:
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-shop", daemon=True)
        self._thread.start()
        if self._drift_every_s:
            threading.Thread(target=self._drift_loop, name="fake-shop-drift", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeShop:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail(self, kind: str, times: int = 1, **options: Any) -> None:
        """Queue `times` faults of `kind` (see `Fault`)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULT_KINDS)}")
        if kind == "gzip_bomb":
            # Built now, once per size (1 GiB takes seconds to compress): a request that had to build
            # it would race the client's read timeout, and a retried client would get a normal listing.
            _bomb(options.get("size", Fault.size))
        with self._lock:
            self.faults.extend(Fault(kind, **options) for _ in range(times))

    def requests_for(self, resource: str) -> list[RequestLog]:
        return [r for r in self.requests if r.path.rstrip("/").endswith(resource)]

    def body(self, resource: str, *, compressed: bool = False) -> bytes:
        """The JSON listing (gzipped when `compressed`), serialized once per data version (100,000
        orders are ~55 MB, ~10 MB gzipped)."""
        with self.data.lock:
            version = self.data.version
            cached = self._cache.get((resource, compressed))
            if cached and cached[0] == version:
                return cached[1]
            if compressed:
                body = gzip.compress(self.body(resource), compresslevel=6, mtime=0)
            else:
                body = listing_json(self.data.listing(resource))
            self._cache[(resource, compressed)] = (version, body)
            return body

    def listing_validators(self, resource: str) -> tuple[str, str]:
        """(ETag, Last-Modified) of the listing as it is now: a new ETag with every data version."""
        with self.data.lock:
            version = self.data.version
            known = self._modified.get(resource)
            if known is None or known[0] != version:
                known = (version, formatdate(usegmt=True))
                self._modified[resource] = known
        return f'"{self._instance}-{resource}-{version}"', known[1]

    def not_modified(self, resource: str, if_none_match: str | None, if_modified_since: str | None) -> bool:
        etag, last_modified = self.listing_validators(resource)
        if if_none_match is not None:  # RFC 9110: If-None-Match decides when it is sent
            return etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match.strip() == "*"
        if if_modified_since:
            try:
                return parsedate_to_datetime(if_modified_since) >= parsedate_to_datetime(last_modified)
            except (TypeError, ValueError):
                return False
        return False

    def _next_fault(self, resource: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.path in (None, resource):
                    self.faults.remove(fault)
                    return fault
        return None

    def _drift_loop(self) -> None:
        assert self._drift_every_s
        while not self._stopping.wait(self._drift_every_s):
            self._on_drift(self.data.drift())


@functools.lru_cache(maxsize=2)
def _bomb(size: int) -> bytes:
    """A gzip body that inflates to `size` bytes: a JSON array opening, then spaces (about 1,000:1)."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    parts = [deflate.compress(b"[")]
    block = b" " * (1024 * 1024)
    for start in range(1, size, len(block)):
        parts.append(deflate.compress(block[: size - start]))
    parts.append(deflate.flush())
    return b"".join(parts)


def describe_drift(changes: dict[str, int]) -> str:
    """{'new_orders': 2, 'status_moves': 1, 'product_changes': 0} -> "2 new orders, 1 status moved"."""
    words = {
        "new_orders": "new orders",
        "status_moves": "statuses moved",
        "product_changes": "products changed",
    }
    said = [f"{count} {words.get(name, name)}" for name, count in changes.items() if count]
    return ", ".join(said) or "no change"


def _handler_for(shop: FakeShop) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read `shop.requests`
            pass

        def _send(
            self,
            status: int,
            body: bytes,
            content_type: str = "application/json; charset=utf-8",
            headers: dict[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _log(self, status: int) -> None:
            shop.requests.append(RequestLog(self.path, self.headers.get("Authorization"), status))

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0].rstrip("/")
            resource = path.removeprefix(PREFIX).lstrip("/")
            if resource == "_control/state":
                self._send(
                    200,
                    json.dumps(
                        {
                            "version": shop.data.version,
                            "orders": len(shop.data.orders),
                            "products": len(shop.data.products),
                        }
                    ).encode(),
                )
                return
            if resource not in ("orders", "products"):
                self._log(404)
                self._send(404, b'{"error": "not found"}')
                return
            auth = self.headers.get("Authorization") or ""
            # The real shop wants the raw token; "Bearer <token>" got 401 there.
            if not hmac.compare_digest(auth.encode(), shop.token.encode()):
                self._log(401)
                self._send(401, b'{"error": "unauthorized"}')
                return
            fault = shop._next_fault(resource)
            if fault is not None:
                self._misbehave(fault, resource)
                return
            headers = {}
            if shop.validators:
                etag, last_modified = shop.listing_validators(resource)
                headers = {"ETag": etag, "Last-Modified": last_modified}
                if shop.not_modified(
                    resource, self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
                ):
                    self._log(304)
                    self._send(304, b"", headers=headers)
                    return
            compressed = shop.gzip and self._accepts_gzip()
            if shop.gzip:
                headers["Vary"] = "Accept-Encoding"
            if compressed:
                headers["Content-Encoding"] = "gzip"
            self._log(200)
            self._send(200, shop.body(resource, compressed=compressed), headers=headers)

        def _accepts_gzip(self) -> bool:
            """Accept-Encoding names gzip (and not with `q=0`)."""
            for entry in (self.headers.get("Accept-Encoding") or "").lower().split(","):
                coding, _, params = entry.partition(";")
                if coding.strip() in ("gzip", "x-gzip", "*"):
                    return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
            return False

        def _misbehave(self, fault: Fault, resource: str) -> None:
            kind = fault.kind
            if kind == "status":
                self._log(fault.status)
                self._send(fault.status, fault.body.encode())
            elif kind == "retry_after":
                self._log(429)
                self._send(
                    429, b'{"error": "too many requests"}', headers={"Retry-After": str(int(fault.seconds))}
                )
            elif kind == "slow":
                time.sleep(fault.seconds)
                self._log(200)
                self._send(200, shop.body(resource))
            elif kind == "truncate":
                self._log(200)
                body = shop.body(resource)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
            elif kind == "cut_json":
                self._log(200)
                body = shop.body(resource)
                self._send(200, body[: len(body) // 2])
            elif kind == "not_json":
                self._log(200)
                self._send(200, b"<html><body>502 Bad Gateway (nginx)</body></html>", "text/html")
            elif kind == "not_array":
                self._log(200)
                self._send(200, json.dumps({"data": shop.data.listing(resource)[:3]}).encode())
            elif kind == "hang":
                self._log(200)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(10**9))
                self.end_headers()
                self.wfile.write(b"[")
                self.wfile.flush()
                time.sleep(fault.seconds)
                self.close_connection = True
            elif kind == "huge":
                self._log(200)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(fault.size))
                self.end_headers()
                chunk = b" " * 65536
                sent = 0
                try:
                    while sent < fault.size:
                        piece = chunk[: fault.size - sent]
                        self.wfile.write(piece)
                        sent += len(piece)
                except OSError:
                    pass
                self.close_connection = True
            elif kind == "bad_utf8":
                self._log(200)
                self._send(200, b'[{"id": 1, "name": "\xff\xfe broken"}]')
            elif kind == "gzip_bomb":
                self._log(200)
                self._send(200, _bomb(fault.size), headers={"Content-Encoding": "gzip"})
            elif kind == "cut_gzip":
                self._log(200)
                body = shop.body(resource, compressed=True)
                self._send(200, body[: len(body) // 2], headers={"Content-Encoding": "gzip"})

        def do_POST(self) -> None:
            """Control endpoints for a standalone shop: /_control/fault, /_control/drift,
            /_control/change ({"orders": n, "products": m}), /_control/break, /_control/heal."""
            path = self.path.split("?", 1)[0].rstrip("/").removeprefix(PREFIX)
            length = int(self.headers.get("Content-Length") or 0)
            try:
                payload = json.loads(self.rfile.read(length) or b"{}")
                if path == "/_control/fault":
                    shop.fail(**payload)
                    answer: dict[str, Any] = {"queued": len(shop.faults)}
                elif path == "/_control/drift":
                    answer = shop.data.drift()
                elif path == "/_control/change":
                    answer = {
                        "orders": len(shop.data.change_orders(int(payload.get("orders", 0)))),
                        "products": len(shop.data.change_products(int(payload.get("products", 0)))),
                    }
                elif path == "/_control/heal":
                    shop.data.heal()
                    shop.faults.clear()
                    answer = {"healed": True}
                elif path == "/_control/break":
                    shop.data.break_fraction(
                        payload.get("resource", "orders"),
                        float(payload["fraction"]),
                        payload.get("how", "bad_total"),
                    )
                    answer = {"version": shop.data.version}
                else:
                    self._send(404, b'{"error": "not found"}')
                    return
            except (ValueError, TypeError, KeyError) as exc:
                self._send(400, json.dumps({"error": str(exc)}).encode())
                return
            self._send(200, json.dumps(answer).encode())

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake of the shop's API, for tests and local development.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--products", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--items", type=int, nargs=2, default=(1, 5), metavar=("MIN", "MAX"), help="items per order"
    )
    parser.add_argument("--token", default="fake-shop-token", help="the raw token it expects")
    parser.add_argument(
        "--no-validators",
        action="store_true",
        help="send no ETag or Last-Modified, never answer 304 (a shop that knows neither)",
    )
    parser.add_argument(
        "--no-gzip",
        action="store_true",
        help="never compress, even when the client accepts gzip (a shop that does not)",
    )
    parser.add_argument(
        "--drift",
        type=float,
        default=None,
        metavar="SECONDS",
        help="change some records every SECONDS, as a live shop does",
    )
    args = parser.parse_args(argv)
    data = ShopData(
        orders=args.orders, products=args.products, seed=args.seed, items_per_order=tuple(args.items)
    )
    shop = FakeShop(
        data,
        token=args.token,
        host=args.host,
        port=args.port,
        drift_every_s=args.drift,
        validators=not args.no_validators,
        gzip=not args.no_gzip,
    )
    shop.start()
    print(
        f"fake shop: {shop.url} ({len(data.orders)} orders, {len(data.products)} product records); "
        f"Authorization: <token>",
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        shop.stop()


if __name__ == "__main__":
    main()
