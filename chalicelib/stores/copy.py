"""COPY rows into a table in one round trip (PostgreSQL's text format, built here)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from chalicelib.db import Connection

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _field(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return "\\\\x" + value.hex()
    raise TypeError(f"cannot COPY a {type(value).__name__}")


def copy_rows(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY `rows` into `table` (a constant name, never input); returns how many rows went."""
    buffer = io.StringIO()
    count = 0
    for row in rows:
        buffer.write("\t".join(map(_field, row)))
        buffer.write("\n")
        count += 1
    if count:
        data = io.BytesIO(buffer.getvalue().encode("utf-8"))
        conn.run(f"COPY {table} ({', '.join(columns)}) FROM STDIN", stream=data)
    return count
