"""Sync benchmark: `python -m bench.sync_bench` (or `make bench`), against a local Postgres and the fake
shop (a separate process, so the memory measured is the sync's alone).

Scenarios, each in a fresh child process (its peak RSS is the run's) and, where it writes, a fresh
database:
  first      a first full sync: 500 products, then N orders (about 3 items each), through the engine
  resync     a re-sync of N orders after 1% of them changed
  unchanged  a re-sync when nothing changed: answered 304 (the shop's ETag sent back), and without 304
             (no validators saved: the whole listing fetched, parsed and digested, nothing written)
  floor      the listing alone: download (gzip), inflate and parse with ijson into a temporary file,
             nothing else: what no re-sync without 304 can beat
  naive      the same first sync as earlier consumers wrote it: per order a lookup, an upsert, a delete
             of its old items and an insert per item, all in one transaction
  copy       the floor of a first sync: COPY of the same, already validated rows into the empty tables
`first`, `resync` and `naive` are timed over the same work: fetch, validate, write, refresh the trends
and per-day stats. `copy` times only the COPY (that is what makes it a floor).

Options: --sizes 10000 100000 1000000, --repeat 3 (median), --naive-max 100000, --copy-max 100000,
--database-url URL.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-shop-token"
ZONE = ZoneInfo("Europe/Moscow")


# -- child: one measured scenario ------------------------------------------------------------------


def _database(url: str) -> Any:
    from chalicelib.config import parse_database_url
    from chalicelib.db import Database

    params = parse_database_url(url)
    return Database(lambda refresh: params, statement_timeout_ms=600_000)


def _service(url: str, shop_url: str) -> Any:
    from chalicelib.shop_client import ShopClient
    from chalicelib.sync import SyncService
    from chalicelib.sync.orders import OrdersSync
    from chalicelib.sync.products import ProductsSync

    client = ShopClient(shop_url, lambda refresh: TOKEN, read_timeout_s=120)
    appliers = {"orders": OrdersSync(ZONE), "products": ProductsSync(ZONE)}
    return SyncService(_database(url), client, appliers, deadline_s=1800)  # type: ignore[arg-type]


def _validated_orders(shop_url: str) -> list[Any]:
    from chalicelib.shop_client import ShopClient
    from chalicelib.shop_records import ShopOrder, validation_context
    from chalicelib.sync.listing import iter_records

    body = ShopClient(shop_url, lambda refresh: TOKEN, read_timeout_s=120).fetch(
        "orders", deadline=time.monotonic() + 600
    )
    context = validation_context(ZONE)
    return [ShopOrder.model_validate(raw, context=context) for raw, _, _ in iter_records(io.BytesIO(body))]


def child_first(url: str, shop_url: str) -> dict[str, Any]:
    service = _service(url, shop_url)
    service.run("products", trigger="cli")
    started = time.perf_counter()
    run = service.run("orders", trigger="cli")
    elapsed = time.perf_counter() - started
    assert run.status == "succeeded", run.error
    return {"seconds": elapsed, "counts": run.counts.model_dump()}


def child_resync(url: str, shop_url: str) -> dict[str, Any]:
    """`seconds`: the call, in a new process (its first connection to the database included);
    `run_seconds`: the run's own time as `sync_runs` records it (from its row to its end)."""
    service = _service(url, shop_url)
    started = time.perf_counter()
    run = service.run("orders", trigger="cli")
    elapsed = time.perf_counter() - started
    assert run.status == "succeeded", run.error
    return {"seconds": elapsed, "run_seconds": run.duration_s, "counts": run.counts.model_dump()}


def child_unchanged_304(url: str, shop_url: str) -> dict[str, Any]:
    """Nothing changed since the last run, whose listing's ETag is saved: the shop answers 304."""
    result = child_resync(url, shop_url)
    assert result["counts"]["fetched"] == 0, result  # a 304 fetches no record
    return result


def child_unchanged_full(url: str, shop_url: str) -> dict[str, Any]:
    """Nothing changed, but no validators are saved (a shop without ETags): the whole listing."""
    _database(url).run("DELETE FROM listing_validators")
    result = child_resync(url, shop_url)
    assert result["counts"]["fetched"] == result["counts"]["unchanged"] > 0, result
    return result


