"""Security headers and CORS on every response the service gives."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.db import Database
from chalicelib.routes.response_headers import SECURITY_HEADERS

ADMIN = {"Authorization": "Bearer test-admin-token-0123456789"}
DASHBOARD = "https://dashboard.example.com"


@pytest.fixture
def client(app_env: None, db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from app import app
    from chalicelib import wiring

    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", f"{DASHBOARD}, https://admin.example.com")
    wiring.reset()
    with Client(app) as chalice_client:
        yield chalice_client


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/api/health", 200), ("GET", "/api/orders", 200), ("GET", "/api/orders?limit=0", 400),
     ("GET", "/api/orders/424242", 404), ("GET", "/api/nowhere", 404), ("PUT", "/api/orders/1/status", 400)],
)  # fmt: skip
def test_every_answer_carries_the_security_headers(client: Any, method: str, path: str, status: int):
    response = client.http.request(
        method, path, headers={**ADMIN, "Content-Type": "application/json"}, body=b"{}"
    )
    assert response.status_code == status
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


def test_an_allowed_origin_is_echoed_and_a_foreign_one_is_not(client: Any):
    allowed = client.http.get("/api/orders", headers={**ADMIN, "Origin": DASHBOARD})
    assert allowed.headers["Access-Control-Allow-Origin"] == DASHBOARD
    assert allowed.headers["Vary"] == "Origin"
    foreign = client.http.get("/api/orders", headers={**ADMIN, "Origin": "https://evil.example.net"})
    assert "Access-Control-Allow-Origin" not in foreign.headers
    assert foreign.headers["Vary"] == "Origin"
    error = client.http.get("/api/orders?limit=-1", headers={**ADMIN, "Origin": DASHBOARD})
    assert error.status_code == 400 and error.headers["Access-Control-Allow-Origin"] == DASHBOARD


def test_every_route_answers_a_preflight_without_a_token(client: Any):
    from app import app

    api_paths = [path for path in app.routes if path.startswith("/api/") and path != "/api/{proxy+}"]
    assert len(api_paths) > 20
    # (The console's page and files are same-origin GETs: a browser never preflights them.)
    for path in api_paths:
        methods = app.routes[path]
        assert "OPTIONS" in methods, path
        concrete = path.replace("{order_id}", "1").replace("{product_id}", "1").replace("{run_id}", "1")
        concrete = concrete.replace("{field}", "status")
        response = client.http.request(
            "OPTIONS",
            concrete,
            headers={"Origin": DASHBOARD, "Access-Control-Request-Method": "PUT"},
            body=b"",
        )
        assert response.status_code == 204, path
        assert response.headers["Access-Control-Allow-Origin"] == DASHBOARD
        assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
        foreign = client.http.request(
            "OPTIONS", concrete, headers={"Origin": "https://evil.example.net"}, body=b""
        )
        assert "Access-Control-Allow-Origin" not in foreign.headers
