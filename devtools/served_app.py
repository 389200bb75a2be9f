"""The app as people run it: `chalice local` in its own process, over real HTTP (for the console's
browser tests and its benchmark)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devtools.postgres import free_port

ROOT = Path(__file__).resolve().parent.parent
ADMIN_TOKEN = "console-admin-token-0123456789"
VIEWER_TOKEN = "console-viewer-token-0123456789"


@dataclass
class ServedApp:
    url: str  # http://127.0.0.1:PORT/ (the console's page)
    database_url: str
    log: Path

    def call(
        self, method: str, path: str, token: str | None = ADMIN_TOKEN, body: Any = None
    ) -> tuple[int, Any]:
        """One JSON API call: (status, parsed body)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(
            self.url + path.lstrip("/"), data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


@contextmanager
def serve_app(*, database_url: str, shop_url: str, shop_token: str, log: Path) -> Iterator[ServedApp]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRATTERA_", "API_", "DATABASE_"))}
    env.update(
        DATABASE_URL=database_url,
        STRATTERA_API_URL=shop_url,
        STRATTERA_API_TOKEN=shop_token,
        STRATTERA_TIMEZONE="Europe/Moscow",
        API_TOKENS=f"tester:{ADMIN_TOKEN}",
        API_READONLY_TOKENS=f"viewer:{VIEWER_TOKEN}",
    )
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "chalice"), "local", "--port", str(port), "--no-autoreload"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        served = ServedApp(f"http://127.0.0.1:{port}/", database_url, log)
        try:
            deadline = time.monotonic() + 60
            while served_status(served) != 200:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"chalice local did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
            yield served
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def served_status(served: ServedApp) -> int:
    try:
        return served.call("GET", "api/health", token=None)[0]
    except OSError:
        return 0
