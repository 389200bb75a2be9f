"""Listings of any size: streamed into a file and parsed from it in flat memory, gzip inflated as it
arrives (a bomb refused, a broken stream failing the run), and the file removed on every path."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import os
import re
import resource
import signal
import subprocess
import sys
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from chalicelib.db import Connection, Database
from chalicelib.errors import UpstreamFormatError
from chalicelib.shop_client import PIECE, Gunzip
from chalicelib.sync import SyncService, spool
from chalicelib.sync.compact import StoredDigests
from chalicelib.sync.listing import DIGEST_VERSION, Changes, KnownDict, Outcome, iter_records, scan_records
from chalicelib.sync.orders import OrdersSync
from chalicelib.sync.products import ProductsSync
from devtools.fake_shop import FakeShop
from devtools.shop_data import ShopData
from tests.conftest import DATA_TABLES, SHOP_TOKEN, ZONE, make_client, sync_lock_holders

ROOT = Path(__file__).resolve().parent.parent


def rows(db: Database) -> list[list[Any]]:
    """What a sync wrote, without our own ids and clocks."""
    return [
        *db.run("""SELECT external_id, upstream_status, total_amount, delivery_cost, bonus, bank_card,
                          customer_name, customer_city, created_at, paid_at, shipped_at, upstream_hash
                   FROM orders ORDER BY external_id"""),
        *db.run("""SELECT o.external_id, i.position, i.name, i.quantity, i.price, p.external_id
                   FROM order_items i JOIN orders o ON o.id = i.order_id
                   LEFT JOIN products p ON p.id = i.product_id ORDER BY 1, 2"""),
        *db.run("""SELECT external_id, name, category, upstream_price, upstream_stock_quantity, upstream_hash
                   FROM products ORDER BY external_id"""),
    ]


def listing_events(caplog: pytest.LogCaptureFixture) -> list[Any]:
    return [record for record in caplog.records if getattr(record, "event", None) == "listing"]


def service(
    db: Database, shop: FakeShop, listing_dir: Path, orders: OrdersSync | None = None, **client: Any
) -> SyncService:
    """A sync of the shop into the test's listing folder (`orders`: another applier for orders)."""
    appliers: dict[str, Any] = {"orders": orders or OrdersSync(ZONE), "products": ProductsSync(ZONE)}
    return SyncService(
        db, make_client(shop.url, **client), appliers, deadline_s=300, listing_dir=str(listing_dir)
    )


# -- gzip ----------------------------------------------------------------------------------------


