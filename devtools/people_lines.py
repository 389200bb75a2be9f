"""What `make run` shows a person of the service's own output: one line per sync run, per staff edit
and per error. The JSON records (what Lambda sends to CloudWatch) and the access log stay available
with `make run VERBOSE=1`.
"""

from __future__ import annotations

import json
import re

# `127.0.0.1 - - [27/Nov/2026 14:00:02] "GET /api/me HTTP/1.1" 200 -` (chalice local's access log)
ACCESS_LINE = re.compile(r'^\S+ - \S+ \[[^\]]+\] "(?P<request>[^"]*)" (?P<status>\d{3})\b')
QUIET_LEVELS = {"debug", "info"}
# Fields the shop sends (a dropped edit shows the shop's value again) and values the service computes
# (a dropped override shows the computed one); every other staff field is the staff's alone: cleared.
SHOP_FIELDS = frozenset({"status", "price", "stock_quantity"})
COMPUTED_FIELDS = frozenset({"avg_daily_sales_30d", "days_to_zero", "recommended_qty", "trend"})


def _what_dropping_does(field: str) -> str:
    if field in SHOP_FIELDS:
        return "back to the shop's value"
    if field in COMPUTED_FIELDS:
        return "back to the computed value"
    return "cleared"


def people_line(raw: str) -> str | None:
    """The line to show for one line of the service's output, or None to leave it out."""
    line = raw.rstrip("\n")
    if not line.strip() or line.startswith("Serving on "):
        return None
    if line.startswith("{"):
        try:
            record = json.loads(line)
        except ValueError:
            return line
        return _record_line(record) if isinstance(record, dict) else line
    access = ACCESS_LINE.match(line)
    if access:
        status = int(access["status"])
        return f"HTTP {status} for {access['request']}" if status >= 500 else None
    return line  # anything else (chalice's own error report, a traceback) is worth seeing


def _record_line(record: dict[str, object]) -> str | None:
    event, message = record.get("event"), str(record.get("message", ""))
    if event == "sync_run":  # started over HTTP (the console's buttons); scheduled runs are said by make run
        return message
    if event == "staff_edit":
        dropped = set(record.get("dropped") or [])  # type: ignore[call-overload]
        fields = [
            f"{field} ({_what_dropping_does(str(field))})" if field in dropped else str(field)
            for field in record.get("fields") or []  # type: ignore[attr-defined]
        ]
        return f"{message}: {', '.join(fields)}"
    level = str(record.get("level", "info"))
    if level in QUIET_LEVELS:
        return None
    exception = str(record.get("exception") or "").strip().splitlines()
    return f"{level}: {message}" + (f" ({exception[-1]})" if exception else "")
