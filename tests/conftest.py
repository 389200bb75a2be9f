"""Fixtures: a real PostgreSQL (see devtools.postgres for where it comes from) and the fake shop.

Each test session creates its own database and migrates it once; each test starts from empty tables.
Tests that need an empty, unmigrated database ask for `empty_database_url`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import pg8000.native
import pytest

from chalicelib.config import parse_database_url
from chalicelib.db import Database
from chalicelib.migrate import migrate
from chalicelib.shop_client import ShopClient
from chalicelib.sync import SyncService
from chalicelib.sync.orders import OrdersSync
from chalicelib.sync.products import ProductsSync
from devtools.fake_shop import FakeShop
from devtools.postgres import PostgresServer, chosen_test_server, server_from_env_or_start
from devtools.served_app import ServedApp, serve_app
from devtools.shop_data import ShopData

DATA_TABLES = (
    "alarm_state_changes",
    "alert_incidents",
    "digests_sent",
    "listing_validators",
    "analytics_state",
    "order_daily_stats",
    "staff_edits",
    "sync_quarantine",
    "sync_runs",
    "product_trends",
    "product_analytics",
    "order_items",
    "orders",
    "products",
)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_run(admin_url: str, sql: str) -> None:
    p = parse_database_url(admin_url)
    conn = pg8000.native.Connection(
        user=p.user,
        password=p.password,
        host=p.host,
        port=p.port,
        database=p.database,
        unix_sock=p.unix_sock,
    )
    try:
        conn.run(sql)
    finally:
        conn.close()


def database_for(url: str, **kwargs: object) -> Database:
    params = parse_database_url(url)
    return Database(lambda refresh: params, **kwargs)  # type: ignore[arg-type]


def pytest_report_header() -> str:
    which, why = chosen_test_server()
    return f"PostgreSQL for the tests: {which} ({why})"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = server_from_env_or_start()
    yield server


def _create_database(postgres: PostgresServer, prefix: str) -> tuple[str, str]:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin_run(postgres.admin_url, f'CREATE DATABASE "{name}"')
    return name, with_database(postgres.admin_url, name)


def _drop_database(postgres: PostgresServer, name: str) -> None:
    admin_run(postgres.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _create_migrated_database(postgres: PostgresServer, prefix: str) -> tuple[str, str]:
    name, url = _create_database(postgres, prefix)
    db = database_for(url)
    migrate(db)
    db.close()
    return name, url


@pytest.fixture(scope="session")
def database_url(postgres: PostgresServer) -> Iterator[str]:
    """A migrated database for this test session."""
    name, url = _create_migrated_database(postgres, "strattera_test")
    yield url
    _drop_database(postgres, name)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The session's migrated database, emptied before the test."""
    database = database_for(database_url)
    database.run(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE")
    yield database
    database.close()


def wait_until(condition: Callable[[], Any], *, what: str, timeout_s: float = 30.0) -> None:
    """Until `condition()` is true, asked every 10 ms (no fixed sleep: a busy machine only makes it
    slower); fails naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout_s} s for {what}")
        time.sleep(0.01)


# Advisory locks granted in this test's own database (pg_locks shows the whole cluster's, and other
# test sessions may run beside this one): a sync run holds one while it runs.
SYNC_LOCKS = """
SELECT pid FROM pg_locks
WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


def sync_lock_holders(db: Database) -> list[int]:
    """The server pids of the sync runs going on in `db`'s database."""
    return [row[0] for row in db.run(SYNC_LOCKS)]


@pytest.fixture
def empty_database_url(postgres: PostgresServer) -> Iterator[str]:
    """A database of its own, with no schema at all."""
    name, url = _create_database(postgres, "strattera_empty")
    yield url
    _drop_database(postgres, name)


# -- the fake shop and a sync service wired to it ------------------------------------------------

SHOP_TOKEN = "shop-test-token-0123"
ZONE = ZoneInfo("Europe/Moscow")


@pytest.fixture
def shop_data() -> ShopData:
    return ShopData(orders=300, products=40, seed=11)


@pytest.fixture
def shop(shop_data: ShopData) -> Iterator[FakeShop]:
    with FakeShop(shop_data, token=SHOP_TOKEN) as running:
        yield running


@dataclass
class Sleeps:
    """The client's sleeps, recorded instead of slept (retries stay fast and can be checked)."""

    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def make_client(url: str, sleeps: Sleeps | None = None, **options: Any) -> ShopClient:
    options.setdefault("read_timeout_s", 5.0)
    options.setdefault("backoff_s", 0.01)
    return ShopClient(url, lambda refresh: SHOP_TOKEN, sleep=sleeps or Sleeps(), **options)


@pytest.fixture
def listing_dir(tmp_path: Path) -> Iterator[Path]:
    """The test's own folder for listing files: every run must have removed its file by the end,
    whether it succeeded, failed or raised."""
    folder = tmp_path / "listings"
    yield folder
    assert not folder.exists() or sorted(p.name for p in folder.iterdir()) == []


@pytest.fixture
def sync(db: Database, shop: FakeShop, sleeps: Sleeps, listing_dir: Path) -> SyncService:
    return SyncService(
        db,
        make_client(shop.url, sleeps),
        {"orders": OrdersSync(ZONE), "products": ProductsSync(ZONE)},
        deadline_s=60,
        listing_dir=str(listing_dir),
    )


@pytest.fixture
def app_env(
    monkeypatch: pytest.MonkeyPatch, db: Database, database_url: str, shop: FakeShop
) -> Iterator[None]:
    """The environment a deployed app would have, pointing at the test database and the fake shop."""
    from chalicelib import wiring

    for name, value in {
        "DATABASE_URL": database_url,
        "STRATTERA_API_URL": shop.url,
        "STRATTERA_API_TOKEN": SHOP_TOKEN,
        "STRATTERA_TIMEZONE": "Europe/Moscow",
        "API_TOKENS": "tester:test-admin-token-0123456789",
        "API_READONLY_TOKENS": "viewer:test-viewer-token-0123456789",
    }.items():
        monkeypatch.setenv(name, value)
    wiring.reset()
    yield
    wiring.reset()


@pytest.fixture(scope="module")
def aws_url() -> Iterator[str]:
    """moto's server on 127.0.0.1 playing AWS (Secrets Manager, SSM) over real HTTP."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


# -- the app served over HTTP, as people run it, and a browser for its console -------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's), one for the session: tests/browser.py."""
    from tests.browser import launched

    yield from launched()


ARTIFACTS = Path(__file__).resolve().parent.parent / "build" / "test-artifacts"


@contextmanager
def served_shop(postgres: PostgresServer, data: ShopData, name: str) -> Iterator[ServedApp]:
    """`chalice local` on a migrated database of its own, synced once from a fake shop serving `data`
    (which a test may change: the shop keeps running); its output in build/test-artifacts."""
    database, url = _create_migrated_database(postgres, f"strattera_{name}")
    try:
        with (
            FakeShop(data, token=SHOP_TOKEN) as running,
            serve_app(
                database_url=url,
                shop_url=running.url,
                shop_token=SHOP_TOKEN,
                log=ARTIFACTS / f"chalice-{name}.log",
            ) as served,
        ):
            status, body = served.call("POST", "api/sync-all")
            assert status == 200, body
            yield served
    finally:
        _drop_database(postgres, database)


@pytest.fixture(scope="session")
def served_app(postgres: PostgresServer) -> Iterator[ServedApp]:
    """The app as people run it, on a shop of 300 orders and 40 products."""
    with served_shop(postgres, ShopData(orders=300, products=40, seed=11), "served") as served:
        yield served
