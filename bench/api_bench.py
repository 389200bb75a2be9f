"""API latency benchmark: `python -m bench.api_bench` (or `make bench-api`).

Loads 1,000,000 orders (3 items each, over the last 365 days) and 2,000 products straight into a fresh
database with SQL (the sync's own speed is `bench/sync_bench.py`'s business), computes the trends and
analytics with the sync's own statements, then calls the handlers in-process through
`chalice.test.Client` (authorizer, validation, SQL, JSON: everything but the network) and prints
p50/p95/p99 over --calls calls (default 500) per case.

Options: --orders 1000000, --calls 500, --database-url URL (a superuser URL; default TEST_DATABASE_URL or
an embedded server), --keep (reuse a loaded database named strattera_api_bench).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.sync_bench import _database, admin, admin_database

TOKEN = "bench-admin-token-0123456789"
TZ = "Europe/Moscow"

LOAD = [
    "SELECT setseed(0.42)",
    """INSERT INTO products (external_id, name, normalized_name, category, brand, upstream_price,
                             upstream_stock_quantity, upstream_hash)
       SELECT g, 'Product ' || g, 'product ' || g,
              (ARRAY['СДВГ', 'Для похудения', 'Противозачаточные', 'Другое'])[1 + g % 4],
              'Brand ' || (g % 50), (500 + (g * 37) % 9000)::numeric, (g * 13) % 120, '\\x00'::bytea
       FROM generate_series(1, :products) g""",
    """INSERT INTO orders (external_id, upstream_status, total_amount, delivery_cost, bonus, bank_card,
                           customer_name, customer_city, customer_telegram_id, created_at, paid_at,
                           upstream_hash)
       SELECT g,
              (ARRAY['shipped', 'shipped', 'shipped', 'shipped', 'paid', 'processing', 'cancelled',
                     'unpaid', 'overdue', 'delivered'])[1 + floor(random() * 10)::int],
              (1000 + floor(random() * 40000))::numeric, 350, 0, NULL,
              (ARRAY['Анна', 'Иван', 'Мария', 'Дмитрий', 'Елена', 'Алексей', 'Ольга', 'Сергей'])[1 + g % 8]
                  || ' ' || (ARRAY['Иванова', 'Петров', 'Смирнова', 'Кузнецов', 'Попова', 'Соколов',
                                   'Лебедева', 'Козлов', 'Новикова'])[1 + (g / 8) % 9] || ' ' || (g % 997),
              (ARRAY['Москва', 'Санкт-Петербург', 'Казань', 'Новосибирск', 'Екатеринбург', 'Краснодар',
                     'Самара', 'Уфа', 'Пермь', 'Воронеж'])[1 + g % 10],
              100000000 + g,
              t, t + interval '1 hour', '\\x00'::bytea
       -- random() in the select list of the subquery: once per order (an uncorrelated LATERAL
       -- subquery ran once, and gave every order the same time)
       FROM (SELECT g, now() - random() * interval '365 days' AS t FROM generate_series(1, :orders) g) s""",
    """INSERT INTO order_items (order_id, position, name, normalized_name, quantity, price, product_id)
       SELECT o.id, p, 'Product ' || pid, 'product ' || pid, 1 + (o.id + p) % 3, 1000, pid
       FROM orders o, generate_series(1, 3) p,
            LATERAL (SELECT 1 + ((o.id * 31 + p * 17) % :products) AS pid) x""",
    # Costs: half the products had one from the start, changed 100 days ago for a quarter (what the
    # profit reads: each order at the cost in force when it was created); the rest have none.
    """INSERT INTO staff_edits (entity, entity_id, field, new_value, edited_by, edited_at)
       SELECT 'product', id, 'cost', to_jsonb(round(upstream_price * 0.55, 2)::text), 'bench',
              now() - interval '400 days'
       FROM products WHERE id % 2 = 0
       UNION ALL
       SELECT 'product', id, 'cost', to_jsonb(round(upstream_price * 0.6, 2)::text), 'bench',
              now() - interval '100 days'
       FROM products WHERE id % 4 = 0""",
    """UPDATE products SET staff_cost = round(upstream_price * CASE WHEN id % 4 = 0 THEN 0.6 ELSE 0.55 END, 2)
       WHERE id % 2 = 0""",
]


def load(url: str, orders: int, products: int) -> None:
    from chalicelib.stores import analytics

    db = _database(url)
    started = time.perf_counter()
    with db.transaction() as conn:
        for statement in LOAD:
            conn.run(
                statement,
                **{k: v for k, v in {"orders": orders, "products": products}.items() if f":{k}" in statement},
            )
    today = date.today()
    with db.transaction() as conn:
        conn.run("SET LOCAL work_mem = '256MB'")
        conn.run("ANALYZE")
        analytics.refresh_days(conn, [today - timedelta(days=d) for d in range(367)], tz=TZ)
        analytics.record_stock_levels(conn, tz=TZ)
        analytics.recompute_analytics(conn, tz=TZ)
    with db.connection() as conn:
        conn.run("VACUUM ANALYZE")
    db.close()
    print(
        f"loaded {orders:,} orders and {products:,} products in {time.perf_counter() - started:.0f} s",
        flush=True,
    )


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(client: Any, name: str, paths: Callable[[int], str], calls: int) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    for i in range(10):  # warm the connection, the caches and the plans
        client.http.get(paths(i), headers=headers)
    samples = []
    for i in range(calls):
        path = paths(i)
        started = time.perf_counter()
        response = client.http.get(path, headers=headers)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.body[:300])
    return {
        "case": name,
        "p50": statistics.median(samples),
        "p95": percentile(samples, 0.95),
        "p99": percentile(samples, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    database_arguments(parser)
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()

    with loaded(args) as url:
        run_cases(url, args)


NAME = "strattera_api_bench"


def database_arguments(parser: argparse.ArgumentParser) -> None:
    """What `loaded` reads: --orders, --products, --database-url, --keep."""
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--products", type=int, default=2_000)
    parser.add_argument("--database-url")
    parser.add_argument("--keep", action="store_true", help=f"reuse (or keep) the database {NAME}")


@contextmanager
def loaded(args: argparse.Namespace) -> Iterator[str]:
    """The URL of the loaded database (see `loaded_database`); dropped afterwards unless --keep."""
    admin_url, server = admin_database(args.database_url)
    try:
        yield loaded_database(admin_url, args)
    finally:
        if not args.keep:
            admin(admin_url, f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
        if server:
            server.stop()


def loaded_database(admin_url: str, args: argparse.Namespace) -> str:
    """The URL of `NAME` holding `args.orders` orders: loaded now, or (with --keep) as a run before
    left it, brought up to the current migrations."""
    from chalicelib.migrate import migrate

    url = urlunsplit(urlsplit(admin_url)._replace(path=f"/{NAME}"))
    exists = bool(_database(admin_url).run("SELECT 1 FROM pg_database WHERE datname = :n", n=NAME))
    loaded = exists and _database(url).run("SELECT count(*) FROM orders") == [[args.orders]]
    if not (args.keep and loaded):
        admin(admin_url, f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
        admin(admin_url, f'CREATE DATABASE "{NAME}"')
        migrate(_database(url))
        load(url, args.orders, args.products)
    migrate(_database(url))
    return url


HISTORY_ORDER = 1
HISTORY_EVENTS = 1_000

# The timeline case's order: 1,000 shop events (a status back and forth, one a day) and the record's
# creation; rewritten on every run, so a kept database gives the same case.
SEED_HISTORY = """
WITH gone AS (DELETE FROM record_events WHERE entity = 'order' AND entity_id = :id)
INSERT INTO record_events (entity, entity_id, kind, changes, seen_at)
SELECT 'order', :id, 'changed',
       jsonb_build_object('status', CASE WHEN n % 2 = 0 THEN '["paid", "shipped"]'::jsonb
                                         ELSE '["shipped", "paid"]'::jsonb END),
       now() - make_interval(days => n)
