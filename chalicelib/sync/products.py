"""Products: the shop's `/products` listing (products mixed with their categories) into `products`.

One place for all of it: the row the sync writes (`ProductRow`: its fields are the columns), the SQL
that stages and merges it and re-matches order items, and `ProductsSync` (see `staging` for what every
resource shares).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import BinaryIO, NamedTuple
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from chalicelib.db import Connection
from chalicelib.names import normalize_name
from chalicelib.shop_records import ShopCategory, ShopProduct, ancestry_path, record_id, validation_context
from chalicelib.stores import analytics
from chalicelib.stores.copy import copy_rows
from chalicelib.sync import staging
from chalicelib.sync.deletion_guard import DeletionGuard
from chalicelib.sync.listing import (
    Changes,
    KnownDict,
    Listed,
    Outcome,
    describe,
    external_id,
    scan_records,
)
from chalicelib.sync.shape import PRODUCT_FIELDS, DriftAlarm, ShapeWatch

# Names of pseudo-products that are not products (delivery is sold as an "item" by the shop).
PSEUDO_PRODUCTS = frozenset({normalize_name("Доставка"), "delivery"})


class ProductRow(NamedTuple):
    """A product as the sync writes it into `products`."""

    external_id: int
    name: str
    normalized_name: str
    category: str | None
    brand: str | None
    description: str | None
    main_ingredient: str | None
    dosage_form: str | None
    weight: str | None
    package_quantity: int | None
    upstream_price: Decimal | None
    upstream_old_price: Decimal | None
    upstream_stock_quantity: int
    upstream_created_at: datetime | None
    upstream_updated_at: datetime | None
    upstream_deleted_at: datetime | None
    upstream_hash: bytes


class Stored(NamedTuple):
    """What the database holds of a product, for `Changes.known`."""

    digest: bytes
    deleted: bool
    normalized_name: str


STORED = "SELECT external_id, upstream_hash, deleted_upstream_at IS NOT NULL, normalized_name FROM products"
MERGE = f"""WITH {staging.history("products", "product", ProductRow)}
{staging.upsert("products", ProductRow)}"""

# Re-match the items carrying these names (a product was added, renamed, deleted or restored);
# returns the local days of the orders whose items changed product.
REMATCH_ITEMS = """
WITH names AS (
    SELECT DISTINCT unnest(CAST(:names AS text[])) AS normalized_name
),
changed AS (
    UPDATE order_items i SET product_id = target.product_id
    FROM (SELECT n.normalized_name, m.product_id
          FROM names n LEFT JOIN product_name_match m USING (normalized_name)) AS target
    WHERE i.normalized_name = target.normalized_name
      AND i.product_id IS DISTINCT FROM target.product_id
    RETURNING i.order_id
)
SELECT DISTINCT (o.created_at AT TIME ZONE :tz)::date
FROM orders o WHERE o.id IN (SELECT order_id FROM changed)
"""


class ProductsSync:
    resource = "products"

    def __init__(
        self, zone: ZoneInfo, *, guard: DeletionGuard | None = None, drift: DriftAlarm | None = None
    ) -> None:
        """`guard`: how many vanished products may be flagged at once."""
        self._guard = guard or DeletionGuard()
        self._drift = drift or DriftAlarm()
        self._tz = str(zone.key)
        self._context = validation_context(zone)

    def prepare(self, conn: Connection) -> KnownDict[Stored]:
        return KnownDict((row[0], Stored(bytes(row[1]), row[2], row[3])) for row in conn.run(STORED) or [])

    def apply(self, conn: Connection, listing: BinaryIO, known: KnownDict[Stored]) -> Outcome:
        """Write what changed in the file `listing` against what is `known`; runs inside the
        caller's transaction."""
        outcome = Outcome()
        scanned = list(scan_records(listing))  # small (hundreds): categories must be known first
        listed = [record.exact() for record in scanned]
        shape = ShapeWatch(PRODUCT_FIELDS)  # every record: the listing is read in full anyway
        for exact in listed:
            shape.look(exact.value)
        categories = self._categories(listed, outcome)
        changes = Changes(known, outcome, self.resource)
        rows: list[ProductRow] = []
        rematch: set[str] = set()
        any_stored = False  # see staging.ANY_STORED

        for record, exact in zip(scanned, listed, strict=True):
            raw = exact.value
            ident = external_id(raw)
            if ident is not None and ident in categories:
                continue
            if isinstance(raw, dict) and normalize_name(str(raw.get("name") or "")) in PSEUDO_PRODUCTS:
                if ident is not None:
                    changes.see(ident)
                continue
            path = ancestry_path(raw.get("ancestry")) if isinstance(raw, dict) else []
            parent = record_id(path[-1]) if path else None
            category = categories.get(parent) if parent is not None else None
            digest = changes.admit(record, category)
            if digest is None:
                continue
            try:
                product = ShopProduct.model_validate(raw, context=self._context)
            except ValidationError as exc:
                outcome.reject(raw, describe(exc))
                continue
            normalized = normalize_name(product.name)
            kind = changes.accept(product.id)
            any_stored |= kind != "created"
            if kind != "updated":
                rematch.add(normalized)  # a new or restored name may now match items
            elif known[product.id].normalized_name != normalized:
                rematch |= {known[product.id].normalized_name, normalized}
            rows.append(product_row(product, normalized, category, digest))

        conn.run(staging.create_stage("products", ProductRow))
        copy_rows(conn, "stage_products", ProductRow._fields, rows)
        conn.run(MERGE, any_stored=any_stored)
        gone = self._guard.screen(conn, self.resource, changes.vanished(), known.listed_count(), outcome)
        rematch |= self._flag_deleted(conn, gone, outcome)  # their items must be matched again
        analytics.record_stock_levels(conn, tz=self._tz)
        self._rematch(conn, rematch)
        outcome.shape = shape.report(conn, outcome.counts, self._drift)
        return outcome

    def delete(self, conn: Connection, external_ids: list[int]) -> int:
        """Flag these products as deleted upstream, outside a run (the staff applied held
        deletions): their items are matched again; how many were flagged."""
        outcome = Outcome()
        self._rematch(conn, self._flag_deleted(conn, external_ids, outcome))
        return outcome.counts["deleted"]

    @staticmethod
    def _flag_deleted(conn: Connection, external_ids: list[int], outcome: Outcome) -> set[str]:
        """Flag the live ones of these products; the names of those flagged."""
        names = staging.mark_deleted(conn, "products", "product", external_ids, "normalized_name")
        outcome.counts["deleted"] = len(names)
        return set(names)

    def _rematch(self, conn: Connection, names: set[str]) -> None:
        """Match again the items carrying these names; an item matched now counts in its product's
        sales, and may now have a cost."""
        days: set[date] = set()
        if names:
            days = {row[0] for row in conn.run(REMATCH_ITEMS, names=sorted(names), tz=self._tz) or []}
        if days:
            analytics.refresh_days(conn, days, tz=self._tz)
            analytics.recompute_analytics(conn, tz=self._tz)

    def not_modified(self, conn: Connection) -> None:
        """Today's stock levels are recorded by every products run, a 304 included."""
        analytics.record_stock_levels(conn, tz=self._tz)

    def _categories(self, records: list[Listed], outcome: Outcome) -> dict[int, str]:
        """Category id -> name. A record is a category when it is the root, sits right under the
        root, or another record descends from it."""
        ancestors = {
            record_id(part)
            for raw, _, _ in records
            if isinstance(raw, dict)
            for part in ancestry_path(raw.get("ancestry"))
        }
        names: dict[int, str] = {}
        for raw, _, problem in records:
            ident = external_id(raw)
            if ident is None or not isinstance(raw, dict):
                continue
            if ident in ancestors or len(ancestry_path(raw.get("ancestry"))) < 2:
                if problem:
                    outcome.reject(raw, [problem], category=True)
                    names[ident] = ""
                    continue
                try:
                    names[ident] = ShopCategory.model_validate(raw).name
                except ValidationError as exc:
                    outcome.reject(raw, describe(exc), category=True)
                    names[ident] = ""
        return names  # an invalid category keeps its id (its children are still products) with no name


def product_row(product: ShopProduct, normalized: str, category: str | None, digest: bytes) -> ProductRow:
    return ProductRow(
        external_id=product.id,
        name=product.name,
        normalized_name=normalized,
        category=category or None,
        brand=product.brand,
        description=product.description,
        main_ingredient=product.main_ingredient,
        dosage_form=product.dosage_form,
        weight=product.weight,
        package_quantity=product.package_quantity,
        upstream_price=product.price,
        upstream_old_price=product.old_price,
        upstream_stock_quantity=product.stock_quantity,
        upstream_created_at=product.created_at,
        upstream_updated_at=product.updated_at,
        upstream_deleted_at=product.deleted_at,
        upstream_hash=digest,
    )
