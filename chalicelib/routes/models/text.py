"""Text from outside, one rule for every field of every request model and every path segment (a 400
naming the field), and the same rule written into the models' JSON Schema as patterns.

`RequestModel` is the base of every request model: it refuses fields it does not know (a typo must
not pass silently) and text that breaks the rule; a model's FREE_TEXT fields may hold tab and newline,
and AT_LEAST_ONE makes a body name at least one field (`minProperties` in its schema)."""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

# Text from outside, one rule for every field of every request model (and every path segment):
# no NUL (PostgreSQL cannot store it), no lone surrogate (not encodable as UTF-8), and no C0 control
# character, except tab, newline and carriage return in free text (notes, an address). Bidi marks and
# other printable Unicode are text like any other.
_FREE_TEXT_ALLOWED = {"\t", "\n", "\r"}

# The same rule as JSON Schema patterns, so the OpenAPI description says what is refused. (Lone
# surrogates are left out of them: a UTF-8 client cannot send one as text, and validators such as
# Rust's regex engine cannot even write the range; the server refuses them all the same.)
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"


FREE_TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def text_problem(value: str, *, free_text: bool = False) -> str | None:
    """Why `value` is refused as text from outside, or None when it is fine."""
    for char in value:
        code = ord(char)
        if code == 0:
            return "must not contain NUL characters"
        if 0xD800 <= code <= 0xDFFF:
            return "must not contain lone surrogates"
        if (code < 0x20 or code == 0x7F) and not (free_text and char in _FREE_TEXT_ALLOWED):
            return "must not contain control characters" + (
                " other than tab and newline" if free_text else ""
            )
    return None


def _describe_request(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """The request rules in the model's JSON Schema: the text pattern on every free string, and
    `minProperties` where at least one field must be named."""
    free: frozenset[str] = getattr(model, "FREE_TEXT", frozenset())
    for name, prop in schema.get("properties", {}).items():
        _pattern_strings(prop, FREE_TEXT_PATTERN if name in free else TEXT_PATTERN)
    if getattr(model, "AT_LEAST_ONE", False):
        schema["minProperties"] = 1


def _pattern_strings(node: dict[str, Any], pattern: str) -> None:
    if node.get("type") == "string" and not {"enum", "const", "format", "pattern"} & set(node):
        node["pattern"] = pattern
    for child in [*node.get("anyOf", []), *([node["items"]] if "items" in node else [])]:
        _pattern_strings(child, pattern)


class RequestModel(BaseModel):
    """Request models refuse fields they do not know (a typo must not pass silently), and text that
    breaks the rule of `text_problem` (fields named in FREE_TEXT may hold tabs and newlines).
    AT_LEAST_ONE: a body must name at least one field."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_describe_request)
    FREE_TEXT: ClassVar[frozenset[str]] = frozenset()
    AT_LEAST_ONE: ClassVar[bool] = False

    @field_validator("*", mode="before")
    @classmethod
    def _clean_text(cls, value: Any, info: ValidationInfo) -> Any:
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                problem = text_problem(item, free_text=info.field_name in cls.FREE_TEXT)
                if problem:
                    raise PydanticCustomError("text", problem)
        return value

    @model_validator(mode="after")
    def _names_a_field(self) -> Self:
        if self.AT_LEAST_ONE and not self.model_fields_set:
            raise PydanticCustomError("at_least_one", "name at least one field to change")
        return self
