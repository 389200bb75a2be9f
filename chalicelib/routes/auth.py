"""Bearer-token authentication: a Chalice built-in authorizer (it runs under `chalice local` too).

Full-access tokens may call every route, read-only tokens only GET. Tokens are compared in constant
time against every configured token; the caller is known by the token's name (never the token),
which edits and logs record. No or an unknown token: 401 (API Gateway's UNAUTHORIZED response in AWS,
the same body here under chalice local); a read-only token on a write: 403 from the app itself.
"""

from __future__ import annotations

import hmac
import os
from typing import Any, Literal

from chalice import AuthResponse, Blueprint
from chalice.app import AuthRequest

from chalicelib import wiring


def _match(token: str, tokens: dict[str, str]) -> str | None:
    found = None
    for candidate, name in tokens.items():
        # compare against every token, so the time taken does not tell which one nearly matched
        if hmac.compare_digest(candidate.encode(), token.encode()):
            found = name
    return found


def identify(header: str | None) -> tuple[str, bool] | None:
    """(name, may_write) for an `Authorization: Bearer <token>` header, or None."""
    if not header or not header.startswith("Bearer "):
        return None
    token = header.removeprefix("Bearer ").strip()
    if not token:
        return None
    settings = wiring.settings()
    name = _match(token, wiring.api_tokens())
    if name is not None:
        return name, True
    name = _match(token, settings.api_readonly_tokens)
    if name is not None:
        return name, False
    name = _match(token, wiring.api_tokens(refresh=True))  # issued since the secret was cached?
    return (name, True) if name is not None else None


# As API Gateway's UNAUTHORIZED gateway response (deploy/resources.yaml) answers in AWS.
UNAUTHORIZED_BODY = (
    b'{"error": {"code": "unauthorized", '
    b'"message": "no or an unknown token: send Authorization: Bearer <token>", "details": []}}'
)


def _deny() -> Any:
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        raise Exception("Unauthorized")
    from chalice.local import NotAuthorizedError  # chalice local / chalice.test: a 401 of our own

    raise NotAuthorizedError({"x-amzn-ErrorType": "UnauthorizedException"}, UNAUTHORIZED_BODY)


auth_routes = Blueprint(__name__)


# ttl 0: API Gateway does not cache the answer, so a revoked token stops working at once.
@auth_routes.authorizer(name="bearer_tokens", ttl_seconds=0)
def bearer_tokens(request: AuthRequest) -> AuthResponse:
    who = identify(request.token)
    if who is None:
        return _deny()
    name, may_write = who
    # Every route is admitted; a read-only token's writes are refused by the app (http.api_route)
    # with the contract's 403 body, the same under chalice local as behind API Gateway.
    return AuthResponse(routes=["*"], principal_id=name, context={"access": "full" if may_write else "read"})


def _authorizer_context(request: Any) -> dict[str, Any]:
    return dict((request.context or {}).get("authorizer") or {})


def caller(request: Any) -> str:
    """The name of the token that made `request` (for edits and logs)."""
    return str(_authorizer_context(request).get("principalId") or "unknown")


def access_of(request: Any) -> Literal["full", "read"]:
    """`full` or `read`, as the authorizer decided for `request`'s token."""
    return "full" if _authorizer_context(request).get("access") == "full" else "read"
