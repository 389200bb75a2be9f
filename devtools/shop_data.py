"""Realistic shop data, generated from a seed, shaped exactly as the real shop sends it (docs/shop-api.md).

`ShopData` holds the shop's raw records (dicts as they go over the wire) and mutates them the way a
live shop does: new orders, status moves, price and stock changes, deletions. It can also corrupt
records on purpose, so tests can check the quarantine.
"""

from __future__ import annotations

import json
import random
import re
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT_NAME = "Товары"
CATEGORIES = ("СДВГ", "Для похудения", "Противозачаточные", "Другое")
DELIVERY_NAME = "Доставка"

# (category, brand, main ingredient, dosage form, doses, unit)
CATALOG: tuple[tuple[str, str, str, str, tuple[str, ...], str], ...] = (
    ("СДВГ", "Atominex", "атомоксетин", "капсулы", ("10", "18", "25", "40", "60", "80", "100"), "mg"),
    ("СДВГ", "Strattera", "атомоксетин", "капсулы", ("10", "18", "25", "40", "60", "80", "100"), "mg"),
    ("СДВГ", "Attex", "атомоксетин", "капсулы", ("10", "18", "25", "40", "60", "80", "100"), "mg"),
    ("СДВГ", "Concerta", "метилфенидат", "таблетки", ("18", "27", "36", "54"), "mg"),
    ("СДВГ", "Medikinet", "метилфенидат", "капсулы", ("5", "10", "20", "30", "40"), "mg"),
    ("СДВГ", "Elvanse", "лиздексамфетамин", "капсулы", ("30", "50", "70"), "mg"),
    ("Для похудения", "Reduxin", "сибутрамин", "капсулы", ("10", "15"), "mg"),
    ("Для похудения", "Goldline", "сибутрамин", "капсулы", ("10", "15"), "mg"),
    ("Для похудения", "Ozempic", "семаглутид", "раствор", ("0.25", "0.5", "1"), "mg"),
    ("Для похудения", "Saxenda", "лираглутид", "раствор", ("6",), "mg/ml"),
    ("Противозачаточные", "Jess", "дроспиренон", "таблетки", ("20", "30"), "mcg"),
    ("Противозачаточные", "Novinet", "дезогестрел", "таблетки", ("20",), "mcg"),
    ("Противозачаточные", "Regulon", "дезогестрел", "таблетки", ("30",), "mcg"),
    ("Другое", "Melatonin", "мелатонин", "таблетки", ("3", "5"), "mg"),
    ("Другое", "Glycine", "глицин", "таблетки", ("100",), "mg"),
)
PACKS = ("", *(f" №{28 * n}" for n in range(1, 60)))  # enough variants for a few thousand products

# How an order item may spell a product's name (docs/shop-api.md: мг/mg, мкг/mcg, case, spaces).
UNIT_SPELLINGS = {"mg": ("mg", "мг", "MG", "Mg"), "mcg": ("mcg", "мкг", "MCG"), "mg/ml": ("mg/ml", "мг/мл")}

STATUSES_OLD = ("shipped",) * 12 + ("cancelled",) * 2 + ("overdue",)
STATUSES_RECENT = ("unpaid", "paid", "processing", "processing", "shipped", "shipped", "cancelled")
CITIES = (
    "Москва",
    "Санкт-Петербург",
    "Казань",
    "Новосибирск",
    "Екатеринбург",
    "Краснодар",
    "Самара",
    "Ростов-на-Дону",
    "Уфа",
    "Пермь",
    "Воронеж",
    "Тбилиси",
    "Алматы",
    "Минск",
)
FIRST = (
    "Анна",
    "Иван",
    "Мария",
    "Дмитрий",
    "Елена",
    "Алексей",
    "Ольга",
    "Сергей",
    "Наталья",
    "Павел",
    "Ксения",
    "Артём",
    "Юлия",
    "Максим",
    "Дарья",
    "Никита",
)
# Surnames in their masculine form; a woman's takes -а (Иванов, Иванова), as Russian readers expect.
LAST = (
    "Иванов",
    "Петров",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Соколов",
    "Лебедев",
    "Козлов",
    "Новиков",
    "Морозов",
    "Волков",
    "Зайцев",
)
WOMEN = frozenset({"Анна", "Мария", "Елена", "Ольга", "Наталья", "Ксения", "Юлия", "Дарья"})
CARDS = (None, "Сбербанк *4417", "Т-Банк *0912", "Альфа *5521", "ВТБ *7780", "Райффайзен *3310")
SHOP_TIME = "%d.%m.%Y %H:%M:%S"


