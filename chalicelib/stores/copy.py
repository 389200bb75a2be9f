"""COPY rows into a table in one round trip (PostgreSQL's text format, built here)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from chalicelib.db import Connection

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


_FORMATS: dict[type, Callable[[Any], str]] = {
    type(None): lambda value: "\\N",
    str: lambda value: value.translate(_ESCAPES),
    bool: lambda value: "t" if value else "f",
    int: str,
    Decimal: str,
    datetime: datetime.isoformat,
    date: date.isoformat,
    bytes: lambda value: "\\\\x" + value.hex(),
}


def _field(value: Any) -> str:
    # One dict lookup per value: this runs for millions of values in a first sync.
    try:
        return _FORMATS[type(value)](value)
    except KeyError:
        raise TypeError(f"cannot COPY a {type(value).__name__}") from None


def copy_payload(rows: Iterable[Sequence[Any]]) -> bytes:
    """`rows` in COPY's text format (no database needed: a caller may build it on another thread)."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(map(_field, row)))
        buffer.write("\n")
    return buffer.getvalue().encode("utf-8")


def copy_in(conn: Connection, table: str, columns: Sequence[str], payload: bytes) -> None:
    """COPY a `copy_payload` into `table` (a constant name, never input)."""
    if payload:
        # One CopyData message: given a file, pg8000 sends and flushes it in 8 KiB pieces.
        conn.run(f"COPY {table} ({', '.join(columns)}) FROM STDIN", stream=[payload])


def copy_rows(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY `rows` into `table` (a constant name, never input)."""
    copy_in(conn, table, columns, copy_payload(rows))
