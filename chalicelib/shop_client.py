"""The shop API client: `GET <base>/orders` and `GET <base>/products`, streamed into a file.

One urllib3 `PoolManager` per client (the wiring keeps one client per process, so warm Lambdas reuse
connections). Retries with exponential backoff on connection errors, timeouts, 5xx, 408 and 429,
honouring `Retry-After`, but never sleeping past the run's deadline. The token goes in
`Authorization` raw (the shop answers 401 to `Bearer ...`); a 401 fetches the token once more, in case
it was rotated. Errors name the URL without token or query, and quote at most 200 bytes of the body.

A listing asks for gzip and is decompressed here, a megabyte at a time, as it arrives: whatever the
shop sends, memory holds one piece, and the file gets at most `max_bytes` of JSON (a gzip bomb is
refused once it has inflated past that, a gzip stream that breaks off is an error).
"""

from __future__ import annotations

import io
import logging
import random
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import BinaryIO
from urllib.parse import urlsplit, urlunsplit

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ProtocolError, TimeoutError

from chalicelib.errors import (
    ListingStorageError,
    UpstreamError,
    UpstreamFormatError,
    UpstreamHTTPError,
    UpstreamTimeoutError,
)

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
USER_AGENT = "strattera-sync/1.0"
PIECE = 1024 * 1024  # bytes read off the socket, and inflated from gzip, at a time
ERROR_BODY_BYTES = 64 * 1024  # of an error answer, enough to quote
DEFAULT_MAX_BYTES = 4 * 1024**3


def redact(url: str) -> str:
    """The URL without user info, query or fragment: safe for logs and messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _excerpt(body: bytes, limit: int = 200) -> str:
    text = body[:limit].decode("utf-8", errors="replace").replace("\n", " ").strip()
    return text + ("…" if len(body) > limit else "")


def _retry_after_s(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Validators:
    """What HTTP knows a listing by: its ETag and Last-Modified, as the shop sent them."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Listing:
    """A fetched listing, now in the caller's file; `not_modified` (a 304 to our validators) wrote
    nothing. `size`: bytes of JSON written; `wire_bytes`: bytes received as sent (`encoding`)."""

    validators: Validators
    not_modified: bool = False
    size: int = 0
    wire_bytes: int = 0
    encoding: str = "identity"


