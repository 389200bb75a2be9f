"""GET /api/health: is the service up, and can it reach its database? (no token needed)"""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.errors import StratteraError

health_routes = Blueprint(__name__)


@health_routes.route("/api/health", methods=["GET"])
def health() -> Response:
    try:
        wiring.database().run("SELECT 1")
    except StratteraError:
        return Response({"status": "degraded", "database": "unreachable"}, status_code=503)
    return Response({"status": "ok", "database": "ok"}, status_code=200)
