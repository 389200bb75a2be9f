"""Products: the shop's `/products` listing (products mixed with their categories) into `products`."""

from __future__ import annotations

from datetime import date
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from chalicelib.db import Connection
from chalicelib.names import normalize_name
from chalicelib.shop_records import ShopCategory, ShopProduct, ancestry_path, record_id, validation_context
from chalicelib.stores import analytics, sync_writes
from chalicelib.sync.listing import Changes, Listed, Outcome, describe, external_id, iter_records

# Names of pseudo-products that are not products (delivery is sold as an "item" by the shop).
PSEUDO_PRODUCTS = frozenset({normalize_name("Доставка"), "delivery"})


class ProductsSync:
    resource = "products"

    def __init__(self, zone: ZoneInfo) -> None:
        self._tz = str(zone.key)
        self._context = validation_context(zone)

    def apply(self, conn: Connection, listing: BinaryIO) -> Outcome:
        """Write what changed in the file `listing`; runs inside the caller's transaction."""
        outcome = Outcome()
        listed = list(iter_records(listing))  # small (hundreds): categories must be known first
        categories = self._categories(listed, outcome)
        known = sync_writes.product_digests(conn)
        changes = Changes(known, outcome, self.resource)
        rows: list[tuple[Any, ...]] = []
        rematch: set[str] = set()

        for record in listed:
            raw = record.value
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
            admitted = changes.admit(record, category)
            if admitted is None:
                continue
            try:
                product = ShopProduct.model_validate(raw, context=self._context)
            except ValidationError as exc:
                outcome.reject(raw, describe(exc))
                continue
            normalized = normalize_name(product.name)
            if changes.accept(product.id) != "updated":
                rematch.add(normalized)  # a new or restored name may now match items
            elif known[product.id][2] != normalized:
                rematch |= {known[product.id][2], normalized}
            rows.append(self._product_row(product, normalized, category, admitted[1]))

        sync_writes.stage_products(conn, rows)
        sync_writes.merge_staged_products(conn)
        names = sync_writes.mark_products_deleted(conn, changes.vanished())
        outcome.counts["deleted"] = len(names)
        rematch |= set(names)

        days: set[date] = sync_writes.rematch_items(conn, rematch, tz=self._tz)
        analytics.record_stock_levels(conn, tz=self._tz)
        if days:
            analytics.refresh_sales(conn, days, tz=self._tz)
            analytics.recompute_analytics(conn, tz=self._tz)
        return outcome

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
                    outcome.reject(raw, f"category: {problem}")
                    names[ident] = ""
                    continue
                try:
                    names[ident] = ShopCategory.model_validate(raw).name
                except ValidationError as exc:
                    outcome.reject(raw, f"category: {describe(exc)}")
                    names[ident] = ""
        return names  # an invalid category keeps its id (its children are still products) with no name

    @staticmethod
    def _product_row(
        product: ShopProduct, normalized: str, category: str | None, record_digest: bytes
    ) -> tuple[Any, ...]:
        return (
            product.id, product.name, normalized, category or None, product.brand, product.description,
            product.main_ingredient, product.dosage_form, product.weight, product.package_quantity,
            product.price, product.old_price, product.stock_quantity, product.created_at,
            product.updated_at, product.deleted_at, record_digest,
        )  # fmt: skip
