"""The staff console: one page and its static files, served by the app itself.

    GET /                            the page (`chalicelib/console/index.html`)
    GET /docs                        the API reference (`docs.html`), read from GET /api/openapi.json
    GET /console/{asset}             its scripts, styles and icon
    GET /console/{folder}/{asset}    the same one folder down (pages/, i18n/, vendor/)

The files hold no data and need no token: the page signs in with an API token and then calls the
JSON API like any other client. Every file is read once, at import, into a fixed table keyed by its
path below `chalicelib/console/`, so a request names a key or gets 404: no path a client sends is
ever joined to a directory, and `../app.py` in any spelling cannot reach a file. Each file carries an
ETag (a digest of its bytes) and is revalidated on every load (`no-cache`), answered 304 when unchanged.
(Two fixed depths rather than a greedy `{proxy+}`: `chalice local` matches one segment per parameter.)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalice import Blueprint, Response

from chalicelib.routes.http import error_response

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}

# Scripts, styles, images and API calls from this origin only; no inline script or style, no eval,
# no framing. (The JSON API keeps its own stricter `default-src 'none'`.)
CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class Asset:
    body: str
    content_type: str
    etag: str


def load_assets(folder: Path = CONSOLE_DIR) -> dict[str, Asset]:
    """Every servable file below `folder`, keyed by its path relative to it (`vendor/x.mjs`)."""
    assets = {}
    for path in sorted(folder.rglob("*")):
        content_type = CONTENT_TYPES.get(path.suffix)
        if not path.is_file() or content_type is None:
            continue
        raw = path.read_bytes()
        etag = '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'
        assets[path.relative_to(folder).as_posix()] = Asset(raw.decode("utf-8"), content_type, etag)
    return assets


ASSETS = load_assets()
PAGE = "index.html"
REFERENCE = "docs.html"

console_routes = Blueprint(__name__)


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in candidates or etag in candidates


def serve(name: str, request: Any) -> Response:
    asset = ASSETS.get(name)
    if asset is None:
        return error_response(404, "not_found", "no such console file")
    headers = {
        "ETag": asset.etag,
        "Cache-Control": "no-cache",
        "Content-Security-Policy": CONSOLE_CSP,
    }
    if _matches(request.headers.get("if-none-match"), asset.etag):
        return Response(body="", status_code=304, headers=headers)
    return Response(body=asset.body, status_code=200, headers={**headers, "Content-Type": asset.content_type})


@console_routes.route("/", methods=["GET"])
def page() -> Response:
    request = console_routes.current_request
    # Behind API Gateway the page lives under the stage (`/api/`); asked for as `/api` its relative
    # links would resolve outside the stage, so add the slash first.
    path = str((request.context or {}).get("path") or "/")
    if not path.endswith("/"):
        return Response(body="", status_code=301, headers={"Location": path + "/"})
    return serve(PAGE, request)


@console_routes.route("/docs", methods=["GET"])
def reference() -> Response:
    return serve(REFERENCE, console_routes.current_request)


@console_routes.route("/console/{asset}", methods=["GET"])
def top_asset(asset: str) -> Response:
    return serve(asset, console_routes.current_request)


@console_routes.route("/console/{folder}/{asset}", methods=["GET"])
def folder_asset(folder: str, asset: str) -> Response:
    return serve(f"{folder}/{asset}", console_routes.current_request)