def child_floor(url: str, shop_url: str) -> dict[str, Any]:
    """The listing alone: downloaded (gzip) and inflated into a file as a run gets it, then parsed
    with ijson (its C backend, yajl2_c), nothing else."""
    import ijson

    from chalicelib.shop_client import ShopClient
    from chalicelib.sync import spool

    client = ShopClient(shop_url, lambda refresh: TOKEN, read_timeout_s=120)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        with spool.listing_file(folder, "orders") as file:
            listing = client.fetch_listing("orders", deadline=time.monotonic() + 600, into=file)
            file.seek(0)
            records = sum(1 for _ in ijson.items(file, "item"))
        elapsed = time.perf_counter() - started
    return {
        "seconds": elapsed,
        "records": records,
        "json_bytes": listing.size,
        "wire_bytes": listing.wire_bytes,
        "encoding": listing.encoding,
    }


NAIVE_LOOKUP = "SELECT id FROM orders WHERE external_id = :e"
NAIVE_UPSERT = """
INSERT INTO orders (external_id, upstream_status, total_amount, delivery_cost, bonus, bank_card,
                    customer_name, customer_city, customer_telegram_id, created_at, paid_at, shipped_at,
                    upstream_hash)
VALUES (:external_id, :upstream_status, :total_amount, :delivery_cost, :bonus, :bank_card, :customer_name,
        :customer_city, :customer_telegram_id, :created_at, :paid_at, :shipped_at, :upstream_hash)
ON CONFLICT (external_id) DO UPDATE SET upstream_status = EXCLUDED.upstream_status,
    total_amount = EXCLUDED.total_amount, updated_at = now()
RETURNING id
"""
NAIVE_DELETE_ITEMS = "DELETE FROM order_items WHERE order_id = :o"
NAIVE_INSERT_ITEM = """
INSERT INTO order_items (order_id, position, name, normalized_name, quantity, price, product_id)
VALUES (:o, :p, :n, :nn, :q, :pr, (SELECT id FROM products WHERE normalized_name = :nn LIMIT 1))
"""


def child_naive(url: str, shop_url: str) -> dict[str, Any]:
    """The same first sync, the naive way: timed over the same work as `first` (fetch, validate,
    write, then the same trends and stats refresh), with the writes one round trip per row."""
    from chalicelib.names import normalize_name
    from chalicelib.stores import analytics
    from chalicelib.sync.orders import order_row

    _service(url, shop_url).run("products", trigger="cli")
    db = _database(url)
    tz = str(ZONE.key)
    started = time.perf_counter()
    orders = _validated_orders(shop_url)
    with db.transaction() as conn:
        for order in orders:
            conn.run(NAIVE_LOOKUP, e=order.id)
            order_id = conn.run(NAIVE_UPSERT, **order_row(order, b"")._asdict())[0][0]
            conn.run(NAIVE_DELETE_ITEMS, o=order_id)
            for position, item in enumerate(order.order_items, start=1):
                conn.run(
                    NAIVE_INSERT_ITEM,
                    o=order_id,
                    p=position,
                    n=item.name,
                    nn=normalize_name(item.name),
                    q=item.quantity,
                    pr=item.price,
                )
        analytics.refresh_days(conn, {o.created_at.astimezone(ZONE).date() for o in orders}, tz=tz)
        analytics.recompute_analytics(conn, tz=tz)
    return {"seconds": time.perf_counter() - started}


def child_copy(url: str, shop_url: str) -> dict[str, Any]:
    """COPY straight into the real, empty `orders` and `order_items` (same indexes, foreign keys and
    generated columns): in a fresh database the identity hands out 1, 2, 3... in COPY order, so the
    items can name their order's id without asking."""
    from chalicelib.names import normalize_name
    from chalicelib.stores.copy import copy_rows
    from chalicelib.sync.orders import OrderRow, order_row

    _service(url, shop_url).run("products", trigger="cli")
    orders = _validated_orders(shop_url)
    db = _database(url)
    assert db.run("SELECT count(*) FROM orders") == [[0]]
    matches = dict(db.run("SELECT normalized_name, product_id FROM product_name_match"))
    order_rows = []
    item_rows: list[tuple[Any, ...]] = []
    for number, order in enumerate(orders, start=1):
        order_rows.append(order_row(order, b""))  # the row the sync writes, as it builds it
        for position, item in enumerate(order.order_items, start=1):
            normalized = normalize_name(item.name)
            item_rows.append(
                (number, position, item.name, normalized, item.quantity, item.price, matches.get(normalized))
            )
    started = time.perf_counter()
    with db.transaction() as conn:
        copy_rows(conn, "orders", OrderRow._fields, order_rows)
        item_columns = ("order_id", "position", "name", "normalized_name", "quantity", "price", "product_id")
        copy_rows(conn, "order_items", item_columns, item_rows)
    elapsed = time.perf_counter() - started
    assert db.run("SELECT max(id) FROM orders") == [[len(orders)]]
    return {"seconds": elapsed}