def test_a_gzipped_listing_gives_the_same_rows_as_a_plain_one(
    db: Database, shop: FakeShop, sync: SyncService, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger="chalicelib.sync.service")
    assert [run.status for run in sync.run_all(trigger="cli")] == ["succeeded", "succeeded"]
    gzipped = [(event.encoding, event.bytes, event.wire_bytes) for event in listing_events(caplog)]
    assert [encoding for encoding, _, _ in gzipped] == ["gzip", "gzip"]
    assert all(wire < size / 3 for _, size, wire in gzipped)  # JSON compresses well
    from_gzip = rows(db)

    db.run(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE")
    caplog.clear()
    shop.gzip = False  # a shop that never compresses
    assert [run.status for run in sync.run_all(trigger="cli")] == ["succeeded", "succeeded"]
    plain = [(event.encoding, event.bytes, event.wire_bytes) for event in listing_events(caplog)]
    assert [encoding for encoding, _, _ in plain] == ["identity", "identity"]
    assert [size for _, size, _ in plain] == [size for _, size, _ in gzipped]
    assert rows(db) == from_gzip and len(from_gzip) > len(shop.data.orders)


def test_a_gzip_bomb_is_refused_and_writes_nothing(db: Database, shop: FakeShop, listing_dir: Path):
    sync = service(db, shop, listing_dir, max_bytes=8 * 1024 * 1024)
    assert sync.run("products", trigger="cli").status == "succeeded"
    before = rows(db)
    shop.fail("gzip_bomb", size=1024**3, path="products")  # 1 GiB of JSON whitespace in ~1 MB
    run = sync.run("products", trigger="cli")
    assert run.status == "failed"
    assert run.error and "larger than 8388608 bytes once decompressed (SYNC_LISTING_MAX_BYTES)" in run.error
    assert rows(db) == before
    assert len(shop.requests_for("products")) == 2  # refused, not retried


def test_a_gzip_stream_that_breaks_off_fails_the_run_and_writes_nothing(
    db: Database, shop: FakeShop, sync: SyncService
):
    sync.run_all(trigger="cli")
    before = rows(db)
    shop.data.change_orders(20)
    shop.fail("cut_gzip", path="orders")
    run = sync.run("orders", trigger="cli")
    assert run.status == "failed" and "gzip stream broke off" in (run.error or "")
    assert rows(db) == before
    assert sync.run("orders", trigger="cli").counts.updated == 20  # the next run takes it whole


def test_gunzip_inflates_in_bounded_pieces_across_members_and_chunk_edges():
    text = b'[{"id": 1}, ' + b" " * (5 * PIECE) + b'{"id": 2}]'
    members = gzip.compress(text[:1000]) + gzip.compress(text[1000:])  # two gzip members, as RFC 1952 allows
    inflate = Gunzip()
    out: list[bytes] = []
    for start in range(0, len(members), 7):  # chunks that split headers and blocks anywhere
        out.extend(inflate.feed(members[start : start + 7]))
    inflate.finish(len(members))
    assert b"".join(out) == text
    assert max(len(piece) for piece in out) <= PIECE
    cut = Gunzip()
    list(cut.feed(members[: len(members) // 2]))
    with pytest.raises(UpstreamFormatError, match="broke off"):
        cut.finish(len(members) // 2)
    with pytest.raises(UpstreamFormatError, match="gzip stream is broken"):
        list(Gunzip().feed(b"\x1f\x8b\x08\x00garbage, not deflate" + bytes(64)))


# -- parsing from the file --------------------------------------------------------------------------


def parsed(data: bytes) -> list[tuple[Any, bytes]]:
    return [(listed.value, listed.digest) for listed in iter_records(io.BytesIO(data))]


def test_records_across_every_window_edge_parse_as_json_does():
    # Far past one window (256 KiB): records, numbers and multi-byte characters cut at its edges.
    records = [
        {"id": n, "name": "Страттера ✓ " * (n % 7), "price": "1.5", "q": n * 7919} for n in range(6000)
    ]
    text = json.dumps(records, ensure_ascii=False, indent=1).encode()
    assert len(text) > 3 * 256 * 1024
    assert [value for value, _ in parsed(b"\xef\xbb\xbf" + text)] == records
    edge = 256 * 1024  # where the first window ends: a number, then a character, cut in two there
    assert parsed(b"[" + b" " * (edge - 5) + b"123456789]") == parsed(b"[123456789]")
    assert parsed(b'["' + b" " * (edge - 3) + 'Ж"]'.encode())[0][0] == " " * (edge - 3) + "Ж"


def test_a_records_digest_is_its_text_and_money_never_a_float():
    (one, digest_one), (_, digest_two), (three, digest_three) = parsed(
        b'[{"id": 1, "total": 1.50}, {"id": 1, "total": 1.50}, {"id": 1, "total": 1.5, "x": NaN}]'
    )
    assert digest_one == digest_two != digest_three
    assert one["total"] == Decimal("1.50") and isinstance(one["total"], Decimal)
    assert isinstance(three["x"], Decimal) and three["x"].is_nan()


def test_a_record_is_read_as_utf8_only_where_it_is_looked_at():
    data = '[{"id": 7, "name": "Страттера"}, {"name": "Без номера"}, {"id": 7, "name": "Дубль"}]'
    scanned = list(scan_records(io.BytesIO(data.encode())))
    first = scanned[0]
    assert first.rough["id"] == 7 and first.rough["name"] != "Страттера"  # the bytes as Latin-1
    assert first.exact().value == {"id": 7, "name": "Страттера"}
    # The digest is of the record's UTF-8 bytes, as the digests stored before were.
    own_bytes = f"{DIGEST_VERSION}\n".encode() + '{"id": 7, "name": "Страттера"}'.encode()
    assert first.digest == hashlib.blake2b(own_bytes, digest_size=16).digest()
    outcome = Outcome()
    changes = Changes(KnownDict(), outcome, "orders")
    assert [changes.admit(record) for record in scanned] == [first.digest, None, None]
    # What is quarantined is what the shop sent, not the Latin-1 reading.
    assert [q.payload for q in outcome.quarantined] == [{"name": "Без номера"}, {"id": 7, "name": "Дубль"}]
    broken = next(scan_records(io.BytesIO(b'[{"id": 1, "name": "\xff"}]')))
    with pytest.raises(UpstreamFormatError, match="not UTF-8"):
        broken.exact()


def test_a_record_nested_past_what_the_parser_follows_is_a_broken_listing():
    # The C scanner recurses a level at a time: a RecursionError would fail every run as an internal error.
    with pytest.raises(UpstreamFormatError, match="nests too deeply"):
        parsed(b'[{"id": 1, "x": ' + b"[" * 200_000 + b"]" * 200_000 + b"}]")


def test_a_record_past_the_limit_is_refused_not_held():
    # A window grows only for one record, and only so far: past it the listing is refused.
    with pytest.raises(UpstreamFormatError, match="a record runs past 16777216 bytes"):
        parsed(b'[{"id": 1, "name": "' + b"a" * (17 * 1024 * 1024) + b'"}]')


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"", "an empty body"),
        (b"  \n ", "nothing but whitespace"),
        (b'{"data": []}', "a JSON object, not an array"),
        (b"<html>", "something that is not JSON"),
        (b'[{"id": 1}, {"id": 2}', "breaks off"),
        (b'[{"id": 1}, {"id": 2', "broken"),
        (b'[{"id": 1},]', "broken"),
        (b'[{"id": 1}] [', "something follows the array"),
        (b'[{"id": 1} {"id": 2}]', "expected ',' or ']'"),
        (b'[{"id": 1, "name": "\xff"}]', "not UTF-8"),
    ],
)
def test_what_is_not_a_whole_json_array_is_refused_with_the_reason(body: bytes, says: str):
    with pytest.raises(UpstreamFormatError, match=re.escape(says)):
        parsed(body)


# -- flat memory -----------------------------------------------------------------------------------


def test_a_listing_far_larger_than_the_memory_the_run_takes_syncs_whole(db: Database, listing_dir: Path):
    data = ShopData(orders=40_000, products=60, seed=5)
    with FakeShop(data, token=SHOP_TOKEN) as shop:
        size = len(shop.body("orders"))
        shop.body("orders", compressed=True)  # made now: the shop shares this process's memory
        sync = service(db, shop, listing_dir, OrdersSync(ZONE, batch=500), read_timeout_s=60)
        assert sync.run("products", trigger="cli").status == "succeeded"
        tracemalloc.start()
        try:
            run = sync.run("orders", trigger="cli")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert run.status == "succeeded" and run.counts.created == 40_000
    assert db.run("SELECT count(*), count(DISTINCT external_id) FROM orders") == [[40_000, 40_000]]
    items = sum(len(order["order_items"]) for order in data.orders)
    assert db.run("SELECT count(*) FROM order_items") == [[items]]
    # The whole run (download, inflate, parse, validate, write) in well under the listing's size:
    # what it holds is a batch, not the listing (before streaming it held the body twice over).
    assert peak < size / 2.5, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB listing"


# -- the listing's file ----------------------------------------------------------------------------


class Watching(OrdersSync):
    """Orders, noting the listing folder's files while the listing is applied."""

    def __init__(self, folder: Path, fail_after: int | None = None) -> None:
        super().__init__(ZONE)
        self.folder = folder
        self.fail_after = fail_after
        self.seen: list[str] = []

    def apply(self, conn: Connection, listing: BinaryIO, stored: StoredDigests) -> Outcome:
        self.seen = sorted(os.listdir(self.folder))
        if self.fail_after is not None:
            records = iter_records(listing)
            for _ in range(self.fail_after):
                next(records)
            raise RuntimeError("a bug, half-way through the listing")
        return super().apply(conn, listing, stored)


def test_the_listing_lives_in_a_file_of_its_own_that_the_run_removes(
    db: Database, shop: FakeShop, listing_dir: Path
):
    applier = Watching(listing_dir)
    assert service(db, shop, listing_dir, applier).run("orders", trigger="cli").status == "succeeded"
    assert len(applier.seen) == 1 and applier.seen[0].startswith("strattera-listing-orders-")
    assert os.listdir(listing_dir) == []


def test_a_failed_run_removes_its_file(db: Database, shop: FakeShop, listing_dir: Path):
    shop.fail("status", status=500, times=10)
    run = service(db, shop, listing_dir, Watching(listing_dir)).run("orders", trigger="cli")
    assert run.status == "failed" and os.listdir(listing_dir) == []
    shop.faults.clear()
    shop.fail("cut_json", path="orders")  # fails while it parses
    run = service(db, shop, listing_dir, Watching(listing_dir)).run("orders", trigger="cli")
    assert run.status == "failed" and "broken" in (run.error or "") and os.listdir(listing_dir) == []


def test_an_exception_half_way_through_the_parse_removes_the_file(
    db: Database, shop: FakeShop, listing_dir: Path
):
    applier = Watching(listing_dir, fail_after=10)
    run = service(db, shop, listing_dir, applier).run("orders", trigger="cli")
    assert run.status == "failed" and run.error == "internal error: RuntimeError"
    assert len(applier.seen) == 1 and os.listdir(listing_dir) == []
    assert db.run("SELECT count(*) FROM orders") == [[0]]


CHILD_RUN = """
import sys
from chalicelib.sync import SyncService
from chalicelib.sync.orders import OrdersSync
from tests.conftest import ZONE, database_for, make_client

database_url, shop_url, folder = sys.argv[1:]
client = make_client(shop_url, read_timeout_s=120)
SyncService(database_for(database_url), client, {"orders": OrdersSync(ZONE)}, listing_dir=folder).run(
    "orders", trigger="cli"
)
"""


def test_a_file_left_by_a_killed_run_is_removed_by_the_next_run(
    db: Database,
    database_url: str,
    shop: FakeShop,
    sync: SyncService,
    listing_dir: Path,
    caplog: pytest.LogCaptureFixture,
):
    shop.fail("hang", seconds=60, path="orders")  # the killed run is downloading when it dies
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD_RUN, database_url, shop.url, str(listing_dir)], cwd=ROOT
    )
    try:
        for _ in range(200):
            if listing_dir.exists() and os.listdir(listing_dir):
                break
            time.sleep(0.05)
        left = os.listdir(listing_dir)
        assert len(left) == 1
    finally:
        child.send_signal(signal.SIGKILL)  # as a Lambda timeout does: no finally, no cleanup
        child.wait(10)
    assert os.listdir(listing_dir) == left  # it is still there
    for _ in range(100):  # the server ends the dead run's session, and with it the run's lock
        if not sync_lock_holders(db):
            break
        time.sleep(0.05)

    caplog.set_level(logging.WARNING, logger="chalicelib.sync.spool")
    assert sync.run("orders", trigger="cli").status == "succeeded"
    assert os.listdir(listing_dir) == []
    removed = [r for r in caplog.records if getattr(r, "event", None) == "listing_leftover"]
    assert [Path(r.__dict__["path"]).name for r in removed] == left


