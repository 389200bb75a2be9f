"""`make run`'s program, started as a user would: it syncs at once, serves the API, and Ctrl-C stops
everything it started."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from devtools.postgres import free_port
from tests.conftest import wait_until


def call(
    url: str, token: str | None = None, *, body: bytes | None = None, timeout_s: float = 10
) -> tuple[int, bytes]:
    """A GET, or a POST of `body`, as a user's client sends it: (status, body); status 0 when nothing
    answers."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(
        url, data=body, method="GET" if body is None else "POST", headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""
    except OSError:
        return 0, b""


def get(url: str, token: str | None = None) -> tuple[int, dict[str, Any]]:
    status, body = call(url, token)
    return status, json.loads(body) if body else {}


def post(url: str, body: bytes = b"", token: str | None = None) -> int:
    return call(url, token, body=body, timeout_s=60)[0]


def postgres_processes_of(data_dir: Path) -> list[str]:
    result = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True)
    return [line for line in result.stdout.splitlines() if "postgres" in line and str(data_dir) in line]


def drop_a_request(port: int, path: str, token: str) -> None:
    """Send a request and go away at once, resetting the connection, as a reloading browser does."""
    with socket.create_connection(("127.0.0.1", port)) as connection:
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n"
        connection.sendall(request.encode())
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def make_run(tmp_path: Path, port: int, database_url: str | None) -> subprocess.Popen[str]:
    """`make run`'s program as a user starts it: none of this shell's service settings, its data in
    `tmp_path`, on `port`; the embedded PostgreSQL unless `database_url` is given."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("STRATTERA_", "API_", "DATABASE_", "TELEGRAM_"))
    }
    env.update(PORT=str(port), STRATTERA_LOCAL_DIR=str(tmp_path / "local"))
    if database_url:
        env["DATABASE_URL"] = database_url
    return subprocess.Popen(
        [sys.executable, "-m", "devtools.run_local"],
        env=env,
        cwd=Path(__file__).parent.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.slow
@pytest.mark.parametrize("database", ["embedded", "given"])
def test_make_run_syncs_serves_and_stops_cleanly(tmp_path: Path, database_url: str, database: str) -> None:
    port = free_port()
    process = make_run(tmp_path, port, database_url if database == "given" else None)
    try:
        token = tmp_path / "local" / "dev-token"
        deadline = time.monotonic() + 120
        status: dict[str, Any] = {}
        while time.monotonic() < deadline:
            if token.exists():
                code, status = get(f"http://127.0.0.1:{port}/api/sync/status", token.read_text().strip())
                resources = status.get("resources", {})
                if code == 200 and all(r.get("last_success") for r in resources.values()) and resources:
                    break
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            time.sleep(0.5)
        else:
            pytest.fail(f"no successful sync through the API in time: {status}")
        code, orders = get(f"http://127.0.0.1:{port}/api/orders?limit=1", token.read_text().strip())
        assert code == 200 and orders["total"] > 0
        assert get(f"http://127.0.0.1:{port}/api/orders")[0] == 401
        edit = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/products/1/cost",
            data=b'{"cost": "100.00"}',
            method="PUT",
            headers={
                "Authorization": f"Bearer {token.read_text().strip()}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(edit, timeout=10) as answered:
            assert answered.status == 200
        cleared = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/products/1/overrides/cost",
            method="DELETE",
            headers={"Authorization": f"Bearer {token.read_text().strip()}"},
        )
        with urllib.request.urlopen(cleared, timeout=10) as answered:
            assert answered.status == 200
        for _ in range(5):  # a browser that drops its requests (a quick reload): no traceback for it
            drop_a_request(port, "/api/orders?limit=200", token.read_text().strip())
        time.sleep(0.5)  # the edit's line comes through chalice's output
    finally:
        process.send_signal(signal.SIGINT)
        time.sleep(0.2)
        process.send_signal(signal.SIGINT)  # an impatient second Ctrl-C once hung the cleanup
        output = process.communicate(timeout=60)[0]
    assert process.returncode == 0, output
    assert "next sync at" in output and "orders sync #" in output and "stopping" in output
    assert f"console at http://127.0.0.1:{port}/ " in output
    lines = output.splitlines()
    assert lines[-1].endswith("] stopped")
    # Lines for people: every line is `[hh:mm:ss] ...`; no JSON records, no access log.
    assert all(line.startswith("[") and line[9:11] == "] " for line in lines), output
    assert not any(line[11:].startswith("{") or '" 200 ' in line for line in lines), output
    assert "staff edit of product 1 by " in output and ": cost" in output
    assert ": cost (cleared)" in output  # the shop never sends a cost: nothing to go back to
    assert "Traceback" not in output and "ConnectionResetError" not in output, output
    assert "times here and in the console are the shop's (Europe/Moscow)" in output
    # The morning digest, shown after the first sync as the fake Bot API took it, in Russian.
    assert "telegram message to chat 100200300: ☀️ Сводка на " in output
    assert "]   Вчера: " in output and "Весь список закупки (http://127.0.0.1:" in output
    with pytest.raises(ConnectionRefusedError):  # chalice local is gone: nothing listens any more
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert postgres_processes_of(tmp_path / "local") == []  # the embedded server was stopped too


@pytest.mark.slow
def test_make_run_prints_a_failed_sync_as_an_incident_and_its_recovery_as_an_edit(
    tmp_path: Path, database_url: str
) -> None:
    """The fake shop's fault control makes a sync fail: the incident, as the staff's chat would get it,
    then its edit and the silent reply once a sync succeeds again (devtools/local_alarms.py)."""
    port = free_port()
    process = make_run(tmp_path, port, database_url)
    lines: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True)
    reader.start()

    def wait_for(text: str) -> None:
        wait_until(
            lambda: any(text in line for line in list(lines)), what=f"{text!r} in {lines}", timeout_s=90
        )

    try:
        wait_for("] next sync at ")
        token = (tmp_path / "local" / "dev-token").read_text().strip()
        wait_until(lambda: get(f"http://127.0.0.1:{port}/api/health")[0] == 200, what="chalice local")
        shop = re.search(r"fake shop at (http://127\.0\.0\.1:\d+/api/v1)", lines[0])
        assert shop, lines[0]
        fault = json.dumps({"kind": "status", "status": 500, "times": 20}).encode()
        assert post(f"{shop.group(1)}/_control/fault", fault) == 200
        assert post(f"http://127.0.0.1:{port}/api/sync-orders", token=token) == 502
        wait_for("telegram message to chat 100200300: 🔴 Синхронизация заказов не удалась")
        assert post(f"{shop.group(1)}/_control/heal") == 200
        assert post(f"http://127.0.0.1:{port}/api/sync-orders", token=token) == 200
        wait_for("telegram edit in chat 100200300: ✅ Восстановлено: Синхронизация заказов не удалась")
        wait_for("telegram reply in chat 100200300: Восстановлено в ")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(60)
        reader.join(10)
    incident = next(i for i, line in enumerate(lines) if "🔴 Синхронизация заказов не удалась" in line)
    assert (
        "]   Последний запуск № " in lines[incident + 2] and "магазин ответил ошибкой." in lines[incident + 2]
    )
    assert any("Открыть запуск № " in line and f"http://127.0.0.1:{port}/#/runs/" in line for line in lines)


def test_make_run_stops_at_once_when_its_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "devtools.run_local"],
            env={**os.environ, "PORT": str(port), "STRATTERA_LOCAL_DIR": str(tmp_path / "local")},
            cwd=Path(__file__).parent.parent,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr.strip() == f"port {port} is in use; set PORT, e.g. PORT={port + 1} make run"
    assert time.monotonic() - started < 10
    assert not (tmp_path / "local").exists()  # nothing was started or made


def test_the_fake_shop_of_make_run_is_the_same_after_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from devtools import run_local

    monkeypatch.setattr(run_local, "STATE", tmp_path)
    first = run_local.fake_shop_data()
    first.drift()
    first.add_orders(2)
    first.save(tmp_path / "fake-shop.json")
    again = run_local.fake_shop_data()
    assert again.listing("orders") == first.listing("orders")
    assert again.listing("products") == first.listing("products")
    assert again.add_orders(1)[0]["id"] == max(o["id"] for o in first.orders) + 1  # numbering goes on