FROM generate_series(1, :events) n
"""


def run_cases(url: str, args: argparse.Namespace) -> None:
    _database(url).run(SEED_HISTORY, id=HISTORY_ORDER, events=HISTORY_EVENTS)
    os.environ.update(DATABASE_URL=url, API_TOKENS=f"bench:{TOKEN}", STRATTERA_TIMEZONE=TZ)
    from chalice.test import Client

    from app import app
    from chalicelib import wiring

    wiring.reset()
    rng = random.Random(7)
    today = date.today()
    month_ago = today - timedelta(days=30)
    year_ago = today - timedelta(days=364)
    cities = ["Москва", "Казань", "Самара", "Пермь", "Уфа"]
    cases: list[tuple[str, Callable[[int], str]]] = [
        (
            "orders: status + 30-day range",
            lambda i: (
                f"/api/orders?status=shipped&date_from={month_ago}&date_to={today}&offset={50 * (i % 5)}"
            ),
        ),
        ("orders: deep page (offset 100,000)", lambda i: f"/api/orders?offset={100_000 + i % 50}"),
        ("orders: search q", lambda i: f"/api/orders?q={cities[i % len(cities)]}%20{rng.randrange(1000)}"),
        ("one order", lambda i: f"/api/orders/{rng.randrange(1, args.orders)}"),
        ("one product", lambda i: f"/api/products/{rng.randrange(1, args.products)}"),
        (
            f"an order's history ({HISTORY_EVENTS:,} events, 50 a page)",
            lambda i: f"/api/orders/{HISTORY_ORDER}/history?offset={50 * (i % 20)}",
        ),
        (
            "products with analytics",
            lambda i: f"/api/products?limit=50&offset={50 * (i % 40)}&sort=-avg_daily_sales_30d",
        ),
        ("stats over a year", lambda i: f"/api/orders/stats?date_from={year_ago}&date_to={today}"),
        ("purchasing list (the console's page: up to 2,000 lines)", lambda i: "/api/purchasing?limit=2000"),
        (
            "profit per month for a year",
            lambda i: f"/api/profit?group=month&date_from={year_ago}&date_to={today}",
        ),
        ("profit per day for 30 days", lambda i: f"/api/profit?date_from={month_ago}&date_to={today}"),
        (
            "profit per product for a year (50 a page)",
            lambda i: f"/api/profit/products?date_from={year_ago}&date_to={today}&offset={50 * (i % 10)}",
        ),
        (
            "profit per category for a year",
            lambda i: f"/api/profit/categories?date_from={year_ago}&date_to={today}",
        ),
    ]
    cores = os.cpu_count()
    print(f"{args.orders:,} orders, {args.products:,} products; {args.calls} calls a case; {cores} cores")
    print("| case | p50 | p95 | p99 |")
    print("|---|---:|---:|---:|")
    with Client(app) as client:
        for case, paths in cases:
            result = measure(client, case, paths, args.calls)
            print(
                f"| {case} | {result['p50']:.1f} ms | {result['p95']:.1f} ms | {result['p99']:.1f} ms |",
                flush=True,
            )


if __name__ == "__main__":
    main()
