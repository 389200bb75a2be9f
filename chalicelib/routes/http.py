"""The HTTP layer: how every route reads its input, answers, and fails.

`api_route(blueprint, path, ...)` registers a handler on a Chalice Blueprint. It
- validates query strings (`query=`), JSON bodies (`body=`) and integer path ids with pydantic,
- turns the handler's pydantic result into JSON (money as strings with two decimals, ISO times),
- maps the error hierarchy (and nothing else) to status codes and the contract's error body (docs/api.md), and
- records what it registered, so `openapi.py` describes exactly the routes that exist.
No traceback, SQL or secret ever reaches a client: anything unexpected is logged and answered 500.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, get_args, get_origin
from urllib.parse import unquote

from chalice import Blueprint, Response
from pydantic import BaseModel, ValidationError

from chalicelib import json_numbers
from chalicelib.errors import (
    ConflictError,
    DatabaseUnavailableError,
    ExportTooLargeError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    StratteraError,
    UnauthorizedError,
    UpstreamError,
)
from chalicelib.problems import validation_details
from chalicelib.routes.auth import access_of, bearer_tokens
from chalicelib.routes.models.text import text_problem
from chalicelib.routes.response_headers import preflight

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32
# Chalice answers a content type it was not told about with its own 415 body; list the common ones
# so that ours (with the contract's error body) answers instead.
ACCEPTED_CONTENT_TYPES = [
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "application/octet-stream",
    "application/xml",
]

# The one mapping from the error hierarchy to HTTP.
STATUS_OF: list[tuple[type[StratteraError], int, str]] = [
    (InvalidInputError, 400, "validation_error"),
    (UnauthorizedError, 401, "unauthorized"),
    (ForbiddenError, 403, "forbidden"),
    (NotFoundError, 404, "not_found"),
    (ConflictError, 409, "conflict"),
    (PayloadTooLargeError, 413, "payload_too_large"),
    (ExportTooLargeError, 413, "export_too_large"),
    (UpstreamError, 502, "upstream_error"),
]  # DatabaseUnavailableError: 503, in response_for (a fixed message, Retry-After)


@dataclass(frozen=True)
class RouteSpec:
    """What one route takes and gives, for the OpenAPI description."""

    path: str
    method: str
    summary: str
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: Any = None
    status: int = 200
    errors: tuple[int, ...] = ()
    public: bool = False
    path_values: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a path parameter's only values
    files: tuple[str, ...] = ()  # the media types of a file it answers instead of JSON


@dataclass
class Registry:
    routes: list[RouteSpec] = field(default_factory=list)


REGISTRY = Registry()


def error_response(status: int, code: str, message: str, details: list[Any] | None = None) -> Response:
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return Response(_json_text(body), status_code=status, headers=dict(_JSON))


# Which database, and why it refused, helps operations (the log line has it), not a client.
DATABASE_UNAVAILABLE = "the database is unavailable; try again in a moment"
RETRY_AFTER_S = 5  # a burst that filled the connections is usually gone by then


def response_for(exc: StratteraError) -> Response:
    if isinstance(exc, DatabaseUnavailableError):
        log.warning(exc.message, extra={"event": "database_unavailable"})
        response = error_response(503, "database_unavailable", DATABASE_UNAVAILABLE)
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response
    for kind, status, code in STATUS_OF:
        if isinstance(exc, kind):
            return error_response(status, code, exc.message, exc.details)
    return error_response(500, "internal_error", exc.message)


# Chalice answers some requests itself, before any route runs, with a body of its own
# (`{"Code": ..., "Message": ...}`): a content type a route does not list (415), a method a path
# lacks (405), a binary answer to a client that did not accept one (400), an unhandled error (500).
# Each is rewritten into the contract's error body by `in_contract_body` (middleware `contract_errors`).
CHALICE_ERRORS = {
    400: ("bad_request", "the request cannot be answered as sent"),
    401: ("unauthorized", "no or an unknown token: send Authorization: Bearer <token>"),
    403: ("forbidden", "this token may not do this"),
    404: ("not_found", "no such route"),
    405: ("method_not_allowed", "this method is not allowed here"),
    409: ("conflict", "the request conflicts with the current state"),
    413: ("payload_too_large", f"the body is larger than {MAX_BODY_BYTES // 1024} KiB"),
    415: ("unsupported_media_type", "send the body as JSON with Content-Type: application/json"),
    422: ("validation_error", "the request is not valid"),
    429: ("throttled", "too many requests: try again in a second"),
}


def contract_errors(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """Chalice HTTP middleware (inside `add_response_headers`): what Chalice answered by itself, and
    anything a handler let escape, in the contract's error body."""
    try:
        response = get_response(event)
    except Exception:  # Chalice would answer its own 500 body
        log.exception("unhandled error", extra={"path": getattr(event, "path", None)})
        return error_response(500, "internal_error", "an internal error occurred")
    return in_contract_body(
        response, method=event.method, resource_path=(event.context or {}).get("resourcePath")
    )


