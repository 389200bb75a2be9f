"""What a run reads of the stored orders before the listing (`stored_digests`): every order's id and
digest, through COPY's binary form, the same as a plain query gives them."""

from __future__ import annotations

import io

import pytest

from chalicelib.db import Database
from chalicelib.stores.copy import _BinaryRows, copy_out_rows
from chalicelib.sync.compact import StoredDigests
from chalicelib.sync.orders import ORDER_DIGESTS, stored_digests

# Ids across several of the query's pieces (65,536 ids each), at both ends of a piece and far apart.
IDS = [1, 2, 65_535, 65_536, 65_537, 200_000, 2**40, 2**62]


@pytest.fixture
def stored(db: Database) -> Database:
    db.run(
        """INSERT INTO orders (external_id, upstream_status, total_amount, created_at, upstream_hash,
                               deleted_upstream_at)
           SELECT id, 'paid', 10, now(), decode(lpad(to_hex(id % 4096), 32, '0'), 'hex'),
                  CASE WHEN id % 2 = 0 THEN now() END
           FROM unnest(CAST(:ids AS bigint[])) AS id""",
        ids=IDS,
    )
    db.run("UPDATE orders SET upstream_hash = '\\x0102'::bytea WHERE external_id = 65537")  # not 16 bytes
    return db


def test_stored_digests_are_what_a_plain_query_reads(stored: Database):
    expected = {
        row[0]: (bytes(row[1]) if len(row[1]) == 16 else bytes(16), row[2])
        for row in stored.run(
            "SELECT external_id, upstream_hash, deleted_upstream_at IS NOT NULL FROM orders"
        )
    }
    with stored.connection() as conn:
        digests = stored_digests(conn)
    assert dict(digests.items()) == expected
    assert len(digests) == len(IDS) and digests.listed_count() == sum(1 for i in IDS if i % 2)


def test_binary_rows_are_read_however_the_copy_is_cut(stored: Database):
    # pg8000 hands over a message at a time; here the same bytes come one at a time instead.
    whole = io.BytesIO()
    with stored.connection() as conn:
        conn.run(f"COPY ({ORDER_DIGESTS}) TO STDOUT (FORMAT binary)", stream=whole)
        at_once: list[list[bytes | None]] = []
        copy_out_rows(conn, ORDER_DIGESTS, at_once.append)
    piecewise: list[list[bytes | None]] = []
    rows = _BinaryRows(piecewise.append)
    for byte in whole.getvalue():
        rows.write(bytes([byte]))
    assert rows.ended and piecewise == at_once
    assert len(at_once) == 5  # the pieces of 65,536 ids that hold one
    assert at_once[0][2] is not None and at_once[-1][2] is not None  # ids 2 and 2**62: deleted


def test_digests_come_in_ascending_pieces_or_not_at_all():
    held = StoredDigests()
    held.extend((5).to_bytes(8, "big"), bytes(16))
    with pytest.raises(ValueError, match="ascending"):
        held.extend((5).to_bytes(8, "big"), bytes(16))
    assert len(held) == 1
