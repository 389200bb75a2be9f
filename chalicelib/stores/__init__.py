"""The stores: the SQL of one aggregate each, set-based, with `:named` parameters.

Functions take the connection (inside the caller's transaction) as their first argument.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chalicelib.db import Connection, Database, rows_as_dicts


def read_one_snapshot(conn: Connection) -> None:
    """The rest of this transaction reads one snapshot and writes nothing: a list's total and its page,
    or a range's stats, agree with each other however the sync writes meanwhile."""
    conn.run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


def ping(db: Database) -> None:
    """One round trip on a live connection (a stale pooled one is replaced): the database answers."""
    db.run("SELECT 1")


def contains_pattern(q: str | None) -> str | None:
    """An ILIKE pattern matching `q` anywhere, with `%`, `_` and `\\` in `q` taken literally."""
    if not q or not q.strip():
        return None
    escaped = q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


EXPORT_BATCH = 2_000


def streamed(conn: Connection, sql: str, **params: Any) -> Iterator[dict[str, Any]]:
    """The rows of `sql` as dicts, fetched EXPORT_BATCH at a time through a cursor (inside the
    caller's transaction): a file of 50,000 rows holds one batch in memory, not all of them."""
    conn.run(f"DECLARE streamed NO SCROLL CURSOR FOR {sql}", **params)
    while rows := conn.run(f"FETCH {EXPORT_BATCH} FROM streamed"):
        yield from rows_as_dicts(conn, rows)
    conn.run("CLOSE streamed")
