"""COPY in one round trip: rows into a table (PostgreSQL's text format, built here), and a query's rows
out (its binary format, read here)."""

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


_BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"


class _BinaryRows:
    """COPY's binary format, as pg8000 writes it (a piece at a time, one message each), turned into
    rows: each row's fields (bytes, None for NULL) to `on_row` as soon as the row is whole. Holds one
    row at a time, however many the COPY sends."""

    def __init__(self, on_row: Callable[[list[bytes | None]], None]) -> None:
        self._on_row = on_row
        self._buffer = bytearray()
        self._header = True
        self.ended = False

    def write(self, data: bytes) -> None:
        self._buffer += data
        view = memoryview(self._buffer)
        at = 0
        if self._header:
            if len(view) < 19:
                return
            if bytes(view[:11]) != _BINARY_SIGNATURE:
                raise ValueError("not COPY's binary format")
            at = 19 + int.from_bytes(view[15:19], "big")  # signature, flags, header extension
            if len(view) < at:
                return
            self._header = False
        while len(view) - at >= 2:
            count = int.from_bytes(view[at : at + 2], "big", signed=True)
            if count == -1:
                self.ended, at = True, at + 2
                break
            fields: list[bytes | None] = []
            end = at + 2
            for _ in range(count):
                if len(view) - end < 4:
                    break
                size = int.from_bytes(view[end : end + 4], "big", signed=True)
                end += 4
                if size < 0:
                    fields.append(None)
                    continue
                if len(view) - end < size:
                    break
                fields.append(bytes(view[end : end + size]))
                end += size
            if len(fields) < count:
                break  # the row goes on in the next piece
            self._on_row(fields)
            at = end
        view.release()
        del self._buffer[:at]


def copy_out_rows(conn: Connection, query: str, on_row: Callable[[list[bytes | None]], None]) -> None:
    """Run `COPY (query) TO STDOUT` in the binary format (`query` a constant: COPY takes no
    parameters), each row's fields (their binary form: `bytea` as itself) to `on_row` as the row
    arrives: no text form of the values, and no more in memory at once than a row."""
    rows = _BinaryRows(on_row)
    conn.run(f"COPY ({query}) TO STDOUT (FORMAT binary)", stream=rows)
    if not rows.ended:
        raise ValueError("the COPY ended before its trailer")
