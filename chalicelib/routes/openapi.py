"""GET /api/openapi.json: the OpenAPI 3.1 description, generated from the routes' own models.

Every route registered through `api_route` is described from the same pydantic models that validate
its query string and body and shape its answer, so the description cannot drift from the code.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Literal

from chalice import Blueprint
from pydantic import BaseModel, TypeAdapter

from chalicelib.routes.http import MAX_ID, REGISTRY, RouteSpec, api_route

openapi_routes = Blueprint(__name__)

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "array", "items": {}},
            },
        }
    },
}
ERROR_TEXT = {
    400: "invalid input",
    401: "no or an unknown token",
    403: "a read-only token on a write",
    404: "not found",
    409: "a sync of that resource is already running",
    413: "body too large",
    502: "the shop API failed",
    503: "the database is unreachable",
}


def _schema(
    annotation: Any,
    definitions: dict[str, Any],
    mode: Literal["validation", "serialization"] = "serialization",
) -> dict[str, Any]:
    """Responses as the service writes them; request bodies (`validation`) as it reads them."""
    schema = TypeAdapter(annotation).json_schema(ref_template="#/components/schemas/{model}", mode=mode)
    for name, definition in schema.pop("$defs", {}).items():
        # Components are named by class: two models of one name would silently share one schema
        # (Schemathesis found a run's `StatusCount` standing in for the stats' one).
        if definitions.setdefault(name, definition) != definition:
            raise TypeError(f"two models are named {name}: the API description needs one name each")
    return schema


def _parameters(spec: RouteSpec) -> list[dict[str, Any]]:
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": _path_schema(spec, name)}
        for name in re.findall(r"{(\w+)}", spec.path)
    ]
    if spec.query is not None:
        schema = spec.query.model_json_schema()
        for name, prop in schema.get("properties", {}).items():
            parameters.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in schema.get("required", []),
                    "schema": prop,
                    **({"explode": True} if prop.get("anyOf") and "array" in str(prop) else {}),
                }
            )
    return parameters


def _path_schema(spec: RouteSpec, name: str) -> dict[str, Any]:
    if name.endswith("_id"):  # parse_id: at most 18 digits, so that it fits a bigint
        return {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    if name in spec.path_values:
        return {"type": "string", "enum": list(spec.path_values[name])}
    return {"type": "string"}


def build(routes: list[RouteSpec]) -> dict[str, Any]:
    definitions: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for spec in routes:
        operation: dict[str, Any] = {
            "summary": spec.summary,
            "parameters": _parameters(spec),
            "responses": {},
        }
        if spec.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _schema(spec.body, definitions, "validation")}},
            }
        success: dict[str, Any] = {"description": "OK"}
        if spec.response is not None:
            success["content"] = {"application/json": {"schema": _schema(spec.response, definitions)}}
        if spec.files:
            success["content"] = {
                media.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
                for media in spec.files
            }
        operation["responses"][str(spec.status)] = success
        codes = set(spec.errors) | ({401, 403} if not spec.public else set())
        for code in sorted(codes):
            operation["responses"][str(code)] = {
                "description": ERROR_TEXT.get(code, "error"),
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        if not spec.public:
            operation["security"] = [{"bearer": []}]
        paths.setdefault(spec.path, {})[spec.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "strattera-sync",
            "version": "1.0.0",
            "description": "The admin dashboard's API over the shop's orders and products.",
        },
        "paths": paths,
        "components": {
            "schemas": definitions,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@functools.cache
def document() -> dict[str, Any]:
    return build(REGISTRY.routes)


class OpenAPIDocument(BaseModel):
    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]


# No token: the description holds no data, and a developer reads it (or /docs) before having one.
@api_route(
    openapi_routes, "/api/openapi.json", summary="This description", response=OpenAPIDocument, public=True
)
def openapi(request: Any) -> dict[str, Any]:
    return document()
