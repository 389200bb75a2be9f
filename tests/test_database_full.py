"""A database that refuses connections for load (53300 too many clients): the API answers a fast 503
with Retry-After, health says so, a sync logs its failure, and all of it works again by itself once
connections are free. Against a PostgreSQL of its own with a tiny max_connections, held full here."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from typing import Any

import pg8000.native
import pytest
from chalice.test import Client

from chalicelib.config import parse_database_url
from chalicelib.migrate import migrate
from devtools.fake_shop import FakeShop
from devtools.postgres import start_cluster
from tests.conftest import SHOP_TOKEN, admin_run, database_for

ADMIN = {"Authorization": "Bearer test-admin-token-0123456789"}


@pytest.fixture(scope="module")
def tiny_database() -> Iterator[str]:
    """The URL of a database on a server with room for 4 connections of its (non-superuser) role."""
    try:
        server = start_cluster({"max_connections": "6", "superuser_reserved_connections": "2"})
    except RuntimeError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI has Debian's PostgreSQL: {exc}")
        pytest.skip(f"no PostgreSQL of our own to fill: {exc}")
    try:
        admin_run(server.admin_url, "CREATE ROLE app LOGIN")
        admin_run(server.admin_url, "CREATE DATABASE shop OWNER app")
        url = server.admin_url.replace("postgres@", "app@").replace("/postgres", "/shop")
        database = database_for(url)
        migrate(database)
        database.close()
        yield url
    finally:
        server.stop()


def _fill(url: str) -> list[Any]:
    """Connections of the app's role until the server refuses one (sorry, too many clients)."""
    p = parse_database_url(url)
    held = []
    for _ in range(20):
        try:
            held.append(pg8000.native.Connection(user=p.user, host=p.host, port=p.port, database=p.database))
        except pg8000.native.DatabaseError as refused:
            assert refused.args[0]["C"] == "53300"
            return held
    raise AssertionError("the server never refused a connection")


def test_a_full_database_is_a_fast_503_and_the_service_comes_back_by_itself(
    tiny_database: str, shop: FakeShop, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from chalicelib import wiring

    for name, value in {
        "DATABASE_URL": tiny_database,
        "STRATTERA_API_URL": shop.url,
        "STRATTERA_API_TOKEN": SHOP_TOKEN,
        "API_TOKENS": "tester:test-admin-token-0123456789",
    }.items():
        monkeypatch.setenv(name, value)
    wiring.reset()
    from app import app

    with Client(app) as client:
        assert client.http.get("/api/orders", headers=ADMIN).status_code == 200
        wiring.database().close()  # nothing pooled: the next request needs a new connection
        held = _fill(tiny_database)
        try:
            started = time.monotonic()
            answer = client.http.get("/api/orders", headers=ADMIN)
            took = time.monotonic() - started
            assert answer.status_code == 503 and took < 5, took
            assert answer.headers["Retry-After"] == "5"
            body = json.loads(answer.body)
            assert body["error"]["code"] == "database_unavailable" and "app@" not in answer.body.decode()
            health = client.http.get("/api/health")
            assert (health.status_code, json.loads(health.body)["database"]) == (503, "unreachable")
            capsys.readouterr()
            assert client.http.post("/api/sync-orders", headers=ADMIN).status_code == 503
            logged = [
                json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
            ]
            failed = [r for r in logged if r.get("event") == "sync_run" and r["status"] == "failed"]
            assert failed and "(53300)" in failed[0]["error"] and failed[0]["RunFailed"] == 1.0
        finally:
            for connection in held:
                connection.close()
        assert client.http.get("/api/orders", headers=ADMIN).status_code == 200
        synced = client.http.post("/api/sync-all", headers=ADMIN)
        assert synced.status_code == 200
        assert [run["status"] for run in json.loads(synced.body)["runs"]] == ["succeeded", "succeeded"]
    wiring.reset()


def test_a_database_that_accepts_but_never_answers_is_a_503_within_the_connect_timeout(
    app_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib import wiring

    with socket.socket() as silent:  # accepts connections (the kernel does), never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        monkeypatch.setenv("DATABASE_URL", f"postgresql://app@127.0.0.1:{silent.getsockname()[1]}/shop")
        monkeypatch.setenv("DATABASE_CONNECT_TIMEOUT_S", "2")
        wiring.reset()
        from app import app

        with Client(app) as client:
            started = time.monotonic()
            answer = client.http.get("/api/orders", headers=ADMIN)
            took = time.monotonic() - started
    wiring.reset()
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert took < 5, took  # the login waits the connect timeout (2 s), not the statement timeout (35 s)