def money(value: Decimal) -> str:
    """The shop's way of writing money: a string like "4250.0"."""
    text = format(value.normalize(), "f")
    return text if "." in text else f"{text}.0"


class ShopData:
    """A shop's products and orders, with the mutations a live shop goes through."""

    def __init__(
        self,
        *,
        orders: int = 1000,
        products: int = 60,
        seed: int = 1,
        now: datetime | None = None,
        timezone: str = "Europe/Moscow",
        days: int = 365,
        items_per_order: tuple[int, int] = (1, 5),
    ) -> None:
        self.rng = random.Random(seed)
        self.zone = ZoneInfo(timezone)
        self.now = (now or datetime.now(UTC)).astimezone(self.zone).replace(microsecond=0)
        self.days = days
        self.items_per_order = items_per_order
        self.lock = threading.RLock()
        self.version = 0
        self.products: list[dict[str, Any]] = []
        self.orders: list[dict[str, Any]] = []
        self.corrupt: dict[tuple[str, int], str] = {}  # (resource, id) -> how the record is broken
        self.extra: dict[str, list[Any]] = {"orders": [], "products": []}  # raw junk appended as is
        self._make_products(products)
        self._next_order_id = 1001
        for _ in range(orders):
            self._add_order(self._random_past())
        self.orders.sort(key=lambda o: o["id"])

    # -- generation -------------------------------------------------------------------------------

    def _iso(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).isoformat(timespec="milliseconds")

    def _make_products(self, count: int) -> None:
        created = self._iso(self.now - timedelta(days=self.days + 30))
        self.products.append(self._category(1, ROOT_NAME, None, created))
        category_ids = {}
        for offset, name in enumerate(CATEGORIES, start=2):
            category_ids[name] = offset
            self.products.append(self._category(offset, name, "1", created))
        next_id = 2 + len(CATEGORIES)
        variants = [
            (category, brand, ingredient, form, dose, unit, pack)
            for pack in PACKS
            for category, brand, ingredient, form, doses, unit in CATALOG
            for dose in doses
        ]
        for category, brand, ingredient, form, dose, unit, pack in variants[:count]:
            price = Decimal(self.rng.randrange(900, 12_000, 10))
            syrup = " (сироп)" if brand == "Attex" and dose == "10" else ""
            self.products.append(
                {
                    "id": next_id,
                    "name": f"{brand} {dose} {unit}{syrup}{pack}",
                    "description": f"{brand}: {ingredient}, {form}." if self.rng.random() < 0.8 else None,
                    "price": money(price),
                    "old_price": money(price * Decimal("1.15")) if self.rng.random() < 0.2 else None,
                    "stock_quantity": self.rng.randrange(0, 120),
                    "ancestry": f"1/{category_ids[category]}",
                    "brand": brand,
                    "main_ingredient": ingredient,
                    "dosage_form": form,
                    "weight": None,
                    "package_quantity": self.rng.choice((None, 14, 28, 30, 56)),
                    "created_at": created,
                    "updated_at": created,
                    "deleted_at": None,
                }
            )
            next_id += 1
        self.products.append(
            {
                **self._category(next_id, DELIVERY_NAME, f"1/{category_ids['Другое']}", created),
                "price": "500.0",
                "stock_quantity": 0,
            }
        )

    def _category(self, ident: int, name: str, ancestry: str | None, created: str) -> dict[str, Any]:
        return {
            "id": ident,
            "name": name,
            "description": None,
            "price": None,
            "old_price": None,
            "stock_quantity": 0,
            "ancestry": ancestry,
            "brand": None,
            "main_ingredient": None,
            "dosage_form": None,
            "weight": None,
            "package_quantity": None,
            "created_at": created,
            "updated_at": created,
            "deleted_at": None,
        }

    def real_products(self) -> list[dict[str, Any]]:
        return [
            p for p in self.products if p["ancestry"] and "/" in p["ancestry"] and p["name"] != DELIVERY_NAME
        ]

    def _random_past(self) -> datetime:
        # More orders recently than long ago, as a growing shop has.
        age = self.days * (self.rng.random() ** 1.5)
        return self.now - timedelta(days=age, seconds=self.rng.randrange(0, 86_400))

    def _spell(self, name: str) -> str:
        """The product's name as an order item might spell it."""
        roll = self.rng.random()
        if roll < 0.4:
            return name
        words = name.split(" ")
        for index, word in enumerate(words):
            if word in UNIT_SPELLINGS:
                words[index] = self.rng.choice(UNIT_SPELLINGS[word])
        spelled = " ".join(words)
        if roll < 0.55:
            spelled = spelled.lower()
        elif roll < 0.7:
            spelled = spelled.replace(" ", "  ", 1)
        elif roll < 0.8:
            spelled = f" {spelled} "
        return spelled

    def _add_order(self, created: datetime) -> dict[str, Any]:
        rng = self.rng
        products = self.real_products()
        items = []
        for _ in range(rng.randint(*self.items_per_order)):
            product = rng.choice(products)
            items.append(
                {
                    "name": self._spell(product["name"]),
                    "quantity": rng.choice((1, 1, 1, 2, 2, 3)),
                    "price": product["price"],
                }
            )
        total = sum(Decimal(i["price"]) * i["quantity"] for i in items)
        recent = (self.now - created).days < 14
        status = rng.choice(STATUSES_RECENT if recent else STATUSES_OLD)
        # Paid after created, shipped after paid, and neither after the shop's "now".
        paid = (
            None
            if status == "unpaid" or (created.year < 2025 and rng.random() < 0.6)
            else min(created + timedelta(minutes=rng.randrange(1, 240)), self.now)
        )
        shipped = (
            min(paid + timedelta(days=rng.randrange(1, 5)), self.now)
            if paid and status == "shipped"
            else None
        )
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = f"{first} {last}{'а' if first in WOMEN else ''}"
        if rng.random() < 0.1:
            name = f"  {name} "  # stray whitespace, as seen upstream
        order = {
            "id": self._next_order_id,
            "status": status,
            "total_amount": money(total),
            "bonus": rng.choice((0, 0, 0, 100, 250)),
            "delivery_cost": rng.choice((0, 350, 500)),
            "bank_card": rng.choice(CARDS),
            "created_at": created.strftime(SHOP_TIME),
            "paid_at": paid.strftime(SHOP_TIME) if paid else None,
            "shipped_at": shipped.strftime(SHOP_TIME) if shipped else None,
            "user": {
                "id": rng.randrange(100_000_000, 7_000_000_000),
                "full_name": name,
                "city": rng.choice(CITIES),
            },
            "order_items": items,
        }
        self._next_order_id += 1
        self.orders.append(order)
        return order

    # -- mutations (each bumps the version, so cached responses are rebuilt) -----------------------

    def _changed(self) -> None:
        self.version += 1

    def add_orders(self, count: int, *, at: datetime | None = None) -> list[dict[str, Any]]:
        with self.lock:
            added = [self._add_order(at or self.now) for _ in range(count)]
            self._changed()
            return added

    def set_order(self, order_id: int, **fields: Any) -> dict[str, Any]:
        with self.lock:
            order = self.order(order_id)
            order.update(fields)
            self._changed()
            return order

    def set_product(self, product_id: int, **fields: Any) -> dict[str, Any]:
        with self.lock:
            product = self.product(product_id)
            product.update(fields)
            self._changed()
            return product

    def reshape(
        self, resource: str, *, rename: dict[str, str] | None = None, add: dict[str, Any] | None = None
    ) -> None:
        """Change the shape of every record of `resource`, as a shop's new release might: fields
        renamed (old name -> new), fields added (name -> value)."""
        with self.lock:
            for record in self.orders if resource == "orders" else self.products:
                for old, new in (rename or {}).items():
                    if old in record:
                        record[new] = record.pop(old)
                record.update(add or {})
            self._changed()

    def move_statuses(self, count: int) -> list[int]:
        """Advance `count` random orders along unpaid -> paid -> processing -> shipped."""
        following = {"unpaid": "paid", "paid": "processing", "processing": "shipped", "overdue": "cancelled"}
        with self.lock:
            candidates = [o for o in self.orders if o["status"] in following]
            moved = self.rng.sample(candidates, min(count, len(candidates)))
            for order in moved:
                order["status"] = following[order["status"]]
                if order["status"] == "paid":
                    order["paid_at"] = self.now.strftime(SHOP_TIME)
                if order["status"] == "shipped":
                    order["shipped_at"] = self.now.strftime(SHOP_TIME)
            self._changed()
            return [o["id"] for o in moved]

    def change_orders(self, count: int) -> list[int]:
        """Change `count` random orders (status, card or delivery cost), whatever their status."""
        with self.lock:
            changed = self.rng.sample(self.orders, min(count, len(self.orders)))
            for order in changed:
                roll = self.rng.random()
                if roll < 0.5:
                    order["status"] = "processing" if order["status"] != "processing" else "shipped"
                elif roll < 0.8:
                    order["bank_card"] = self.rng.choice([c for c in CARDS if c != order["bank_card"]])
                else:
                    order["delivery_cost"] = order["delivery_cost"] + 50
            self._changed()
            return [o["id"] for o in changed]

    def change_products(self, count: int) -> list[int]:
        """Change the price or the stock of `count` random products."""
        with self.lock:
            changed = self.rng.sample(self.real_products(), min(count, len(self.real_products())))
            for product in changed:
                if self.rng.random() < 0.5:
                    product["price"] = money(
                        Decimal(product["price"])
                        + Decimal(self.rng.randrange(-200, 300, 10)).max(Decimal(-100))
                    )
                else:
                    product["stock_quantity"] = max(
                        0, product["stock_quantity"] + self.rng.randrange(-10, 30)
                    )
                product["updated_at"] = self._iso(self.now)
            self._changed()
            return [p["id"] for p in changed]

    def delete_orders(self, ids: list[int]) -> None:
        with self.lock:
            self.orders = [o for o in self.orders if o["id"] not in set(ids)]
            self._changed()

    def delete_products(self, ids: list[int]) -> None:
        with self.lock:
            self.products = [p for p in self.products if p["id"] not in set(ids)]
            self._changed()

    def restore_order(self, order: dict[str, Any]) -> None:
        with self.lock:
            self.orders.append(order)
            self.orders.sort(key=lambda o: o["id"])
            self._changed()

    # -- keeping a shop across restarts (make run) -------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the shop as it is now (atomically: a crash leaves the last complete state)."""
        with self.lock:
            state = {
                "now": self.now.isoformat(),
                "timezone": self.zone.key,
                "days": self.days,
                "items_per_order": list(self.items_per_order),
                "next_order_id": self._next_order_id,
                "products": self.products,
                "orders": self.orders,
            }
            text = json.dumps(state, ensure_ascii=False)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(text)
        partial.replace(path)

    @classmethod
    def load(cls, path: Path, *, seed: int = 1) -> ShopData:
        """A shop saved by `save`, as it was (drift goes on from there)."""
        state = json.loads(path.read_text())
        shop = cls(
            orders=0,
            products=0,
            seed=seed,
            now=datetime.fromisoformat(state["now"]),
            timezone=state["timezone"],
            days=state["days"],
            items_per_order=tuple(state["items_per_order"]),
        )
        shop.products, shop.orders = state["products"], state["orders"]
        shop._next_order_id = state["next_order_id"]
        return shop

    def drift(self) -> dict[str, int]:
        """One step of a live shop: a few new orders, status moves, price and stock changes."""
        with self.lock:
            self.now = datetime.now(UTC).astimezone(self.zone).replace(microsecond=0)
            added = len(self.add_orders(self.rng.randint(0, 3)))
            moved = len(self.move_statuses(self.rng.randint(0, 5)))
            changed = len(self.change_products(self.rng.randint(0, 2)))
            return {"new_orders": added, "status_moves": moved, "product_changes": changed}

    def break_record(self, resource: str, ident: int, how: str) -> None:
        """Send record `ident` broken: how is one of CORRUPTIONS."""
        if how not in CORRUPTIONS:
            raise ValueError(f"unknown corruption {how!r}; one of {sorted(CORRUPTIONS)}")
        with self.lock:
            self.corrupt[(resource, ident)] = how
            self._changed()

    def break_fraction(self, resource: str, fraction: float, how: str = "bad_total") -> list[int]:
        with self.lock:
            records = self.orders if resource == "orders" else self.real_products()
            chosen = self.rng.sample(records, round(len(records) * fraction))
            for record in chosen:
                self.corrupt[(resource, record["id"])] = how
            self._changed()
            return [r["id"] for r in chosen]

    def heal(self) -> None:
        with self.lock:
            self.corrupt.clear()
            self.extra = {"orders": [], "products": []}
            self._changed()

    # -- reading ----------------------------------------------------------------------------------

    def order(self, order_id: int) -> dict[str, Any]:
        return next(o for o in self.orders if o["id"] == order_id)

    def product(self, product_id: int) -> dict[str, Any]:
        return next(p for p in self.products if p["id"] == product_id)

    def listing(self, resource: str) -> list[Any]:
        """What GET /<resource> answers: the records, broken where asked, then any raw junk."""
        with self.lock:
            records = self.orders if resource == "orders" else self.products
            out: list[Any] = []
            for record in records:
                how = self.corrupt.get((resource, record["id"]))
                out.append(CORRUPTIONS[how](record) if how else record)
            return out + list(self.extra[resource])


