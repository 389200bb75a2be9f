"""A table as a file Excel opens as the staff expect: CSV or XLSX, bounded in rows and in bytes.

CSV is what Russian Excel opens with a double click: UTF-8 with a byte order mark (without it Excel
reads Windows-1251), `;` between fields (Excel's list separator where the decimal separator is a
comma), decimal commas, dates as 05.06.2025 and times as 05.06.2025 21:31 in the shop's zone. XLSX
(XlsxWriter in its constant-memory mode: each row goes to a temporary file as it is written) has
money as numbers with a rouble format, days and times as Excel dates, text always as text.

What a Lambda can answer is bounded: 6 MB of response, and a file travels base64-encoded (4 bytes for
3). A file is therefore refused past MAX_BYTES (and past MAX_ROWS, before it is made), with a message
asking for a narrower selection; memory stays flat, since rows come in batches from a cursor and
what is written never exceeds the bound.
"""

from __future__ import annotations

import codecs
import csv
import io
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

import xlsxwriter

from chalicelib.errors import ExportTooLargeError

Format = Literal["csv", "xlsx"]
Kind = Literal["text", "integer", "money", "decimal", "percent", "date", "datetime"]

MAX_BYTES = 4_000_000  # base64 makes it 5.3 MB: inside Lambda's 6 MB with the headers
MAX_ROWS = 50_000

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
BINARY_TYPES = ["text/csv", MEDIA_TYPES["xlsx"]]  # the app answers both base64-encoded (app.py)

# A cell of shop text that Excel would take for a formula (a customer named "=HYPERLINK(...)") is
# written with a leading apostrophe in CSV, which Excel shows as text; XLSX writes it as a string.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: Kind = "text"


def too_large(what: str) -> ExportTooLargeError:
    return ExportTooLargeError(
        f"the {what} is too large to download at once (at most {MAX_ROWS:,} rows and"
        f" {MAX_BYTES // 1_000_000} MB): narrow it (a shorter range, fewer statuses, a category)"
    )


def refuse_if_too_many(rows: int, what: str) -> None:
    if rows > MAX_ROWS:
        raise too_large(what)


class _Bounded:
    """Bytes that refuse to grow past MAX_BYTES."""

    def __init__(self, what: str) -> None:
        self.data = bytearray()
        self.what = what

    def add(self, chunk: bytes) -> None:
        self.data += chunk
        if len(self.data) > MAX_BYTES:
            raise too_large(self.what)


def write_file(
    fmt: Format, columns: Sequence[Column], rows: Iterable[dict[str, Any]], *, zone: ZoneInfo, what: str
) -> bytes:
    """The file of `rows` (each a dict with every column's key), or ExportTooLargeError."""
    if fmt == "csv":
        return _csv(columns, rows, zone=zone, what=what)
    return _xlsx(columns, rows, zone=zone, what=what)


def _csv_cell(value: Any, kind: Kind, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    if kind in ("money", "decimal", "percent"):
        text = f"{value:.2f}" if kind == "money" else str(value)
        return text.replace(".", ",")
    if kind == "date":
        return f"{value:%d.%m.%Y}"
    if kind == "datetime":
        return f"{value.astimezone(zone):%d.%m.%Y %H:%M}"
    text = str(value)
    return f"'{text}" if kind == "text" and text.startswith(FORMULA_START) else text


def _csv(columns: Sequence[Column], rows: Iterable[dict[str, Any]], *, zone: ZoneInfo, what: str) -> bytes:
    out = _Bounded(what)
    out.add(codecs.BOM_UTF8)
    line = io.StringIO()
    writer = csv.writer(line, delimiter=";", lineterminator="\r\n")

    def emit(cells: list[str]) -> None:
        writer.writerow(cells)
        out.add(line.getvalue().encode("utf-8"))
        line.seek(0)
        line.truncate()

    emit([column.title for column in columns])
    for row in rows:
        emit([_csv_cell(row[c.key], c.kind, zone) for c in columns])
    return bytes(out.data)


def _xlsx(columns: Sequence[Column], rows: Iterable[dict[str, Any]], *, zone: ZoneInfo, what: str) -> bytes:
    out = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="export-") as scratch:
        book = xlsxwriter.Workbook(out, {"constant_memory": True, "tmpdir": scratch})
        sheet = book.add_worksheet(what[:31])
        head = book.add_format({"bold": True, "bottom": 1})
        formats = {
            "money": book.add_format({"num_format": '#,##0.00 "₽"'}),
            "decimal": book.add_format({"num_format": "0.000"}),
            "percent": book.add_format({"num_format": "0.0"}),
            "date": book.add_format({"num_format": "dd.mm.yyyy"}),
            "datetime": book.add_format({"num_format": "dd.mm.yyyy hh:mm"}),
        }
        for index, column in enumerate(columns):
            sheet.write_string(0, index, column.title, head)
            sheet.set_column(index, index, 14 if column.kind != "text" else 28)
        for number, row in enumerate(rows, start=1):  # at most MAX_ROWS (refuse_if_too_many)
            for index, column in enumerate(columns):
                _xlsx_cell(sheet, number, index, row[column.key], column.kind, formats, zone)
        sheet.freeze_panes(1, 0)
        book.close()
    data = out.getvalue()
    if len(data) > MAX_BYTES:
        raise too_large(what)
    return data


def _xlsx_cell(
    sheet: Any, row: int, col: int, value: Any, kind: Kind, formats: dict[str, Any], zone: ZoneInfo
) -> None:
    if value is None:
        return
    if kind == "text":
        sheet.write_string(row, col, str(value))
    elif kind == "integer":
        sheet.write_number(row, col, int(value))
    elif kind in ("money", "decimal", "percent"):
        # Excel holds a number as a binary double: the amount is exact to the kopeck on screen and
        # in its sums, as in any spreadsheet; the CSV and the API keep the decimal text.
        sheet.write_number(row, col, float(Decimal(value)), formats[kind])
    elif kind == "date":
        sheet.write_datetime(row, col, datetime.combine(value, datetime.min.time()), formats["date"])
    elif kind == "datetime":
        local = value.astimezone(zone).replace(tzinfo=None)  # Excel has no zones: the shop's time
        sheet.write_datetime(row, col, local, formats["datetime"])
    else:  # pragma: no cover (every kind is above)
        raise ValueError(kind)


def filename(what: str, fmt: Format, day: date) -> str:
    return f"{what}-{day.isoformat()}.{fmt}"
