"""Normalized product names: how an order item's name is matched to a product.

The shop's order items carry no product id, only a name, spelled unlike the product's own name:
`Atominex 18 мг`, `atominex  18mg`, ` ATOMINEX 18 MG `. Both sides are reduced to one key:
Unicode-normalized, case-folded, `ё` as `е`, units in Latin (`мг`->`mg`, `мкг`->`mcg`, `мл`->`ml`)
written right after their number, decimal commas as points, whitespace collapsed.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# A version of these rules: stored digests include it, so changing the rules re-matches everything.
RULES_VERSION = 1

_UNITS = {
    "мкг": "mcg", "mcg": "mcg", "µg": "mcg", "μg": "mcg", "ug": "mcg",
    "мг": "mg", "mg": "mg",
    "мл": "ml", "ml": "ml",
    "ме": "iu", "iu": "iu",
    "г": "g", "гр": "g", "g": "g",
}  # fmt: skip
_UNIT_RE = re.compile(
    r"(?<=\d)\s*(" + "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True)) + r")(?![\w])"
)
_DECIMAL_COMMA_RE = re.compile(r"(?<=\d),(?=\d)")
_SLASH_RE = re.compile(r"\s*/\s*")
_SPACE_RE = re.compile(r"\s+")


@functools.lru_cache(maxsize=65_536)  # item names repeat: a few spellings of a few hundred products
def normalize_name(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold().replace("ё", "е")
    text = _DECIMAL_COMMA_RE.sub(".", text)
    text = _SLASH_RE.sub("/", text)
    text = _UNIT_RE.sub(lambda m: _UNITS[m.group(1)], text)
    # a unit after a slash ("мг/мл") is not preceded by a digit
    text = re.sub(r"(?<=/)(мл|ml|мг|mg)(?![\w])", lambda m: _UNITS[m.group(1)], text)
    return _SPACE_RE.sub(" ", text).strip()