def _broken(**changes: Any) -> Any:
    def apply(record: dict[str, Any]) -> dict[str, Any]:
        copy = dict(record)
        for key, value in changes.items():
            if value is _DROP:
                copy.pop(key, None)
            else:
                copy[key] = value(copy) if callable(value) else value
        return copy

    return apply


_DROP = object()
# A number JSON allows and no field takes, written into the listing as it stands (see `listing_json`).
HUGE_NUMBER = "1e5000000"
_RAW_NUMBER = re.compile(r'"@@raw-number:([-+.eE0-9]+)@@"')


def raw_number(literal: str) -> str:
    """A value that `listing_json` writes as the bare JSON number `literal` (any size, any precision)."""
    return f"@@raw-number:{literal}@@"


def _poison_text(record: dict[str, Any]) -> dict[str, Any]:
    """A lone surrogate (valid JSON as the escape \\ud800, not Unicode) in a text the shop's users
    type: the customer's name of an order, the name of a product."""
    if "order_items" in record:
        user = dict(record.get("user") or {})
        user["full_name"] = f"{user.get('full_name') or ''} \ud800".strip()
        return {**record, "user": user}
    return {**record, "name": f"{record['name']} \udc00"}


def _huge_number(record: dict[str, Any]) -> dict[str, Any]:
    field = "total_amount" if "order_items" in record else "stock_quantity"
    return {**record, field: raw_number(HUGE_NUMBER)}


def listing_json(records: list[Any]) -> bytes:
    """A listing as the shop sends it: UTF-8 JSON, a lone surrogate as its escape, and a `raw_number`
    as its bare literal."""
    text = _RAW_NUMBER.sub(r"\1", json.dumps(records, ensure_ascii=False))
    return text.encode("utf-8", "backslashreplace")  # only a lone surrogate cannot be encoded


CORRUPTIONS = {
    "bad_total": _broken(total_amount="12,5 руб"),
    "bad_date": _broken(created_at="31.02.2025 25:61:00"),
    "no_id": _broken(id=_DROP),
    "string_id": _broken(id="A-17"),
    "zero_quantity": _broken(order_items=lambda r: [{**i, "quantity": 0} for i in r["order_items"]]),
    "bad_item_price": _broken(order_items=lambda r: [{**i, "price": "бесплатно"} for i in r["order_items"]]),
    "no_items": _broken(order_items=[]),
    "bad_price": _broken(price="дорого"),
    "negative_stock": _broken(stock_quantity=-5),
    "no_name": _broken(name=None),
    "lone_surrogate": _poison_text,
    "huge_number": _huge_number,
}
