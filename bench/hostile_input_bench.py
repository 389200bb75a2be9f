"""Hostile request bodies: `python -m bench.hostile_input_bench` (or `make bench-hostile`).

Serves the app with `chalice local` (real HTTP, one process, as the trial ran it) on a fresh database
synced from a small fake shop, then sends each of the worst numbers a body can carry (1e500000,
1E+999999999, 5,000 and 60,000 digits, ...) in each whole-number field of the API, --calls times each,
while another thread asks `GET /api/health` every 20 ms. Prints per body the median and the slowest
answer (each must be a 400) and what the health checks waited meanwhile.

Options: --calls 20, --database-url URL (a superuser URL; default TEST_DATABASE_URL or an embedded
server).
"""

from __future__ import annotations

import argparse
import http.client
import json
import platform
import statistics
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench.sync_bench import admin, admin_database, fresh_database
from devtools.fake_shop import FakeShop
from devtools.served_app import ADMIN_TOKEN, serve_app
from devtools.shop_data import ShopData

SHOP_TOKEN = "bench-shop-token-0123"
FIELDS = [  # (path, field) for every whole-number field of a request body
    ("/api/products/1/stock", "stock_quantity"),
    ("/api/products/1/analytics", "min_stock"),
    ("/api/products/1/analytics", "delivery_days"),
    ("/api/products/1/analytics", "in_transit"),
    ("/api/products/1/analytics", "days_to_zero"),
    ("/api/products/1/analytics", "recommended_qty"),
]
BODIES = {
    "1e500000": "1e500000",
    "-1e500000": "-1e500000",
    "1E+999999999": "1E+999999999",
    "1e-999999999": "1e-999999999",
    "5,000 nines": "9" * 5_000,
    "60,000 nines": "9" * 60_000,
    "0.(60,000 zeros)1": "0." + "0" * 60_000 + "1",
}


def probe(base: str, waited: list[float], stop: threading.Event) -> None:
    """`GET /api/health` every 20 ms until `stop`, each wait recorded."""
    while not stop.is_set():
        waited.append(send(base, "GET", "/api/health")[1])
        stop.wait(0.02)


def send(url: str, method: str, path: str, body: str | None = None) -> tuple[int, float]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=120)
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"}
    started = time.perf_counter()
    connection.request(method, path, body=body.encode() if body is not None else None, headers=headers)
    response = connection.getresponse()
    response.read()
    took = time.perf_counter() - started
    connection.close()
    return response.status, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    admin_url, server = admin_database(args.database_url)
    name, url = fresh_database(admin_url)
    try:
        with (
            FakeShop(ShopData(orders=200, products=20, seed=3), token=SHOP_TOKEN) as shop,
            serve_app(database_url=url, shop_url=shop.url, shop_token=SHOP_TOKEN, log=_log()) as served,
        ):
            served.call("POST", "api/sync-all")
            base = served.url.rstrip("/")
            print(f"machine: {platform.machine()}, Python {platform.python_version()}")
            print(f"{args.calls} calls per body and field, over HTTP to chalice local; health every 20 ms\n")
            print("| body | answers | median | slowest | health meanwhile: median | slowest |")
            print("|---|---|---:|---:|---:|---:|")
            for label, literal in BODIES.items():
                health: list[float] = []
                stop = threading.Event()
                prober = threading.Thread(target=probe, args=(base, health, stop), daemon=True)
                prober.start()
                times, answers = [], set()
                for path, field in FIELDS:
                    for _ in range(args.calls):
                        status, took = send(base, "PUT", path, f'{{"{field}": {literal}}}')
                        answers.add(status)
                        times.append(took)
                stop.set()
                prober.join()
                said = ", ".join(map(str, sorted(answers)))
                print(
                    f"| `{label}` | {said} | {_ms(statistics.median(times))} | {_ms(max(times))} "
                    f"| {_ms(statistics.median(health))} | {_ms(max(health))} |"
                )
            ok = json.dumps({"stock_quantity": 5})
            normal = [send(base, "PUT", "/api/products/1/stock", ok)[1] for _ in range(args.calls)]
            median, slowest = _ms(statistics.median(normal)), _ms(max(normal))
            print(f"| a valid body (`{ok}`), for scale | 200 | {median} | {slowest} |||")
    finally:
        admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if server:
            server.stop()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _log() -> Path:
    path = Path("build/bench/hostile-chalice-local.log")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


if __name__ == "__main__":
    main()
