"""Load test: `python -m bench.load_bench` (or `make bench-load`). Loopback only, bounded in time.

A PostgreSQL of its own with max_connections 20 (17 for the service's role), the fake shop with
100,000 orders in its own process, and the app under `chalice local` (a thread, and so a database
connection, per request in flight). For --seconds (30), --clients (50) threads call the list, detail
and stats routes over HTTP as fast as they can, and --editors (2) threads make staff edits, each on
an order of its own; meanwhile a sync in which all 100,000 orders changed runs in its own process,
as the scheduled Lambda does (the database was filled from another shop first). Reported: requests
a second, p50/p95/p99, the 503s (the database refusing connections: expected), the 409s (an edit of
an order the sync holds), any other 5xx (must be 0), whether the sync succeeded, and whether every
edit answered 200 is in the database afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from devtools.postgres import free_port, start_cluster
from devtools.served_app import ADMIN_TOKEN, serve_app

SHOP_TOKEN = "load-bench-shop-token"
STATUSES = ["paid", "processing", "shipped", "delivered", "cancelled"]


def request(url: str, method: str = "GET", body: dict[str, object] | None = None) -> tuple[int, float]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"}
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, data, headers, method=method), timeout=60
        ) as answer:
            answer.read()
            status = answer.status
    except urllib.error.HTTPError as error:
        error.read()
        status = error.code
    except OSError:
        status = 0  # no answer at all
    return status, (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--editors", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--max-connections", type=int, default=20)
    args = parser.parse_args()

    server = start_cluster(
        {"max_connections": str(args.max_connections), "superuser_reserved_connections": "3"}
    )
    shops: list[tuple[subprocess.Popen[bytes], str]] = []
    try:
        admin = server.admin_url
        subprocess.run(
            ["psql", admin, "-q", "-c", "CREATE ROLE app LOGIN", "-c", "CREATE DATABASE shop OWNER app"],
            check=True,
        )
        url = admin.replace("postgres@", "app@").replace("/postgres", "/shop")
        env = {**os.environ, "DATABASE_URL": url}
        subprocess.run([sys.executable, "-m", "chalicelib.migrate"], env=env, check=True, capture_output=True)
        # Two shops of 100,000 orders: the first fills the database before the load (a first sync
        # commits at its end); the second, with other data, is synced during it: every order changes.
        shops = [start_shop(args.orders, seed) for seed in (1, 2)]
        before, during = (
            {**env, "STRATTERA_API_URL": shop_url, "STRATTERA_API_TOKEN": SHOP_TOKEN} for _, shop_url in shops
        )
        for resource in ("products", "orders"):
            sync = [sys.executable, "-m", "chalicelib.sync", resource]
            subprocess.run(sync, env=before, check=True, capture_output=True)
        log = Path("build/load-bench-chalice.log")
        with serve_app(database_url=url, shop_url=shops[0][1], shop_token=SHOP_TOKEN, log=log) as served:
            run(served.url, args, during, url)
    finally:
        for process, _ in shops:
            process.terminate()
        server.stop()


def start_shop(orders: int, seed: int) -> tuple[subprocess.Popen[bytes], str]:
    """The fake shop in a process of its own; returns when it answers."""
    port = free_port()
    command = [sys.executable, "-m", "devtools.fake_shop", "--port", str(port), "--orders", str(orders)]
    command += ["--products", "500", "--seed", str(seed), "--token", SHOP_TOKEN]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api/v1"
    for _ in range(600):  # it builds its orders before it listens
        try:
            urllib.request.urlopen(f"{url}/products", timeout=5)
        except urllib.error.HTTPError:
            break  # it answers (401 without the token)
        except OSError:
            time.sleep(0.5)
    return process, url


def run(base: str, args: argparse.Namespace, sync_env: dict[str, str], database_url: str) -> None:
    stop = time.monotonic() + args.seconds
    samples: list[tuple[str, int, float]] = []
    edits: list[tuple[int, str]] = []  # (order id, status) answered 200
    lock = threading.Lock()
    rng = random.Random(7)
    routes: list[tuple[str, Callable[[], str]]] = [
        ("list", lambda: "api/orders?limit=50&status=shipped"),
        ("list", lambda: "api/products?limit=50&sort=-avg_daily_sales_30d"),
        ("detail", lambda: f"api/orders/{rng.randrange(1, args.orders)}"),
        ("detail", lambda: f"api/products/{rng.randrange(1, 500)}"),
        ("stats", lambda: "api/orders/stats"),
    ]

    def client() -> None:
        while time.monotonic() < stop:
            kind, path = rng.choice(routes)
            status, took = request(base + path())
            with lock:
                samples.append((kind, status, took))

    def editor(first: int) -> None:
        order = first
        while time.monotonic() < stop:
            value = rng.choice(STATUSES)
            status, took = request(f"{base}api/orders/{order}/status", "PUT", {"status": value})
            with lock:
                samples.append(("edit", status, took))
                if status == 200:
                    edits.append((order, value))
            order += args.editors  # an order of its own each time
            time.sleep(0.05)

    sync = subprocess.Popen([sys.executable, "-m", "chalicelib.sync", "orders"], env=sync_env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)  # fmt: skip
    time.sleep(1)
    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    threads += [threading.Thread(target=editor, args=(i + 1,)) for i in range(args.editors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    sync_output, _ = sync.communicate(timeout=600)
    report(samples, edits, elapsed, sync.returncode, sync_output, database_url, args)


def report(
    samples: list[tuple[str, int, float]],
    edits: list[tuple[int, str]],
    elapsed: float,
    sync_status: int,
    sync_output: str,
    database_url: str,
    args: argparse.Namespace,
) -> None:
    import pg8000.native

    from chalicelib.config import parse_database_url

    p = parse_database_url(database_url)
    conn = pg8000.native.Connection(user="postgres", host=p.host, port=p.port, database=p.database)
    stored = dict(conn.run("SELECT id, staff_status FROM orders WHERE staff_status IS NOT NULL"))
    conn.close()
    lost = [(order, value) for order, value in edits if stored.get(order) != value]
    statuses = Counter(status for _, status, _ in samples)
    answered = [took for _, status, took in samples if status == 200]
    print(
        f"{args.clients} clients + {args.editors} editors for {elapsed:.0f} s; max_connections "
        f"{args.max_connections}; {os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}"
    )
    print(
        "| requests | per second | 200 p50 | 200 p95 | 200 p99 | 503 | 409 | other 5xx | no answer | sync "
        "| edits 200 / lost |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    q = statistics.quantiles(answered, n=100) if len(answered) > 1 else [0.0] * 99
    other_5xx = sum(n for status, n in statuses.items() if status >= 500 and status != 503)
    print(
        f"| {len(samples)} | {len(samples) / elapsed:.0f} | {statistics.median(answered):.0f} ms "
        f"| {q[94]:.0f} ms | {q[98]:.0f} ms | {statuses[503]} | {statuses[409]} | {other_5xx} "
        f"| {statuses[0]} | "
        f"{'succeeded' if sync_status == 0 else 'FAILED'} | {len(edits)} / {len(lost)} |"
    )
    print(f"statuses: {dict(sorted(statuses.items()))}; sync: {sync_output.strip()}")
    for kind in ("list", "detail", "stats", "edit"):
        times = [took for k, status, took in samples if k == kind and status == 200]
        if len(times) > 1:
            print(
                f"  {kind}: {len(times)} answered 200, p50 {statistics.median(times):.0f} ms, "
                f"p95 {statistics.quantiles(times, n=20)[18]:.0f} ms"
            )


if __name__ == "__main__":
    main()
