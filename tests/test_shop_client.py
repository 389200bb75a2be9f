from __future__ import annotations

import time

import pytest

from chalicelib.errors import UpstreamError, UpstreamHTTPError, UpstreamTimeoutError
from chalicelib.shop_client import ShopClient, redact
from devtools.fake_shop import FakeShop
from tests.conftest import SHOP_TOKEN, Sleeps, make_client


def deadline(seconds: float = 30) -> float:
    return time.monotonic() + seconds


def test_the_token_goes_raw_not_as_bearer(shop: FakeShop) -> None:
    make_client(shop.url).fetch("orders", deadline=deadline())
    assert shop.requests[-1].authorization == SHOP_TOKEN


def test_a_401_reads_the_token_again_once_in_case_it_was_rotated(shop: FakeShop) -> None:
    asked: list[bool] = []

    def token(refresh: bool) -> str:
        asked.append(refresh)
        return SHOP_TOKEN if refresh else "old-rotated-token"

    client = ShopClient(shop.url, token, sleep=Sleeps())
    assert client.fetch("products", deadline=deadline()).startswith(b"[")
    assert asked == [False, True]


def test_a_wrong_token_fails_without_showing_it(shop: FakeShop) -> None:
    client = ShopClient(shop.url, lambda refresh: "wrong-token-that-is-secret", sleep=Sleeps())
    with pytest.raises(UpstreamHTTPError) as info:
        client.fetch("orders", deadline=deadline())
    assert info.value.status == 401
    assert "wrong-token-that-is-secret" not in info.value.message
    assert len(shop.requests) == 2  # the first try and one with the token read again; no more


def test_a_4xx_other_than_429_is_not_retried(shop: FakeShop) -> None:
    shop.fail("status", status=404, body="no such thing")
    with pytest.raises(UpstreamHTTPError, match="answered 404: no such thing"):
        make_client(shop.url).fetch("orders", deadline=deadline())
    assert len(shop.requests) == 1


def test_5xx_is_retried_with_backoff_then_given_up(shop: FakeShop) -> None:
    sleeps = Sleeps()
    shop.fail("status", status=503, times=10)
    with pytest.raises(UpstreamHTTPError, match="answered 503"):
        make_client(shop.url, sleeps, attempts=4, backoff_s=1.0).fetch("orders", deadline=deadline(600))
    assert len(shop.requests) == 4
    assert len(sleeps.calls) == 3 and sleeps.calls[0] < sleeps.calls[1] < sleeps.calls[2]


def test_an_error_body_is_quoted_truncated(shop: FakeShop) -> None:
    shop.fail("status", status=400, body="x" * 5000)
    with pytest.raises(UpstreamHTTPError) as info:
        make_client(shop.url).fetch("orders", deadline=deadline())
    assert len(info.value.message) < 400


def test_a_response_that_never_ends_stops_at_the_read_timeout(shop: FakeShop) -> None:
    shop.fail("hang", seconds=5, times=3)
    started = time.monotonic()
    with pytest.raises(UpstreamError):
        make_client(shop.url, read_timeout_s=0.5, attempts=1).fetch("orders", deadline=deadline())
    assert time.monotonic() - started < 4


def test_a_body_over_the_limit_is_refused(shop: FakeShop) -> None:
    shop.fail("huge", size=3 * 1024 * 1024)
    with pytest.raises(UpstreamError, match="larger than"):
        make_client(shop.url, max_bytes=1024 * 1024).fetch("orders", deadline=deadline())


def test_the_deadline_bounds_the_whole_fetch(shop: FakeShop) -> None:
    shop.fail("slow", seconds=3)
    with pytest.raises(UpstreamTimeoutError):
        make_client(shop.url, attempts=1).fetch("orders", deadline=deadline(0.5))


def test_redact_drops_credentials_and_query() -> None:
    assert (
        redact("https://user:pw@shop.example/api/v1/orders?token=abc#x")
        == "https://shop.example/api/v1/orders"
    )
