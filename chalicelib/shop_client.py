"""The shop API client: `GET <base>/orders` and `GET <base>/products`, as raw bytes.

One urllib3 `PoolManager` per client (the wiring keeps one client per process, so warm Lambdas reuse
connections). Retries with exponential backoff on connection errors, timeouts, 5xx, 408 and 429,
honouring `Retry-After`, but never sleeping past the run's deadline. The token goes in
`Authorization` raw (the shop answers 401 to `Bearer ...`); a 401 fetches the token once more, in case
it was rotated. Errors name the URL without token or query, and quote at most 200 bytes of the body.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit, urlunsplit

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ProtocolError, TimeoutError

from chalicelib.errors import UpstreamError, UpstreamHTTPError, UpstreamTimeoutError

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
USER_AGENT = "strattera-sync/1.0"


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
    """A fetched listing; `not_modified` (a 304 to our validators) has no body."""

    body: bytes
    validators: Validators
    not_modified: bool = False


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
        max_bytes: int = 256 * 1024 * 1024,
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
        """The body of `GET <base>/<resource>`; `deadline` is a `time.monotonic()` value."""
        return self.fetch_listing(resource, deadline=deadline).body

    def fetch_listing(
        self, resource: str, *, deadline: float, validators: Validators | None = None
    ) -> Listing:
        """`GET <base>/<resource>`, conditional on `validators` when given (`If-None-Match`,
        `If-Modified-Since`): a 304 is a listing that did not change. Raises `UpstreamHTTPError`,
        `UpstreamTimeoutError` or `UpstreamError` after the retries."""
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
                status, headers, body = self._get(url, deadline, refresh=refresh_now, conditions=conditions)
                refresh_now = False
            except (TimeoutError, UpstreamTimeoutError) as exc:
                error: UpstreamError = UpstreamTimeoutError(f"GET {redact(url)} timed out ({exc})")
            except (ProtocolError, Urllib3Error, OSError) as exc:
                error = UpstreamError(f"GET {redact(url)} failed: {type(exc).__name__}: {exc}")
            else:
                sent = Validators(headers.get("etag"), headers.get("last-modified"))
                if 200 <= status < 300:
                    return Listing(body, sent)
                if status == 304 and validators and conditions:
                    kept = Validators(
                        sent.etag or validators.etag, sent.last_modified or validators.last_modified
                    )
                    return Listing(b"", kept, not_modified=True)
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
        self, url: str, deadline: float, *, refresh: bool, conditions: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        """(status, headers with lower-case names, body)."""
        token = self._token(refresh)
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **conditions}
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
            chunks: list[bytes] = []
            size = 0
            # Read in chunks so that a body that never ends, or drips, still ends at the deadline.
            for chunk in response.stream(1024 * 1024):
                size += len(chunk)
                if size > self._max_bytes:
                    raise UpstreamError(f"GET {redact(url)}: the body is larger than {self._max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise UpstreamTimeoutError("the body was still arriving at the run's deadline")
                chunks.append(chunk)
            return response.status, {k.lower(): v for k, v in response.headers.items()}, b"".join(chunks)
        finally:
            response.release_conn()
