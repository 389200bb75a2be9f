"""GET /api/health: is the service up, and can it reach its database? (no token needed)"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib import stores, wiring
from chalicelib.errors import StratteraError
from chalicelib.routes.http import api_route, json_response
from chalicelib.routes.models.session import Health

health_routes = Blueprint(__name__)


@api_route(
    health_routes,
    "/api/health",
    summary="Liveness and database reachability",
    response=Health,
    errors=(503,),
    public=True,
)
def health(request: Any) -> Response:
    try:
        stores.ping(wiring.database())
    except StratteraError:
        return json_response(Health(status="degraded", database="unreachable"), 503)
    return json_response(Health(status="ok", database="ok"))
