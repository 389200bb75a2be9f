"""Any other path under /api: a 404 in the contract's error body (not the gateway's own)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.routes.http import ACCEPTED_CONTENT_TYPES, ALL_METHODS, error_response

fallback_routes = Blueprint(__name__)


@fallback_routes.route("/api/{proxy+}", methods=list(ALL_METHODS), content_types=ACCEPTED_CONTENT_TYPES)
def unknown_route(**params: str) -> Response:
    request: Any = fallback_routes.current_request
    path = str((request.context or {}).get("path") or "/api/...")
    return error_response(404, "not_found", f"no route {request.method} {path[:200]}")
