"""Headers on every response the Lambda gives, errors included: security headers and CORS.

CORS: Chalice's `CORSConfig` names one origin and API Gateway's generated preflight is static, so the
service answers preflights itself (an OPTIONS route beside every route, see `http.api_route`) and echoes
the request's `Origin` only when it is in `CORS_ALLOWED_ORIGINS`; a foreign origin gets no
`Access-Control-Allow-Origin`. (401/403 from the authorizer come from API Gateway, not from here.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice import Response

from chalicelib import wiring

# What Helmet gives an Express app, for a JSON API that no browser should render or frame.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
ALLOWED_METHODS = "GET, POST, PUT, DELETE, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type"


def cors_headers(origin: str | None, *, preflight: bool = False) -> dict[str, str]:
    headers = {"Vary": "Origin"}
    if origin and origin in wiring.settings().cors_allowed_origins:
        headers["Access-Control-Allow-Origin"] = origin
        if preflight:
            headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            headers["Access-Control-Max-Age"] = "600"
    return headers


def preflight(origin: str | None) -> Response:
    return Response(body="", status_code=204, headers=cors_headers(origin, preflight=True))


def add_response_headers(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """Chalice HTTP middleware: security and CORS headers on whatever the route answered."""
    response = get_response(event)
    origin = (event.headers or {}).get("origin")
    for name, value in {**SECURITY_HEADERS, **cors_headers(origin)}.items():
        response.headers.setdefault(name, value)
    return response
