"""The console in a real browser, for the tests: headless Chromium from the OS packages (Debian's) driven
by Playwright, a tab that records every JavaScript error and CSP violation, screenshots in
build/test-artifacts/screenshots/. The session's one browser is the `browser` fixture (conftest.py)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from devtools.served_app import ADMIN_TOKEN, ServedApp
from tests.conftest import ARTIFACTS

SHOTS = ARTIFACTS / "screenshots"
# As the machine's probe starts it: no sandbox as root, and nothing that calls out to Google's hosts.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# (Waits use locators, never `wait_for_function`: Playwright evaluates that predicate with eval, which
# the console's CSP rightly refuses, and the refusal is reported like any other.)
# An API answer the page handles (401 on a wrong token, 409, 400, 404 for a record that is not there)
# is logged by Chromium as a failed resource; that is not a JavaScript error. Everything else at level
# "error" is.
HANDLED_HTTP = re.compile(
    r"^Failed to load resource: the server responded with a status of (400|401|403|404|409|502)\b"
)
REPORT_CSP = """
document.addEventListener('securitypolicyviolation', (e) =>
  console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
"""


def chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def launched() -> Iterator[Browser]:
    """The browser for a test session (the `browser` fixture); skipped without one, but in CI."""
    path = chromium()
    if path is None:
        message = "no Chromium to drive: apt-get install chromium (.ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)  # in CI the browser tests must run, never skip
        pytest.skip(message)
    with sync_playwright() as playwright:
        # The browser's own words (a date field's "дд.мм.гггг") in the staff's language: Chromium on
        # Linux takes its locale from LANGUAGE, with Debian's chromium-l10n installed (.ci/run does).
        env: dict[str, str | float | bool] = {**os.environ, "LANGUAGE": "ru"}
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS, env=env)
        yield browser
        browser.close()


class Console:
    """One browser tab on the console, recording every JavaScript error and CSP violation."""

    def __init__(self, browser: Browser, served: ServedApp, width: int = 1280) -> None:
        self.served = served
        self.context = browser.new_context(viewport={"width": width, "height": 900}, locale="ru-RU")
        self.context.add_init_script(REPORT_CSP)
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        self.page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if message.type == "error" and not HANDLED_HTTP.match(message.text):
            self.errors.append(message.text)

    def open(self, fragment: str = "") -> None:
        self.page.goto(self.served.url + (f"#{fragment}" if fragment else ""))

    def sign_in(self, token: str = ADMIN_TOKEN) -> None:
        self.open()
        self.page.fill("#token", token)
        self.page.press("#token", "Enter")
        self.page.wait_for_selector("header.top nav")

    def sync(self, which: str) -> str:
        """Press a sync button on the overview; the result line(s) or the error shown."""
        self.open("/")
        self.page.click(f"[data-sync={which}]")
        # A sync over HTTP may take its whole budget (25 s, routes/sync.py) before it answers.
        self.page.wait_for_selector(".sync-result, .error-box", timeout=40_000)
        return self.page.inner_text(".sync-result, .error-box")

    def shot(self, name: str, *, full_page: bool = True) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)

    def close(self) -> None:
        self.context.close()
