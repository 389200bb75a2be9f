"""Export memory benchmark: `python -m bench.export_bench` (or `make bench-export`).

On the API benchmark's database (1,000,000 orders, 2,000 products: `bench/api_bench.py` loads it, or
reuses it with --keep), each case runs in a process of its own, as a warm Lambda would serve it: the app
imported, one small export served (so that the CSV and XLSX writers are loaded), then the peak RSS
reset (/proc/self/clear_refs) and read as the idle RSS, the case's request made through
`chalice.test.Client` (the authorizer, the query's validation, the cursor, the writer, the base64 of a
binary answer), and the peak RSS read again. It prints per case the answer, the rows and bytes of
the file, the time, the idle and peak RSS and their ratio (target: under 1.2, issue 20).

Options: those of the API benchmark (--orders, --products, --database-url, --keep).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from typing import Any

from bench.api_bench import TOKEN, TZ, database_arguments, loaded
from bench.sync_bench import _database


def rss_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


def one(url: str, path: str) -> dict[str, Any]:
    """Serve `path` in this (fresh) process and measure it: what the child prints."""
    os.environ.update(DATABASE_URL=url, API_TOKENS=f"bench:{TOKEN}", STRATTERA_TIMEZONE=TZ)
    from chalice.test import Client

    from app import app

    # Chalice sends a binary answer only to a client that accepts it, as a browser does.
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "*/*"}
    with Client(app) as client:
        for fmt in ("csv", "xlsx"):  # warm: the writers imported, the connection open
            warm = client.http.get(f"/api/exports/products?category=none&format={fmt}", headers=headers)
            assert warm.status_code == 200, warm.body[:300]
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # the peak RSS (VmHWM) starts again from the RSS of now
        idle = rss_kb("VmRSS")
        started = time.perf_counter()
        response = client.http.get(path, headers=headers)
        seconds = time.perf_counter() - started
        peak = rss_kb("VmHWM")
    body = response.body
    answer = {"status": response.status_code, "bytes": len(body), "seconds": seconds}
    if response.status_code == 200 and path.startswith("/api/exports/orders") and "xlsx" not in path:
        answer["rows"] = body.count(b"\r\n") - 1
    elif response.status_code != 200:
        answer["error"] = json.loads(body)["error"]["code"]
    return answer | {"idle_mb": idle / 1024, "peak_mb": peak / 1024}


def orders_range(url: str, wanted: int) -> tuple[date, date]:
    """The shortest range ending today that holds at least `wanted` orders (shop days)."""
    today = date.today()
    rows = _database(url).run(
        """SELECT d::date, sum(count(*)) OVER (ORDER BY d DESC)
           FROM (SELECT (created_at AT TIME ZONE :tz)::date AS d FROM orders) o
           GROUP BY d ORDER BY d DESC""",
        tz=TZ,
    )
    for day, total in rows:
        if total >= wanted:
            return day, today
    return today - timedelta(days=365), today


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    database_arguments(parser)
    parser.add_argument("--one", nargs=2, metavar=("URL", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(*args.one)))
        return

    with loaded(args) as url:
        year = f"date_from={date.today() - timedelta(days=364)}&date_to={date.today()}"
        cases: list[tuple[str, str]] = []
        for wanted in (100_000, 20_000):
            first, last = orders_range(url, wanted)
            for fmt in ("csv", "xlsx"):
                span = f"date_from={first}&date_to={last}"
                cases.append((f"orders, {wanted:,} ({fmt})", f"/api/exports/orders?{span}&format={fmt}"))
        cases += [
            ("products, all 2,000 (xlsx)", "/api/exports/products?format=xlsx"),
            ("purchasing list (xlsx)", "/api/exports/purchasing?format=xlsx"),
            (
                "profit per product for a year (xlsx)",
                f"/api/exports/profit?table=products&{year}&format=xlsx",
            ),
        ]
        print(f"{args.orders:,} orders, {args.products:,} products; one process a case")
        print("| case | answer | file | time | idle RSS | peak RSS | peak / idle |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for name, path in cases:
            child = subprocess.run(
                [sys.executable, "-m", "bench.export_bench", "--one", url, path],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            r = json.loads(child.stdout.strip().splitlines()[-1])
            answer = "200" if r["status"] == 200 else f"{r['status']} {r['error']}"
            if "rows" in r:
                answer += f", {r['rows']:,} rows"
            size = f"{r['bytes'] / 1_000_000:.2f} MB" if r["status"] == 200 else "—"
            print(
                f"| {name} | {answer} | {size} | {r['seconds']:.2f} s | {r['idle_mb']:.0f} MB"
                f" | {r['peak_mb']:.0f} MB | {r['peak_mb'] / r['idle_mb']:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