def test_a_file_that_a_live_run_holds_is_left_alone(db: Database, sync: SyncService, listing_dir: Path):
    with spool.listing_file(str(listing_dir), "products") as held:  # another run, still going
        held.write(b"[")
        assert sync.run("orders", trigger="cli").status == "succeeded"
        assert os.path.exists(held.name) and os.listdir(listing_dir) == [os.path.basename(held.name)]
    assert os.listdir(listing_dir) == []


def test_a_full_disk_fails_the_run_with_the_reason_and_writes_nothing(
    db: Database, shop: FakeShop, sync: SyncService
):
    # A file size limit of 64 KiB for this process: writes past it fail as on a full /tmp (EFBIG
    # rather than ENOSPC, the same path), instead of the signal that would kill the process.
    previous_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, hard))
    try:
        run = sync.run("orders", trigger="cli")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous_handler)
    assert run.status == "failed"
    assert run.error and run.error.startswith("could not write the listing to ") and "too large" in run.error
    assert db.run("SELECT count(*) FROM orders") == [[0]]
    assert len(shop.requests_for("orders")) == 1  # our disk, not the shop: no retry


def test_the_client_writes_the_inflated_listing_to_the_file_it_is_given(shop: FakeShop):
    into = io.BytesIO()
    listing = make_client(shop.url).fetch_listing("orders", deadline=time.monotonic() + 30, into=into)
    assert into.getvalue() == shop.body("orders") and listing.size == len(into.getvalue())
    assert listing.encoding == "gzip" and listing.wire_bytes == len(shop.body("orders", compressed=True))
