"""Links from a message to the console page that helps (CONSOLE_URL: the stack sets it to its API's
address). Without it, a message has no link: the rest of it still says what is wrong."""

from __future__ import annotations

from chalicelib.alerts.texts import Texts
from chalicelib.telegram import escape


class Links:
    def __init__(self, console_url: str | None, texts: Texts) -> None:
        self._base = console_url.rstrip("/") if console_url else None
        self._texts = texts

    def _link(self, fragment: str, label: str) -> str:
        if self._base is None:
            return ""
        return f'<a href="{escape(f"{self._base}/#/{fragment}")}">{label}</a>'

    def run(self, run_id: int) -> str:
        return self._link(f"runs/{run_id}", self._texts.say("link.run", run=run_id))

    def overview(self) -> str:
        return self._link("", self._texts.say("link.overview"))

    def purchasing(self) -> str:
        return self._link("purchasing", self._texts.say("link.purchasing"))

    def console(self) -> str:
        """Where a message cut short sends the reader for the rest (the digest's products)."""
        return self.purchasing() or "…"
