"""What is wrong with an input, said so that a program can read it and a person can be told it in
their own language: one detail per problem, `{"field", "type", "message", "limit"?}`.

`type` is a stable machine code (pydantic's, or ours); `message` is English, for logs and programs;
`limit` is the bound a rule has. The API's 400s carry these details (docs/api.md), and so does each
record a sync quarantines (its `details`), so the console says both in Russian or English.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from chalicelib.errors import InvalidInputError

ModelT = TypeVar("ModelT", bound=BaseModel)

# The bound a detail's `type` is about (`less_than_equal` and 200, `string_too_long` and 2000, ...),
# given as `limit`, so that a client can say the rule in its own words and language.
LIMIT_KEYS = (
    "le",
    "ge",
    "lt",
    "gt",
    "max_length",
    "min_length",
    "decimal_places",
    "max_digits",
    "multiple_of",
)


def validation_details(error: ValidationError, *, at_most: int | None = None) -> list[dict[str, Any]]:
    """One detail per problem: `field`, `message` (English, for people reading logs and programs),
    and `type`, a stable machine code (pydantic's, or ours: `text`, `email`, `at_least_one`,
    `date_range`, `range_too_long`, `number_out_of_range`, `id`), with `limit` where the rule has a bound."""
    details = []
    for item in error.errors(include_url=False, include_input=False)[:at_most]:
        detail: dict[str, Any] = {
            "field": ".".join(str(part) for part in item["loc"]) or None,
            "message": item["msg"],
            "type": item["type"],
        }
        context = item.get("ctx") or {}
        limit = next((context[key] for key in LIMIT_KEYS if key in context), None)
        if limit is not None:
            detail["limit"] = str(limit)
        details.append(detail)
    return details


def problem(field: str | None, type_: str, message: str, **extra: Any) -> dict[str, Any]:
    """One detail of our own (not from a pydantic model): e.g. `problem("id", "missing", ...)`."""
    return {"field": field, "type": type_, "message": message, **extra}


def reason_of(details: list[dict[str, Any]]) -> str:
    """The details as one readable line, for logs and programs:
    `total_amount: Input should be a valid decimal; id: missing`."""
    return "; ".join(
        f"{d['field'] or 'record'}{' (a field name)' if d['type'] == 'text_key' else ''}: {d['message']}"
        for d in details
    )


def validated(model: type[ModelT], raw: Any, *, what: str) -> ModelT:
    """`raw` as `model` (a console function's payload, an SNS message), or `InvalidInputError` saying
    in one line what is wrong: `sync payload: resources.0: Input should be 'orders' or 'products'`."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInputError(f"{what}: {reason_of(validation_details(exc, at_most=5))}") from None
