"""Structured logs: one JSON object per line, with context keys (`run_id`, `resource`, ...).

`log.info("sync finished", extra={"run_id": 7, "counts": {...}})` puts the extra keys into the JSON.
Never pass a token or a full personal-data payload as a value.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal

_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            # `_aws` is CloudWatch's embedded metric format; other `_` keys are logging's own
            if key not in _STANDARD_ATTRS and (key == "_aws" or not key.startswith("_")):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class _StandardStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stdout` (or `sys.stderr`) is at the time (test runners swap them)."""

    def __init__(self, name: Literal["stdout", "stderr"]) -> None:
        super().__init__()
        self._name = name

    @property
    def stream(self) -> Any:
        return getattr(sys, self._name)

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


METRICS_NAMESPACE = "StratteraSync"


def embedded_metrics(
    values: dict[str, float], *, dimensions: dict[str, str] | None = None, units: dict[str, str] | None = None
) -> dict[str, Any]:
    """`extra` for a log record that CloudWatch Logs also reads as metrics (embedded metric format):
    no API call, no extra permission. `dimensions` name the metrics' dimensions and their values;
    a metric's unit is Count unless `units` says otherwise."""
    dimensions = dimensions or {}
    return {
        "_aws": {
            "Timestamp": int(datetime.now().timestamp() * 1000),
            "CloudWatchMetrics": [{
                "Namespace": METRICS_NAMESPACE,
                "Dimensions": [list(dimensions)],
                "Metrics": [{"Name": name, "Unit": (units or {}).get(name, "Count")} for name in values],
            }],
        },
        **dimensions,
        **values,
    }  # fmt: skip


def setup_logging(level: int = logging.INFO, *, stream: Literal["stdout", "stderr"] = "stdout") -> None:
    """Send every log record to `stream` as JSON: stdout in Lambda (which ships it to CloudWatch),
    stderr for the command-line tools, whose stdout is their result."""
    root = logging.getLogger()
    handler = _StandardStreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    # Lambda's runtime installs its own handler; replace it so each line is exactly one JSON object.
    root.handlers = [handler]
    root.setLevel(level)
    for noisy in ("botocore", "boto3", "urllib3", "pgserver"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