class ShopClient:
    """Fetches the shop's listings. `token(refresh)` gives the raw token (refresh after a 401)."""

    def __init__(
        self,
        base_url: str,
        token: Callable[[bool], str | None],
        *,
        pool: urllib3.PoolManager | None = None,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 30.0,
        attempts: int = 4,
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._pool = pool or urllib3.PoolManager(num_pools=2, maxsize=2, retries=False)
        self._connect_timeout_s = connect_timeout_s
        self._read_timeout_s = read_timeout_s
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._max_bytes = max_bytes
        self._sleep = sleep

    def fetch(self, resource: str, *, deadline: float) -> bytes:
        """The body of `GET <base>/<resource>` in memory (small listings, tests); `deadline` is a
        `time.monotonic()` value."""
        into = io.BytesIO()
        self.fetch_listing(resource, deadline=deadline, into=into)
        return into.getvalue()

    def fetch_listing(
        self,
        resource: str,
        *,
        deadline: float,
        into: BinaryIO,
        validators: Validators | None = None,
        on_body: Callable[[], None] | None = None,
    ) -> Listing:
        """`GET <base>/<resource>` with its body (decompressed) written to `into` from its start,
        conditional on `validators` when given (`If-None-Match`, `If-Modified-Since`): a 304 is a
        listing that did not change. `on_body()` is called when a listing's body starts to arrive
        (on every attempt that gets that far), before it is read. Raises `UpstreamHTTPError`,
        `UpstreamTimeoutError` or `UpstreamError` after the retries; `ListingStorageError` when
        `into` cannot take it."""
        url = f"{self.base_url}/{resource}"
        conditions = {}
        if validators and validators.etag:
            conditions["If-None-Match"] = validators.etag
        if validators and validators.last_modified:
            conditions["If-Modified-Since"] = validators.last_modified
        refreshed_token = refresh_now = False
        attempt = 0
        while True:
            attempt += 1
            wait: float | None = None
            try:
                status, headers, body, received = self._get(
                    url, deadline, into, refresh=refresh_now, conditions=conditions, on_body=on_body
                )
                refresh_now = False
            except (TimeoutError, UpstreamTimeoutError) as exc:
                error: UpstreamError = UpstreamTimeoutError(f"GET {redact(url)} timed out ({exc})")
            except (ProtocolError, Urllib3Error, OSError) as exc:
                error = UpstreamError(f"GET {redact(url)} failed: {type(exc).__name__}: {exc}")
            else:
                sent = Validators(headers.get("etag"), headers.get("last-modified"))
                if 200 <= status < 300:
                    size, wire_bytes, encoding = received
                    return Listing(sent, size=size, wire_bytes=wire_bytes, encoding=encoding)
                if status == 304 and validators and conditions:
                    kept = Validators(
                        sent.etag or validators.etag, sent.last_modified or validators.last_modified
                    )
                    return Listing(kept, not_modified=True)
                error = UpstreamHTTPError(
                    f"GET {redact(url)} answered {status}: {_excerpt(body)}", status=status
                )
                if status == 401 and not refreshed_token:
                    refreshed_token = refresh_now = True  # maybe it was rotated: read it again, once
                    attempt -= 1
                    continue
                if status not in RETRY_STATUSES:
                    raise error
                wait = _retry_after_s(headers.get("retry-after"))
            if attempt >= self._attempts:
                raise error
            if wait is None:
                wait = min(self._max_backoff_s, self._backoff_s * 2 ** (attempt - 1))
                wait *= random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not crypto)
            if time.monotonic() + wait >= deadline:
                raise UpstreamTimeoutError(
                    f"{error.message} (no time left in this run to wait {wait:.0f}s and retry)"
                ) from error
            log.warning(
                "shop request failed; retrying",
                extra={
                    "url": redact(url),
                    "attempt": attempt,
                    "wait_s": round(wait, 2),
                    "error": error.message,
                },
            )
            self._sleep(wait)

    def _get(
        self,
        url: str,
        deadline: float,
        into: BinaryIO,
        *,
        refresh: bool,
        conditions: dict[str, str],
        on_body: Callable[[], None] | None = None,
    ) -> tuple[int, dict[str, str], bytes, tuple[int, int, str]]:
        """(status, headers with lower-case names, an error answer's first bytes, and for a 2xx
        what `_receive` wrote)."""
        token = self._token(refresh)
        headers = {
            "Accept": "application/json",
            "Accept-Encoding": "gzip",
            "User-Agent": USER_AGENT,
            **conditions,
        }
        if token:
            headers["Authorization"] = token
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise UpstreamTimeoutError("the run's deadline passed")
        timeout = urllib3.Timeout(
            connect=min(self._connect_timeout_s, remaining), read=min(self._read_timeout_s, remaining)
        )
        response = self._pool.request(
            "GET", url, headers=headers, timeout=timeout, preload_content=False, redirect=False
        )
        try:
            names = {k.lower(): v for k, v in response.headers.items()}
            if 200 <= response.status < 300:
                if on_body:
                    on_body()
                return response.status, names, b"", self._receive(response, url, deadline, into)
            # An error answer: only as much as a message quotes (urllib3 inflates it, if need be).
            return response.status, names, response.read(ERROR_BODY_BYTES, decode_content=True), (0, 0, "")
        finally:
            response.release_conn()

    def _receive(
        self, response: urllib3.BaseHTTPResponse, url: str, deadline: float, into: BinaryIO
    ) -> tuple[int, int, str]:
        """Write the body to `into` as it arrives, inflating gzip; (bytes written, bytes received,
        encoding). Read a piece at a time, so that a body that never ends, or drips, still ends at
        the deadline."""
        encoding = (response.headers.get("content-encoding") or "identity").strip().lower()
        if encoding in ("gzip", "x-gzip"):
            inflate: Gunzip | None = Gunzip()
        elif encoding == "identity":
            inflate = None
        else:
            raise UpstreamFormatError(
                f"GET {redact(url)}: the shop sent Content-Encoding {encoding[:40]!r}, "
                "which we did not ask for"
            )
        try:
            into.seek(0)
            into.truncate()  # a retry starts the file again
        except OSError as exc:
            raise _storage_error(into, exc) from None
        written = received = 0
        for chunk in response.stream(PIECE, decode_content=False):
            received += len(chunk)
            if time.monotonic() > deadline:
                raise UpstreamTimeoutError("the body was still arriving at the run's deadline")
            for piece in inflate.feed(chunk) if inflate else (chunk,):
                written += len(piece)
                if written > self._max_bytes:
                    raise UpstreamFormatError(
                        f"GET {redact(url)}: the listing is larger than {self._max_bytes} bytes"
                        + (" once decompressed" if inflate else "")
                        + " (SYNC_LISTING_MAX_BYTES)"
                    )
                _write(into, piece)
        if inflate:
            inflate.finish(received)
        try:
            into.flush()
        except OSError as exc:
            raise _storage_error(into, exc) from None
        return written, received, "gzip" if inflate else "identity"


class Gunzip:
    """Inflates a gzip stream (one member or several) fed in chunks, in pieces of at most `PIECE`
    bytes however much a chunk inflates to."""

    def __init__(self) -> None:
        self._inflate = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            while True:
                piece = self._inflate.decompress(data, PIECE)
                if piece:
                    yield piece
                if self._inflate.eof:  # a member ended; whatever follows is the next one
                    data = self._inflate.unused_data
                    if not data:
                        return
                    self._inflate = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
                    continue
                data = self._inflate.unconsumed_tail
                if not data and len(piece) < PIECE:
                    return
        except zlib.error as exc:
            raise UpstreamFormatError(f"the shop's gzip stream is broken: {exc}") from None

    def finish(self, received: int) -> None:
        """The body ended: it must have ended with a whole gzip member."""
        if not self._inflate.eof:
            raise UpstreamFormatError(
                f"the shop's gzip stream broke off (after {received} bytes): the listing is incomplete"
            )


def _write(into: BinaryIO, piece: bytes) -> None:
    try:
        into.write(piece)
    except OSError as exc:
        raise _storage_error(into, exc) from None


def _storage_error(into: BinaryIO, exc: OSError) -> ListingStorageError:
    where = into.name if isinstance(getattr(into, "name", None), str) else "the listing file"
    return ListingStorageError(f"could not write the listing to {where}: {exc.strerror or exc}")
