"""Hostile input: requests generated from the OpenAPI description, against a synced database.

For every route: ids of every kind, every query parameter and body field with hostile values (SQL,
control characters, Unicode, huge and negative numbers, wrong types), random JSON, odd content types,
and valid, read-only, unknown or missing tokens. Whatever arrives: never a 5xx, and every 4xx the
service gives itself is in the contract's error body (401/403 from the authorizer are API Gateway's).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from chalice.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.db import Database

TOKENS = {
    "admin": "Bearer test-admin-token-0123456789",
    "viewer": "Bearer test-viewer-token-0123456789",
    "unknown": "Bearer not-a-token-at-all-000000",
    "raw": "test-admin-token-0123456789",
    "missing": None,
}
NASTY_TEXT = [
    "'; DROP TABLE orders;--", "1 OR 1=1", "%", "_", "\\", "\u0000", "\u202e", "😀", "Ёё", " ", "",
    "null", "true", "[]", "{}", "NaN", "-1", "1e309", "9" * 40, "a" * 5000, "<script>", "../../etc/passwd",
]  # fmt: skip
texts = st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=50))
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["1.001", "-0.00", "1e400", "0x10"]),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, texts),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=12,
)


@pytest.fixture
def client(app_env: None, db: Database) -> Iterator[Any]:
    from app import app

    with Client(app) as chalice_client:
        response = chalice_client.http.post("/api/sync-all", headers={"Authorization": TOKENS["admin"]})
        assert response.status_code == 200
        yield chalice_client


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    from app import app  # noqa: F401 (registers the routes)
    from chalicelib.routes.openapi import document

    return [
        (path, method.upper(), operation)
        for path, methods in document()["paths"].items()
        for method, operation in methods.items()
    ]


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    path, method, operation = draw(st.sampled_from(_operations()))
    concrete = path
    for name in re.findall(r"{(\w+)}", path):
        value = draw(
            st.one_of(st.integers(min_value=-5, max_value=400).map(str), texts.map(str), st.just("1"))
        )
        concrete = concrete.replace("{" + name + "}", quote(value, safe="") or "x")  # as a client sends it
    query: list[tuple[str, str]] = []
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query" and draw(st.booleans()):
            value = draw(st.one_of(texts, numbers.map(str)))
            query.append((parameter["name"], value))
    if draw(st.booleans()):
        query.append((draw(st.sampled_from(["limit", "offset", "sort", "status", "zzz"])), draw(texts)))
    body: Any = None
    schema = (operation.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema")
    if schema is not None or draw(st.booleans()):
        fields = list((schema or {}).get("properties", {}))
        body = draw(st.one_of(
            st.fixed_dictionaries({}, optional={name: json_values for name in fields}),
            json_values,
            st.just("{broken json"),
        ))  # fmt: skip
    return {
        "method": method,
        "path": concrete,
        "query": query,
        "body": body,
        "token": draw(st.sampled_from(list(TOKENS))),
        "content_type": draw(
            st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain", None])
        ),
    }


def _send(client: Any, request: dict[str, Any]) -> Any:
    from urllib.parse import urlencode

    headers = {}
    if TOKENS[request["token"]]:
        headers["Authorization"] = TOKENS[request["token"]]
    if request["content_type"]:
        headers["Content-Type"] = request["content_type"]
    body = request["body"]
    raw = (
        b""
        if body is None
        else body.encode()
        if isinstance(body, str)
        else json.dumps(body, default=str).encode()
    )
    url = request["path"] + (f"?{urlencode(request['query'])}" if request["query"] else "")
    return client.http.request(request["method"], url, headers=headers, body=raw)


@settings(max_examples=2000, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(request=requests())
def test_no_generated_request_gets_a_5xx_or_a_malformed_error(client: Any, request: dict[str, Any]) -> None:
    response = _send(client, request)
    assert response.status_code < 500, (request, response.status_code, response.body[:500])
    if 400 <= response.status_code < 500:
        gateway = response.status_code in (401, 403) and request["token"] != "admin"
        if gateway:
            return
        body = json.loads(response.body)
        assert set(body) == {"error"}, (request, body)
        assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str)
        assert isinstance(body["error"]["details"], list)
        assert "Traceback" not in response.body.decode("utf-8", "replace")