def in_contract_body(response: Response, *, method: str, resource_path: str | None) -> Response:
    """`response` itself, or, when Chalice made it, the same status in the contract's error body
    (its headers kept: CORS; on a 405 `Allow` names the methods the path really has)."""
    body = response.body
    if not (isinstance(body, dict) and set(body) == {"Code", "Message"}):
        return response
    status = response.status_code
    if status == 405:
        # Chalice's own Allow lists the fallbacks of `method_fallbacks` too: name what the route answers.
        allowed = ALLOWED.get(resource_path or "") or [
            name.strip() for name in response.headers.get("Allow", "").split(",") if name.strip()
        ]
        ours = not_allowed(method, allowed)
    else:
        code, message = CHALICE_ERRORS.get(status, ("internal_error", "an internal error occurred"))
        ours = error_response(status if status in CHALICE_ERRORS else 500, code, message)
    for name, value in response.headers.items():
        if name.lower() != "content-type":
            ours.headers.setdefault(name, value)
    return ours


def json_response(payload: Any, status: int = 200) -> Response:
    # A model is written by pydantic's own serializer, in one pass: for the purchasing list of 2,000
    # lines that is a quarter of the time of a model_dump then json.dumps. The same JSON, no spaces.
    body = payload.model_dump_json() if isinstance(payload, BaseModel) else _json_text(_plain(payload))
    return Response(body, status_code=status, headers=dict(_JSON))


def _json_text(value: Any) -> str:
    """`value` as JSON that is valid UTF-8: an error may name a body's field as the client sent it,
    and a key holding a lone surrogate cannot be encoded (chalice then failed on the answer); such a
    character is written as its JSON escape (`\\ud800`), the rest as itself."""
    text = json.dumps(value, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Only inside a JSON string can such a character be: its escape is valid JSON there.
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


_JSON = {"Content-Type": "application/json; charset=utf-8"}


def _plain(payload: Any) -> Any:
    if isinstance(payload, BaseModel):
        return payload.model_dump(mode="json")
    if isinstance(payload, list):
        return [_plain(item) for item in payload]
    if isinstance(payload, dict):
        return {key: _plain(value) for key, value in payload.items()}
    if isinstance(payload, Decimal):
        return str(payload)
    return payload


def _depth(value: Any, limit: int) -> int:
    depth, level = 0, [value]
    while level:
        depth += 1
        if depth > limit:
            return depth
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
        ]
    return depth


