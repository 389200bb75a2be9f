"""Console benchmark: `python -m bench.console_bench` (or `make bench-console`).

Loads 1,000,000 orders and 2,000 products as `bench/api_bench.py` does (or reuses that database with
--keep), serves the app with `chalice local`, and opens each console page in headless Chromium, cold:
every load is a full page load (the files revalidated, 304), then the API calls, then the render.
Prints, per page, the median and the slowest of --loads loads, from navigation to the data on screen;
and what a first visit transfers: the console's files (as sent, and gzipped as API Gateway sends them)
and the overview's API calls.
"""

from __future__ import annotations

import argparse
import gzip
import os
import pathlib
import platform
import statistics
import time
from datetime import date, timedelta
from typing import Any

from bench.api_bench import database_arguments, loaded
from devtools.served_app import ADMIN_TOKEN, serve_app

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def pages(orders: int) -> list[tuple[str, str, str]]:
    """(name, fragment, what shows that the data is on screen)."""
    today = date.today()
    month_ago = today - timedelta(days=30)
    deep = max(0, min(100_000, orders - 50))  # 100,000 when there are that many
    return [
        ("overview (status, runs, figures, 30-day chart)", "/", ".chart svg"),
        ("orders, first page", "/orders", "table.orders tbody tr"),
        (
            "orders: status + 30 days",
            f"/orders?status=shipped&date_from={month_ago}&date_to={today}",
            "table.orders tbody tr",
        ),
        ("orders: search", "/orders?q=%D0%9A%D0%B0%D0%B7%D0%B0%D0%BD%D1%8C%20512", "p.total"),
        (f"orders: a deep page (offset {deep:,})", f"/orders?offset={deep}", "table.orders tbody tr"),
        ("one order", f"/orders/{orders // 2}", "#order-status"),
        ("products, first page", "/products", "table.products tbody tr"),
        ("one product (with 30-day trends)", "/products/7", ".chart svg"),
        ("purchasing (every line to order)", "/purchasing", ".purchase-table tbody tr"),
        (
            "profit per month for a year",
            f"/profit?group=month&date_from={today - timedelta(days=364)}&date_to={today}",
            "[data-table=products] tbody tr",
        ),
    ]


def measure(url: str, loads: int, orders: int) -> None:
    from playwright.sync_api import expect, sync_playwright

    from chalicelib.routes.console import ASSETS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=FLAGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(60_000)
        finished: list[Any] = []
        page.on("requestfinished", lambda request: finished.append(request))
        page.goto(url)
        page.fill("#token", ADMIN_TOKEN)
        page.press("#token", "Enter")
        page.wait_for_selector(".chart svg")
        expect(page.locator(".loading")).to_have_count(0)
        files = [r for r in finished if "/api/" not in r.url]
        calls = [r for r in finished if "/api/" in r.url]
        sent = sum(r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"] for r in files)
        zipped = 0
        for request in files:
            name = request.url.split("/console/", 1)[1] if "/console/" in request.url else "index.html"
            zipped += len(gzip.compress(ASSETS[name].body.encode(), 6))
        api_bytes = sum(r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"] for r in calls)
        print(
            f"first visit: {len(files)} files, {sent / 1000:.1f} kB as sent here (headers included), "
            f"{zipped / 1000:.1f} kB of bodies gzipped (API Gateway); the overview's {len(calls)} API calls "
            f"{api_bytes / 1000:.1f} kB"
        )
        print("| page | median | slowest |")
        print("|---|---:|---:|")
        for name, fragment, ready in pages(orders):
            samples = []
            for _ in range(loads):
                page.goto("about:blank")
                started = time.perf_counter()
                page.goto(f"{url}#{fragment}")
                page.wait_for_selector(ready)
                expect(page.locator(".loading")).to_have_count(0)
                samples.append((time.perf_counter() - started) * 1000)
            print(f"| {name} | {statistics.median(samples):.0f} ms | {max(samples):.0f} ms |", flush=True)
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    database_arguments(parser)
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()

    with loaded(args) as url:
        print(
            f"{args.orders:,} orders, {args.products:,} products; {os.cpu_count()} cores, "
            f"{platform.machine()}, Python {platform.python_version()}; {args.loads} loads a page"
        )
        with serve_app(
            database_url=url,
            shop_url="http://127.0.0.1:9/api/v1",  # no sync runs here
            shop_token="bench-shop-token",
            log=pathlib.Path("build/console-bench-chalice.log"),
        ) as served:
            measure(served.url, args.loads, args.orders)


if __name__ == "__main__":
    main()
