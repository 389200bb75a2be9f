"""GET /api/me: who the presented token is, and how the shop counts its days.

A client (the console among them) asks this once after sign-in: a 401 means a wrong token, `access`
says whether edits are allowed (`read` tokens get 403 on every write), and `shop_timezone` is the zone
in which dates are shown and `date_from` / `date_to` are read.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import wiring
from chalicelib.routes.auth import access_of, caller
from chalicelib.routes.http import api_route
from chalicelib.routes.models.session import Me

me_routes = Blueprint(__name__)


@api_route(me_routes, "/api/me", summary="The caller's token name and access", response=Me)
def me(request: Any) -> Me:
    return Me(
        name=caller(request),
        access=access_of(request),
        shop_timezone=str(wiring.settings().shop_timezone.key),
    )