def parse_body(raw: bytes | None, headers: dict[str, str], model: type[BaseModel]) -> BaseModel:
    """The request's JSON body as `model`; 413 when too large, 400 when not JSON or not valid."""
    raw = raw or b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLargeError(f"the body is larger than {MAX_BODY_BYTES // 1024} KiB")
    content_type = (headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise InvalidInputError("send the body as JSON with Content-Type: application/json")
    try:
        # Numbers with a fraction become Decimal: money never passes through float. Every number is
        # bounded by its text before anything computes with it (`json_numbers`).
        data = json.loads(
            raw.decode("utf-8"), parse_float=json_numbers.decimal, parse_int=json_numbers.integer
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidInputError("the body is not valid JSON") from None
    if _depth(data, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise InvalidInputError("the body is nested too deeply")
    where = json_numbers.out_of_range(data)
    if where is not None:
        message = (
            f"a number out of range: at most {json_numbers.MAX_EXPONENT} digits before and after the point"
        )
        raise InvalidInputError(
            "the body is not valid",
            details=[
                {
                    "field": where,
                    "message": message,
                    "type": "number_out_of_range",
                    "limit": str(json_numbers.MAX_EXPONENT),
                }
            ],
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInputError("the body is not valid", details=validation_details(exc)) from None


def _takes_list(annotation: Any) -> bool:
    """Whether a field's type is (or may be) a list, e.g. `list[str] | None`."""
    return get_origin(annotation) is list or any(_takes_list(arg) for arg in get_args(annotation))


def parse_query(params: dict[str, list[str]] | None, model: type[BaseModel]) -> BaseModel:
    """The query string as `model`: repeatable parameters are lists where the model says list."""
    values: dict[str, Any] = {}
    for name, items in (params or {}).items():
        annotation = model.model_fields.get(name)
        is_list = annotation is not None and _takes_list(annotation.annotation)
        values[name] = items if is_list else items[-1]
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise InvalidInputError("the query string is not valid", details=validation_details(exc)) from None


def refuse_bad_path_text(name: str, value: str) -> None:
    """A path segment breaking the text rule of the schemas is a 400 naming it (PostgreSQL would
    refuse a NUL with a 500)."""
    # chalice local passes segments still %-encoded, API Gateway decoded: look at both.
    problem = text_problem(value) or text_problem(unquote(value))
    if problem:
        raise InvalidInputError(
            f"{name} {problem}", details=[{"field": name, "message": problem, "type": "text"}]
        )


MAX_ID = 10**18 - 1  # 18 digits: every id fits PostgreSQL's bigint


def parse_id(value: str, name: str = "id") -> int:
    if not value.isascii() or not value.isdigit() or len(value) > 18 or int(value) <= 0:
        raise InvalidInputError(
            f"{name} must be a positive integer",
            details=[{"field": name, "message": "not a positive integer", "type": "id"}],
        )
    return int(value)


_PREFLIGHTED: set[str] = set()
ALLOWED: dict[str, list[str]] = {}  # a path -> the methods its routes answer, OPTIONS last
# Every method API Gateway and Chalice know but OPTIONS (each route answers its own preflight). TRACE
# and CONNECT never reach the app: API Gateway has no such methods and answers them itself.
ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def method_fallbacks(routes: dict[str, dict[str, Any]]) -> Blueprint:
    """A 405 in the contract's error body (with `Allow`) for each method a path of `routes` (the
    app's, once every route is registered) lacks. Chalice answers such a request with its own body
    (rewritten by `in_contract_body`), and API Gateway, which only knows the methods routes declare,
    with its "missing token" answer: a route here makes both reach the app and say 405."""
    fallbacks = Blueprint("method_fallbacks")
    for path, entries in list(routes.items()):
        allowed = sorted(entries, key=lambda method: (method == "OPTIONS", method))
        ALLOWED[path] = allowed
        missing = [method for method in ALL_METHODS if method not in entries]
        if missing:
            fallbacks.route(path, methods=missing, content_types=ACCEPTED_CONTENT_TYPES)(
                _not_allowed_view(fallbacks, allowed)
            )
    return fallbacks


def not_allowed(method: str, allowed: list[str]) -> Response:
    """405 for `method`; `allowed`: what the path answers (OPTIONS, where it has it, last)."""
    use = ", ".join(name for name in allowed if name != "OPTIONS")
    response = error_response(405, "method_not_allowed", f"{method} is not allowed here; use {use}")
    response.headers["Allow"] = ", ".join(allowed)
    return response


def _not_allowed_view(blueprint: Blueprint, allowed: list[str]) -> Callable[..., Response]:
    def method_not_allowed(**path_params: str) -> Response:
        return not_allowed(blueprint.current_request.method, allowed)

    return method_not_allowed


def _preflight_view(blueprint: Blueprint) -> Callable[..., Response]:
    def answer_preflight(**path_params: str) -> Response:
        return preflight(blueprint.current_request.headers.get("origin"))

    return answer_preflight


def api_route(
    blueprint: Blueprint,
    path: str,
    *,
    method: str = "GET",
    summary: str,
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    response: Any = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
    public: bool = False,
    path_values: dict[str, tuple[str, ...]] | None = None,
    files: tuple[str, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `handler(request, **path_params, query=..., body=...)` at `path`."""

    def register(handler: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(handler)
        def view(**path_params: str) -> Response:
            request = blueprint.current_request
            try:
                if method != "GET" and not public and access_of(request) != "full":
                    raise ForbiddenError("this token may only read")
                for name, value in path_params.items():
                    refuse_bad_path_text(name, value)
                kwargs: dict[str, Any] = dict(path_params)
                if query is not None:
                    params = request.query_params
                    multi = {name: params.getlist(name) for name in params} if params else {}
                    kwargs["query"] = parse_query(multi, query)
                if body is not None:
                    kwargs["body"] = parse_body(request.raw_body, dict(request.headers), body)
                result = handler(request, **kwargs)
                return result if isinstance(result, Response) else json_response(result, status)
            except StratteraError as exc:
                return response_for(exc)
            except Exception:
                log.exception("unhandled error", extra={"path": path, "method": method})
                return error_response(500, "internal_error", "an internal error occurred")

        options: dict[str, Any] = {"methods": [method], "content_types": ACCEPTED_CONTENT_TYPES}
        if not public:
            options["authorizer"] = bearer_tokens
        blueprint.route(path, **options)(view)
        if path not in _PREFLIGHTED:  # browsers ask before a cross-origin call, with no token
            _PREFLIGHTED.add(path)
            blueprint.route(path, methods=["OPTIONS"])(_preflight_view(blueprint))
        REGISTRY.routes.append(
            RouteSpec(
                path, method, summary, query, body, response, status, errors, public, path_values or {}, files
            )
        )
        return handler

    return register
