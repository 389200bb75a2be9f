"""Wiring only: the HTTP routes (Blueprints), the schedules, the alarms' SNS handler and the console
functions.

Everything else lives in `chalicelib/`.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

from chalice import Chalice
from chalice.app import SNSEvent

from chalicelib import exports, wiring
from chalicelib.alerts import SendRequest
from chalicelib.errors import ConfigError
from chalicelib.migrate import migrate_and_prepare
from chalicelib.routes.auth import auth_routes
from chalicelib.routes.console import console_routes
from chalicelib.routes.exports import export_routes
from chalicelib.routes.fallback import fallback_routes
from chalicelib.routes.health import health_routes
from chalicelib.routes.history import history_routes
from chalicelib.routes.http import contract_errors, method_fallbacks
from chalicelib.routes.me import me_routes
from chalicelib.routes.openapi import openapi_routes
from chalicelib.routes.orders import order_routes
from chalicelib.routes.products import product_routes
from chalicelib.routes.profit import profit_routes
from chalicelib.routes.purchasing import purchasing_routes
from chalicelib.routes.response_headers import add_response_headers
from chalicelib.routes.sync import sync_routes
from chalicelib.sync.lambda_payload import SyncRequest


def _serving() -> bool:
    # `chalice deploy` / `chalice package` import this module only to read its routes: they need no
    # configuration. A Lambda and `chalice local` do, and should refuse to start without it.
    return not os.environ.get("AWS_CHALICE_CLI_MODE") or "local" in sys.argv


if _serving():
    try:
        wiring.settings()
    except ConfigError as exc:
        sys.exit(f"configuration error: {exc.message}")

wiring.setup_logging()
app = Chalice(app_name="strattera-sync")
app.api.binary_types.extend(exports.BINARY_TYPES)  # files travel base64-encoded through API Gateway
app.register_middleware(add_response_headers, "http")
app.register_middleware(contract_errors, "http")  # inside: its answers get the headers too
for blueprint in (
    auth_routes,
    health_routes,
    me_routes,
    order_routes,
    product_routes,
    history_routes,
    purchasing_routes,
    profit_routes,
    export_routes,
    sync_routes,
    openapi_routes,
    fallback_routes,
    console_routes,
):
    app.register_blueprint(blueprint)
app.register_blueprint(method_fallbacks(app.routes))


@app.schedule("rate(5 minutes)", name="scheduled_sync")
def scheduled_sync(event: Any) -> list[dict[str, Any]]:
    """Every 5 minutes: products, then orders. A run that finds the last one still going is skipped."""
    return [s.model_dump(mode="json") for s in wiring.sync_service().run_all(trigger="schedule")]


@app.lambda_function(name="sync")
def sync_function(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    """Console: `{"resources": ["orders", "products"]}` (both when omitted); returns the run summaries."""
    request = SyncRequest.parse(event)
    service = wiring.sync_service()
    return {"runs": [service.run(r, trigger="lambda").model_dump(mode="json") for r in request.ordered()]}


@app.lambda_function(name="migrate")
def migrate_function(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Console: apply pending migrations; returns what it applied."""
    return {"applied": migrate_and_prepare(wiring.database(), tz=str(wiring.settings().shop_timezone.key))}


# The stack's alarm topic (deploy/resources.yaml). Chalice writes a topic name into `Fn::Sub`, so the
# stage's `${Stage}` parameter resolves in it: one app for both stages. `chalice local` runs no SNS.
@app.on_sns_message(topic="strattera-sync-${Stage}-alarms", name="alarm_messages")
def alarm_messages(event: SNSEvent) -> dict[str, Any]:
    """An alarm's state change: one Telegram message per incident, edited when it recovers."""
    return wiring.alerts().on_sns(event.message)


# EventBridge's clock is UTC; the shop's moves with daylight saving: look every 15 minutes, and the
# digest goes at the first look past DIGEST_AT, shop-local, once a day.
@app.schedule("cron(0/15 * * * ? *)", name="morning_digest")
def morning_digest(event: Any) -> dict[str, Any]:
    """The morning stock digest, when it is due."""
    return wiring.alerts().on_schedule()


@app.lambda_function(name="telegram")
def telegram_function(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    """Console: `{"send": "test"}` (a test message to every chat) or `{"send": "digest"}` (now)."""
    return wiring.alerts().on_request(SendRequest.parse(event))


# Everything imported and built by now lives as long as the process (a warm Lambda, `chalice local`):
# moved out of the collector's reach, so that a full collection during a request scans that request's
# objects, not the whole app's. A 2,000-line purchasing answer makes enough objects to set one off:
# it scanned every model, schema and module (p95 94-110 ms in the API benchmark's case, 66-72 with this).
gc.freeze()
