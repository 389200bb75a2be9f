"""Shape drift: what a run's records say of the shop's shape beside the models that read them.

The shop is documented by nobody (docs/shop-api.md). If it renames `total_amount`, every order is
quarantined run after run; if it starts sending a field, the models ignore it unseen; a status it
starts using is stored as sent. Each run therefore reports, per resource: the fields the shop sent
that the models do not know (and in how many records), the fields the models expect that were
missing (and in how many), and the order statuses never seen before. It looks at the records it reads
in full, the new and changed ones: an unchanged record's bytes are those of a record read before, and
a change of shape changes every record's bytes, so a renamed or added field shows in the first run
that lists it. Nested fields are named `order_items[].price` (counted per item) and `user.city`.

The run's `ShapeDrift` metric (and its alarm) is on when a field is missing from every record read, or
when more of the listing than `quarantine_percent` was quarantined.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from chalicelib.db import Connection
from chalicelib.shop_records import ShopOrder, ShopOrderItem, ShopProduct, ShopUser, storable

# Distinct unknown field names, and distinct statuses, kept per run: a hostile shop could send a new
# one in every record.
MAX_NAMES = 50
MAX_NAME_CHARS = 100
MAX_STATUS_CHARS = 64  # as ShopOrder.status


@dataclass(frozen=True)
class Fields:
    """The fields a resource's records are expected to have: at the top, and inside the values of
    `nested` (a list of objects or one object)."""

    top: frozenset[str]
    nested: Mapping[str, frozenset[str]] = field(default_factory=dict)
    status: str | None = None  # the field whose values are watched for new ones


ORDER_FIELDS = Fields(
    top=frozenset(ShopOrder.model_fields),
    nested={"order_items": frozenset(ShopOrderItem.model_fields), "user": frozenset(ShopUser.model_fields)},
    status="status",
)
# The listing mixes products with their categories, which carry the same fields; `ancestry` places
# each in the tree (chalicelib/sync/products.py reads it).
PRODUCT_FIELDS = Fields(top=frozenset(ShopProduct.model_fields) | {"ancestry"})


@dataclass(frozen=True)
class DriftAlarm:
    """When a run's `ShapeDrift` metric is on (settings: SYNC_SHAPE_DRIFT_PERCENT)."""

    quarantine_percent: Decimal = Decimal(5)


class ShapeWatch:
    """Counts, over the records shown to `look`, the fields that differ from `fields`. A record whose
    keys are exactly the expected ones (all of them, almost always) costs one set comparison."""

    def __init__(self, fields: Fields) -> None:
        self._fields = fields
        self.examined = 0
        self._unknown: Counter[str] = Counter()
        self._more_names = 0  # distinct unknown names past MAX_NAMES
        self._missing: Counter[str] = Counter()
        self._statuses: Counter[str] = Counter()

    def look(self, raw: Any) -> None:
        """One record as the shop sent it (parsed JSON)."""
        if type(raw) is not dict:
            return  # quarantined for that already
        self.examined += 1
        fields = self._fields
        if raw.keys() != fields.top:
            self._compare(raw, fields.top, "")
        for key, expected in fields.nested.items():
            value = raw.get(key)
            if type(value) is list:
                for item in value:
                    if type(item) is dict and item.keys() != expected:
                        self._compare(item, expected, f"{key}[].")
            elif type(value) is dict and value.keys() != expected:
                self._compare(value, expected, f"{key}.")
        if fields.status is not None:  # as the model reads it, and whether or not the record is valid
            status = raw.get(fields.status)
            if type(status) is str and status in self._statuses:
                self._statuses[status] += 1
            elif type(status) is str and status.strip() and len(self._statuses) < MAX_NAMES:
                self._statuses[str(storable(status.strip()))[:MAX_STATUS_CHARS]] += 1

    def _compare(self, record: dict[Any, Any], expected: frozenset[str], prefix: str) -> None:
        for name in expected - record.keys():
            self._missing[prefix + name] += 1
        for name in record.keys() - expected:
            key = prefix + str(storable(name))[:MAX_NAME_CHARS]
            if key in self._unknown or len(self._unknown) < MAX_NAMES:
                self._unknown[key] += 1
            else:
                self._more_names += 1

    def report(self, conn: Connection, counts: Mapping[str, int], alarm: DriftAlarm) -> dict[str, Any]:
        """The run's report (what `sync_runs.shape` keeps), in the run's transaction: the statuses it
        saw for the first time are recorded as seen (a run that fails records none)."""
        new = first_seen_statuses(conn, list(self._statuses)) if self._statuses else []
        fetched, invalid = counts.get("fetched", 0), counts.get("invalid", 0)
        quarantined = (Decimal(100 * invalid) / fetched).quantize(Decimal("0.1")) if fetched else Decimal(0)
        everywhere = [name for name, n in self._missing.items() if n == self.examined and "." not in name]
        reasons = (["field_missing_everywhere"] if everywhere and self.examined else []) + (
            ["quarantine_share"] if quarantined > alarm.quarantine_percent else []
        )
        return {
            "examined": self.examined,
            "unknown_fields": _counted(self._unknown),
            "unknown_fields_more": self._more_names,
            "missing_fields": _counted(self._missing),
            "new_statuses": [{"status": s, "records": self._statuses[s]} for s in sorted(new)],
            "quarantined_percent": str(quarantined),
            "drift": bool(reasons),
            "drift_reasons": reasons,
        }


def _counted(counter: Counter[str]) -> list[dict[str, Any]]:
    return [
        {"field": name, "records": n} for name, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


FIRST_SEEN = """
INSERT INTO shop_statuses_seen (status)
SELECT DISTINCT s FROM unnest(CAST(:statuses AS text[])) s
ON CONFLICT (status) DO NOTHING
RETURNING status
"""


def first_seen_statuses(conn: Connection, statuses: list[str]) -> list[str]:
    """Of `statuses`, those never seen before (now recorded as seen)."""
    return [row[0] for row in conn.run(FIRST_SEEN, statuses=statuses)]