CHILDREN = {
    "first": child_first,
    "resync": child_resync,
    "unchanged_304": child_unchanged_304,
    "unchanged_full": child_unchanged_full,
    "floor": child_floor,
    "naive": child_naive,
    "copy": child_copy,
}


# -- orchestrator ----------------------------------------------------------------------------------


def admin_database(url: str | None) -> tuple[str, Any]:
    """A superuser URL: the one given, BENCH_DATABASE_URL, TEST_DATABASE_URL, or a server started here
    (returned too, to be stopped)."""
    given = url or os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if given:
        return given, None
    from devtools.postgres import start_any

    server = start_any()
    return server.admin_url, server


def admin(url: str, sql: str) -> None:
    db = _database(url)
    try:
        with db.connection() as conn:
            conn.run(sql)
    finally:
        db.close()


def fresh_database(admin_url: str) -> tuple[str, str]:
    from chalicelib.migrate import migrate

    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin(admin_url, f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    db = _database(url)
    migrate(db)
    db.close()
    return name, url


def drop_database(admin_url: str, name: str) -> None:
    admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_child(kind: str, url: str, shop_url: str) -> dict[str, Any]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.sync_bench",
            "--child",
            kind,
            "--database-url",
            url,
            "--shop-url",
            shop_url,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{result.stderr[-3000:]}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


class Shop:
    def __init__(self, orders: int) -> None:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "devtools.fake_shop",
                "--port",
                str(port),
                "--orders",
                str(orders),
                "--products",
                "500",
                "--token",
                TOKEN,
                "--seed",
                "7",
                "--items",
                "2",
                "4",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.process.stdout.readline()
        self.url = f"http://127.0.0.1:{port}/api/v1"
        self.warm()

    def warm(self) -> None:
        """Make the shop serialize (and gzip) its listings before anything is timed."""
        for resource_name in ("products", "orders"):
            for encoding in ("identity", "gzip"):
                request = urllib.request.Request(
                    f"{self.url}/{resource_name}",
                    headers={"Authorization": TOKEN, "Accept-Encoding": encoding},
                )
                with urllib.request.urlopen(request, timeout=600) as response:
                    while response.read(1024 * 1024):  # not held: children inherit this process's peak
                        pass

    def change(self, orders: int) -> None:
        request = urllib.request.Request(
            f"{self.url}/_control/change", data=json.dumps({"orders": orders}).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=600) as response:
            response.read()
        self.warm()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def peak_rss_mb() -> float:
    """This process's peak resident memory. Not `getrusage`'s `ru_maxrss`: Linux carries the parent's
    peak over into a child it spawns, so a child would report the orchestrator's."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux


def median_of(results: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in results))


def measure(row: dict[str, Any], kind: str, results: list[dict[str, Any]]) -> None:
    """Median seconds and the largest peak RSS of `results` into `row`, and a progress line."""
    row[kind] = median_of(results, "seconds")
    row[f"{kind}_rss"] = max(r["peak_rss_mb"] for r in results)
    took = f"{row[kind] * 1000:8.1f} ms" if row[kind] < 1 else f"{row[kind]:8.2f} s "
    print(f"  {row['orders']:>9,} orders {kind:>14}: {took}  peak {row[f'{kind}_rss']:.0f} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--child", choices=sorted(CHILDREN))
    parser.add_argument("--database-url")
    parser.add_argument("--shop-url")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--naive-max", type=int, default=100_000, help="skip the naive way above this size")
    parser.add_argument("--copy-max", type=int, default=100_000, help="skip the COPY floor above this size")
    args = parser.parse_args()

    if args.child:
        result = CHILDREN[args.child](args.database_url, args.shop_url)
        result["peak_rss_mb"] = peak_rss_mb()
        print(json.dumps(result))
        return

    admin_url, server = admin_database(args.database_url)
    print(
        f"PostgreSQL: {admin_url.split('@')[-1]}; {os.cpu_count()} cores; median of {args.repeat}", flush=True
    )
    table = []
    try:
        for size in args.sizes:
            shop = Shop(size)
            try:
                table.append(bench_size(size, shop, admin_url, args))
            finally:
                shop.stop()
    finally:
        if server:
            server.stop()
    print_tables(table)


def bench_size(size: int, shop: Shop, admin_url: str, args: argparse.Namespace) -> dict[str, Any]:
    row: dict[str, Any] = {"orders": size}
    floors = [run_child("floor", admin_url, shop.url) for _ in range(args.repeat)]
    measure(row, "floor", floors)
    row["json_bytes"], row["wire_bytes"] = floors[-1]["json_bytes"], floors[-1]["wire_bytes"]
    assert floors[-1]["records"] == size and floors[-1]["encoding"] == "gzip", floors[-1]

    kinds = (
        ["first"]
        + (["copy"] if size <= args.copy_max else [])
        + (["naive"] if size <= args.naive_max else [])
    )
    for kind in kinds:
        results = []
        for _ in range(1 if kind == "naive" and size >= 100_000 else args.repeat):
            name, url = fresh_database(admin_url)
            try:
                results.append(run_child(kind, url, shop.url))
            finally:
                drop_database(admin_url, name)
        measure(row, kind, results)

    # The re-syncs, one database: 1% changed (each time), then nothing changed, with and without 304.
    name, url = fresh_database(admin_url)
    try:
        run_child("first", url, shop.url)
        results = []
        for _ in range(args.repeat):
            shop.change(size // 100)
            results.append(run_child("resync", url, shop.url))
        measure(row, "resync", results)
        row["resync_updated"] = results[-1]["counts"]["updated"]
        for kind in ("unchanged_304", "unchanged_full"):
            results = [run_child(kind, url, shop.url) for _ in range(args.repeat)]
            measure(row, kind, results)
            row[f"{kind}_run"] = median_of(results, "run_seconds")
    finally:
        drop_database(admin_url, name)
    return row


def print_tables(table: list[dict[str, Any]]) -> None:
    def took(seconds: float) -> str:
        return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"

    def ratio(row: dict[str, Any], top: str, bottom: str) -> str:
        return f"{row[top] / row[bottom]:.1f}x" if top in row and bottom in row else "–"

    print()
    print("| orders | first sync | peak RSS | COPY floor | first / COPY | naive | naive / first "
          "| 1% re-sync | peak RSS | listing floor | re-sync / floor |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in table:
        print(
            f"| {row['orders']:,} | {took(row['first'])} | {row['first_rss']:.0f} MB "
            f"| {took(row['copy']) if 'copy' in row else '–'} | {ratio(row, 'first', 'copy')} "
            f"| {took(row['naive']) if 'naive' in row else '–'} | {ratio(row, 'naive', 'first')} "
            f"| {took(row['resync'])} | {row['resync_rss']:.0f} MB | {took(row['floor'])} "
            f"| {ratio(row, 'resync', 'floor')} |"
        )
    print()
    print(
        "| orders | unchanged, 304: run (call) | unchanged, full listing | listing (JSON) "
        "| over the wire (gzip) |"
    )
    print("|---:|---:|---:|---:|---:|")
    for row in table:
        print(
            f"| {row['orders']:,} | {took(row['unchanged_304_run'])} ({took(row['unchanged_304'])}) "
            f"| {took(row['unchanged_full'])} "
            f"| {row['json_bytes'] / 1e6:,.1f} MB | {row['wire_bytes'] / 1e6:,.1f} MB "
            f"({row['json_bytes'] / row['wire_bytes']:.1f}x less) |"
        )
    sizes = {row["orders"]: row for row in table}
    if 100_000 in sizes and 1_000_000 in sizes:
        small, large = sizes[100_000], sizes[1_000_000]
        print()
        print(f"1,000,000 / 100,000: first sync {large['first'] / small['first']:.1f}x the time, "
              f"{large['first_rss'] / small['first_rss']:.2f}x the peak RSS")  # fmt: skip


if __name__ == "__main__":
    main()
