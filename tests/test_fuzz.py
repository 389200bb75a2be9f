"""Hostile input: requests generated from the OpenAPI description, against a synced database.

For every route: ids of every kind, every query parameter and body field with hostile values (SQL,
NUL, control characters, lone surrogates, bidi marks, 10 KB strings, huge and negative numbers, wrong
types), random JSON, odd content types,
and valid, read-only, unknown or missing tokens. Whatever arrives: never a 5xx, and every 4xx is in
the contract's error body, but the 401 chalice local gives by itself when there is no Authorization
header at all (API Gateway answers that one in AWS, with the contract's body from deploy/resources.yaml).
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
# What the text rule is about: NUL, C0 controls and DEL, lone surrogates, bidi marks, a BOM; mixed
# into ordinary characters, and a 10 KB string.
HOSTILE_CHARACTERS = [
    "\x00", "\x01", "\x08", "\x1b", "\x1f", "\x7f", "\t", "\n", "\r", "\ud800", "\udfff",
    "\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\u2069", "\ufeff",
]  # fmt: skip
hostile_texts = st.lists(
    st.one_of(st.sampled_from(HOSTILE_CHARACTERS), st.characters()), min_size=1, max_size=8
).map("".join)
texts = st.one_of(
    st.sampled_from(NASTY_TEXT), st.text(max_size=50), hostile_texts, st.just("x" * 10_240 + "\x00")
)
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


def valid_values(schema: dict[str, Any], *, as_json: bool = False) -> st.SearchStrategy[Any]:
    """Values the schema accepts (as query-string text, or as JSON), so that a request can be valid
    everywhere but in the one field under attack."""
    variants = [v for v in schema.get("anyOf", []) if v.get("type") != "null"]
    if variants:
        return st.one_of(*(valid_values(v, as_json=as_json) for v in variants))
    if "enum" in schema or "const" in schema:
        return st.sampled_from(schema.get("enum") or [schema["const"]])
    kind = schema.get("type")
    if kind == "integer":
        low, high = schema.get("minimum", 0), schema.get("maximum", 1000)
        numbers = st.integers(min_value=low, max_value=min(high, low + 1000))
        return numbers if as_json else numbers.map(str)
    if kind == "boolean":
        return st.booleans() if as_json else st.sampled_from(["true", "false"])
    if kind == "array":
        return st.lists(valid_values(schema.get("items", {}), as_json=as_json), min_size=1, max_size=2)
    if schema.get("format") == "date":
        return st.dates().map(lambda d: d.isoformat())
    if kind == "number" or "pattern" in schema:  # money
        return st.sampled_from(["12.50", "0.00", "990"])
    return st.text(alphabet="abcdefАБВ 123", min_size=1, max_size=12)


@st.composite
def one_field_under_attack(draw: st.DrawFn) -> dict[str, Any]:
    """Every query parameter and body field valid, but one: hostile text (or a hostile number)."""
    path, method, operation = draw(st.sampled_from(_operations()))
    concrete = re.sub(r"{(\w+)}", lambda m: "status" if m[1] == "field" else "1", path)
    parameters = [p for p in operation.get("parameters", []) if p["in"] == "query"]
    schema = (operation.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema")
    body_fields = _resolve(schema).get("properties", {}) if schema else {}
    targets = [("query", p["name"]) for p in parameters] + [("body", name) for name in body_fields]
    if not targets:
        return draw(requests())
    where, target = draw(st.sampled_from(targets))
    hostile = draw(st.one_of(hostile_texts, texts, numbers.map(str)))
    query = []
    for parameter in parameters:
        if parameter["name"] == target and where == "query":
            query.append((target, hostile))
        elif draw(st.booleans()):
            value = draw(valid_values(parameter["schema"]))
            query.extend((parameter["name"], v) for v in (value if isinstance(value, list) else [value]))
    body = None
    if body_fields:
        body = {name: draw(valid_values(field, as_json=True)) for name, field in body_fields.items()}
        if where == "body":
            body[target] = hostile
    return {
        "method": method,
        "path": concrete,
        "query": query,
        "body": body,
        "token": "admin",
        "content_type": "application/json",
    }


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    from chalicelib.routes.openapi import document

    if "$ref" in schema:
        return dict(document()["components"]["schemas"][schema["$ref"].split("/")[-1]])
    return schema


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    path, method, operation = draw(st.sampled_from(_operations()))
    concrete = path
    for name in re.findall(r"{(\w+)}", path):
        value = draw(
            st.one_of(st.integers(min_value=-5, max_value=400).map(str), texts.map(str), st.just("1"))
        )
        # as a client sends it (a lone surrogate as the bytes a broken client would send)
        concrete = concrete.replace("{" + name + "}", quote(value, safe="", errors="surrogatepass") or "x")
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
        else body.encode("utf-8", "surrogatepass")  # a lone surrogate: the bytes a broken client sends
        if isinstance(body, str)
        else json.dumps(body, default=str).encode()
    )
    query = urlencode(request["query"], encoding="utf-8", errors="surrogatepass")
    url = request["path"] + (f"?{query}" if query else "")
    return client.http.request(request["method"], url, headers=headers, body=raw)


@settings(max_examples=2000, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(request=st.one_of(requests(), one_field_under_attack()))
def test_no_generated_request_gets_a_5xx_or_a_malformed_error(client: Any, request: dict[str, Any]) -> None:
    response = _send(client, request)
    assert response.status_code < 500, (request, response.status_code, response.body[:500])
    if 400 <= response.status_code < 500:
        if response.status_code == 401 and request["token"] == "missing":
            return  # chalice local's own answer, before any authorizer (in AWS: our gateway response)
        body = json.loads(response.body)
        assert set(body) == {"error"}, (request, body)
        assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str)
        assert isinstance(body["error"]["details"], list)
        assert "Traceback" not in response.body.decode("utf-8", "replace")
