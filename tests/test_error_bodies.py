"""Every answer the app gives is in the contract's error body when it is an error, also the ones Chalice
would make by itself: 405 for each method a path lacks (HEAD, TRACE and PATCH too), 415 for a content
type no route takes, and 404 for a path no route has. The list is made from the app's own routes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.routes.http import ACCEPTED_CONTENT_TYPES, ALL_METHODS
from chalicelib.routes.response_headers import SECURITY_HEADERS

ADMIN = {"Authorization": "Bearer test-admin-token-0123456789"}
OTHER_METHODS = (*ALL_METHODS, "TRACE", "CONNECT", "PROPFIND")


def _app() -> Any:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_CHALICE_CLI_MODE", "1")  # as `chalice package` does: only to read the routes
        from app import app

    return app


def _real_methods(entries: dict[str, Any]) -> set[str]:
    """The methods a path's own routes answer (not the 405 fallbacks)."""
    return {m for m, entry in entries.items() if entry.view_function.__name__ != "method_not_allowed"}


def _concrete(path: str) -> str:
    return (
        path.replace("{proxy+}", "nowhere")
        .replace("{field}", "status")
        .replace("{resource}", "orders")
        .replace("{folder}", "pages")
        .replace("{asset}", "orders.js")
        .replace("{", "")
        .replace("}", "")
        .replace("order_id", "1")
        .replace("product_id", "1")
        .replace("run_id", "1")
    )


LACKING = [
    (path, method)
    for path, entries in _app().routes.items()
    if path != "/api/{proxy+}"
    for method in OTHER_METHODS
    if method not in _real_methods(entries)
]
WITH_BODY = [
    (path, method)
    for path, entries in _app().routes.items()
    for method in _real_methods(entries)
    if method in ("POST", "PUT", "PATCH") and path != "/api/{proxy+}"
]


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[Any]:
    from chalicelib import wiring

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", database_url)
        patch.setenv("API_TOKENS", "tester:test-admin-token-0123456789")
        patch.setenv("STRATTERA_TIMEZONE", "Europe/Moscow")
        wiring.reset()
        with Client(_app()) as chalice_client:
            yield chalice_client
        wiring.reset()


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.body
    body = json.loads(response.body)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["code"] == code, body
    for name, value in SECURITY_HEADERS.items():
        if name != "Content-Security-Policy" or not response.headers.get(name):
            assert response.headers.get(name) == value, name
    error: dict[str, Any] = body["error"]
    return error


def test_the_lists_cover_what_the_trials_found():
    assert ("/api/orders", "HEAD") in LACKING and ("/api/orders", "TRACE") in LACKING
    assert ("/api/products/{product_id}/stock", "GET") in LACKING and ("/", "POST") in LACKING
    assert ("/api/products/{product_id}/stock", "PUT") in WITH_BODY


@pytest.mark.parametrize(("path", "method"), LACKING)
def test_a_method_a_path_lacks_is_a_405_in_the_contract_body(client: Any, path: str, method: str):
    response = client.http.request(method, _concrete(path), headers=ADMIN, body=b"")
    error = _error(response, 405, "method_not_allowed")
    allowed = sorted(_real_methods(_app().routes[path]) - {"OPTIONS"})
    assert error["message"] == f"{method} is not allowed here; use {', '.join(allowed)}"
    assert [m.strip() for m in response.headers["Allow"].split(",") if m.strip() != "OPTIONS"] == allowed


@pytest.mark.parametrize(("path", "method"), WITH_BODY)
@pytest.mark.parametrize("content_type", ["image/png", "application/vnd.api+json", "text/csv"])
def test_a_body_of_a_type_no_route_takes_is_a_415_in_the_contract_body(
    client: Any, path: str, method: str, content_type: str
):
    assert content_type not in ACCEPTED_CONTENT_TYPES
    headers = {**ADMIN, "Content-Type": content_type}
    response = client.http.request(method, _concrete(path), headers=headers, body=b"\x89PNG")
    error = _error(response, 415, "unsupported_media_type")
    assert "application/json" in error["message"]


@pytest.mark.parametrize("method", [m for m in OTHER_METHODS if m != "CONNECT"])
def test_a_path_no_route_has_is_a_404_in_the_contract_body_whatever_the_method(client: Any, method: str):
    response = client.http.request(method, "/api/nowhere", headers=ADMIN, body=b"")
    if method in ALL_METHODS:
        _error(response, 404, "not_found")
    else:  # a method no route anywhere has: Chalice's 405, in our body
        _error(response, 405, "method_not_allowed")


def test_an_error_naming_a_field_sent_with_a_lone_surrogate_is_still_utf8(client: Any):
    # What the fuzz run found: a number past the bound under a key holding a lone surrogate; the 400
    # named the field as sent, and the answer could not be encoded.
    raw = ('{"status": "paid", "note\\ud800": ' + "9" * 40 + "}").encode()
    response = client.http.request(
        "PUT", "/api/orders/1", headers={**ADMIN, "Content-Type": "application/json"}, body=raw
    )
    error = _error(response, 400, "validation_error")
    response.body.decode("utf-8")  # strict: valid UTF-8
    assert [d["field"] for d in error["details"]] == ["note\ud800"]  # the escape, read back
