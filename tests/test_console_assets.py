"""The console's files, as `chalice local` serves them over HTTP: types, ETags, 404s, no way out of
the console folder, the console's CSP; and what the files themselves promise (pins, strings)."""

from __future__ import annotations

import http.client
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from chalicelib.routes.console import ASSETS, CONSOLE_DIR
from devtools import vendor_console
from devtools.served_app import ServedApp


def fetch(served: ServedApp, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    """GET `path` sent exactly as written (no client-side normalizing of `..` or escapes)."""
    address = urlsplit(served.url)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=30)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/", "text/html; charset=utf-8"),
        ("/docs", "text/html; charset=utf-8"),
        ("/console/app.js", "text/javascript; charset=utf-8"),
        ("/console/style.css", "text/css; charset=utf-8"),
        ("/console/icon.svg", "image/svg+xml"),
        ("/console/pages/orders.js", "text/javascript; charset=utf-8"),
        ("/console/vendor/preact-htm-standalone.module.js", "text/javascript; charset=utf-8"),
    ],
)
def test_console_files_are_served_with_their_type_an_etag_and_the_console_csp(
    served_app: ServedApp, path: str, content_type: str
) -> None:
    response = fetch(served_app, path)
    assert response.status == 200
    assert response.getheader("Content-Type") == content_type
    assert re.fullmatch(r'"[0-9a-f]{32}"', response.getheader("ETag") or "")
    assert response.getheader("Cache-Control") == "no-cache"
    csp = response.getheader("Content-Security-Policy") or ""
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.getheader("X-Content-Type-Options") == "nosniff"


def test_the_page_needs_no_token_and_holds_no_data(served_app: ServedApp) -> None:
    page = fetch(served_app, "/").body.decode()  # type: ignore[attr-defined]
    assert '<script type="module" src="console/app.js">' in page
    assert "<script>" not in page and "style=" not in page  # nothing inline for the CSP to allow


def test_an_unchanged_file_is_answered_304(served_app: ServedApp) -> None:
    first = fetch(served_app, "/console/app.js")
    etag = first.getheader("ETag") or ""
    again = fetch(served_app, "/console/app.js", {"If-None-Match": etag})
    assert again.status == 304 and again.body == b""  # type: ignore[attr-defined]
    assert again.getheader("ETag") == etag
    assert fetch(served_app, "/console/app.js", {"If-None-Match": f'"other", W/{etag}'}).status == 304
    assert fetch(served_app, "/console/app.js", {"If-None-Match": '"other"'}).status == 200


@pytest.mark.parametrize(
    "path",
    [
        "/console/nothing.js",
        "/console/pages/nothing.js",
        "/console/vendor/",
        "/console/LICENSE",
        "/console/../app.py",
        "/console/..%2fapp.py",
        "/console/%2e%2e%2fapp.py",
        "/console/%2e%2e/app.py",
        "/console/pages/..%2f..%2fapp.py",
        "/console/..%5c..%5capp.py",
        "/console/%252e%252e%252fapp.py",
        "/console/pages/../../app.py",
        "/console/....//app.py",
        "/console/%00app.js",
    ],
)
def test_unknown_names_and_paths_out_of_the_folder_are_404(served_app: ServedApp, path: str) -> None:
    response = fetch(served_app, path)
    body = response.body  # type: ignore[attr-defined]
    # 403: no route matches at all, as API Gateway answers; 404: a console route, but no such file.
    assert response.status in (403, 404), (path, response.status)
    assert b"Chalice(" not in body and b"import" not in body


def test_the_json_api_keeps_its_own_strict_headers(served_app: ServedApp) -> None:
    response = fetch(served_app, "/api/health")
    assert response.getheader("Content-Security-Policy") == "default-src 'none'; frame-ancestors 'none'"
    assert response.getheader("Cache-Control") == "no-store"


def test_every_console_file_is_reachable_by_the_routes() -> None:
    on_disk = {p.relative_to(CONSOLE_DIR).as_posix() for p in CONSOLE_DIR.rglob("*") if p.is_file()}
    served = set(ASSETS)
    assert served <= on_disk
    assert all(name.count("/") <= 1 for name in served)  # /console/{asset}, /console/{folder}/{asset}
    assert {p for p in on_disk if not p.endswith(".md")} == served  # nothing on disk is left unserved


def test_the_vendored_files_are_the_pinned_ones() -> None:
    assert vendor_console.check() == []


def test_first_load_stays_under_300_kb() -> None:
    # Everything a first visit can load (every module, the stylesheet, both languages).
    total = sum(len(a.body.encode()) for name, a in ASSETS.items() if not name.endswith(".txt"))
    assert total < 300_000, total


def _keys(path: Path) -> set[str]:
    return set(re.findall(r"^\s*'([^']+)':", path.read_text(), flags=re.MULTILINE))


def test_both_languages_have_every_string_the_console_uses() -> None:
    ru, en = _keys(CONSOLE_DIR / "i18n" / "ru.js"), _keys(CONSOLE_DIR / "i18n" / "en.js")
    assert ru == en, ru ^ en
    used = set()
    for script in CONSOLE_DIR.rglob("*.js"):
        if "vendor" not in script.parts:
            used |= set(re.findall(r"\bt\('([a-zA-Z][\w.-]*)'", script.read_text()))
    assert used - ru == set()
