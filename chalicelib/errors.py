"""The one error hierarchy of the service.

    StratteraError
    ├── ConfigError                bad or missing configuration (fails at start)
    ├── DatabaseUnavailableError   Postgres cannot be reached or timed out
    ├── NotFoundError              a record that does not exist
    ├── InvalidInputError          a request body, query string or path parameter is malformed
    ├── PayloadTooLargeError       a request body over the limit
    ├── ExportTooLargeError        a file to download larger than a response can carry
    ├── UnauthorizedError          no or an unknown bearer token
    ├── ForbiddenError             a read-only token on a write
    ├── ConflictError              e.g. a sync of that resource is already running
    │   └── RecordBusyError            a record another writer (a sync) holds; try again shortly
    ├── ListingStorageError        a listing could not be written to its file (disk full, not writable)
    ├── TelegramError              a message to the staff's chat was not delivered (after retries)
    └── UpstreamError              the shop API failed (after retries)
        ├── UpstreamHTTPError          it answered with an error status
        ├── UpstreamTimeoutError       it did not answer in time
        └── UpstreamFormatError        it answered with something that is not what we expect

Only the HTTP layer (`chalicelib.routes.http`) turns these into status codes and error bodies.
Messages never carry a secret: they are safe to show to a client and to log.
"""

from __future__ import annotations

from typing import Any


class StratteraError(Exception):
    """Base of every error this service raises on purpose."""

    def __init__(self, message: str, *, details: list[Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class ConfigError(StratteraError):
    """A configuration variable is missing or malformed; the message names it."""


class DatabaseUnavailableError(StratteraError):
    """The database could not be reached, or a statement ran into its timeout."""


class NotFoundError(StratteraError):
    """The requested record does not exist."""


class InvalidInputError(StratteraError):
    """Input from a client is malformed; `details` lists what, field by field."""


class PayloadTooLargeError(StratteraError):
    """A request body is larger than we accept."""


class ExportTooLargeError(StratteraError):
    """An export larger than a response can carry (chalicelib/exports.py): ask for less."""


class UnauthorizedError(StratteraError):
    """No bearer token, or one we do not know."""


class ForbiddenError(StratteraError):
    """A known token that may not do this (a read-only token on a write)."""


class ConflictError(StratteraError):
    """The request conflicts with the current state (a sync already running)."""


class RecordBusyError(ConflictError):
    """A record another transaction holds (a sync rewriting it commits at its end): an edit does not
    wait for it past a few seconds, and says so."""


class ListingStorageError(StratteraError):
    """The shop's listing could not be written to the run's file in the listing folder."""


class TelegramError(StratteraError):
    """A message could not be delivered through the Telegram Bot API (after retries, within the
    call's budget); never holds the bot token."""


class UpstreamError(StratteraError):
    """The shop API failed; the message names the URL (never the token)."""


class UpstreamHTTPError(UpstreamError):
    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class UpstreamTimeoutError(UpstreamError):
    pass


class UpstreamFormatError(UpstreamError):
    pass
