"""JSON numbers bounded by their text, before any arithmetic touches them.

`1e500000` is a valid JSON number of 9 characters. Read as a Decimal it costs nothing, but `int()` of
it builds a 500,000-digit integer, and quantizing or converting it can hold the interpreter (and with
it every other request of the process) for seconds. No field of the shop or of the API takes a number
anywhere near 10**30, nor one with 30 digits after the point, so a number beyond either is replaced,
as it is parsed, by an `OutOfRange` marker that no model accepts: a request body gets a 400 naming the
field, a shop record is quarantined with the place. Both checks read only the exponent and the count
of digits, never the value.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

MAX_EXPONENT = 30  # |value| < 10**31 and no digit past the 30th after the point


class OutOfRange:
    """A JSON number too large or too fine for any field; `str()` gives its text (shortened)."""

    __slots__ = ("literal",)

    def __init__(self, literal: str) -> None:
        self.literal = literal

    def __str__(self) -> str:
        text = self.literal
        return text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OutOfRange) and other.literal == self.literal

    def __hash__(self) -> int:
        return hash(self.literal)


def decimal(literal: str) -> Decimal | OutOfRange:
    """A JSON number with a fraction or an exponent (json's `parse_float`)."""
    value = Decimal(literal)  # reads the text only: linear in its length, which is bounded upstream
    if not value.is_finite():
        return value  # NaN, Infinity: every model refuses them by name
    last_digit = int(value.as_tuple().exponent)  # the place of the last digit, e.g. -2 for 1.25
    if value.adjusted() > MAX_EXPONENT or last_digit < -MAX_EXPONENT:
        return OutOfRange(literal)
    return value


def integer(literal: str) -> int | OutOfRange:
    """A JSON integer (json's `parse_int`): past 31 digits it is out of range without being read."""
    if len(literal.lstrip("-")) > MAX_EXPONENT + 1:
        return OutOfRange(literal)
    return int(literal)


def out_of_range(value: Any, where: str = "") -> str | None:
    """The place of the first `OutOfRange` in a parsed JSON value (`items.0.price`), or None."""
    if isinstance(value, OutOfRange):
        return where or "value"
    children = (
        value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    )
    for key, item in children:
        found = out_of_range(item, f"{where}.{key}" if where else str(key))
        if found:
            return found
    return None
