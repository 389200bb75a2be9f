"""Configuration: one typed settings object, read from the environment once (docs/configuration.md).

`Settings.from_env()` validates every variable and raises `ConfigError` with one line that names the
variable at fault. Secrets that live in AWS (`*_SECRET_ID`) are not fetched here: they are resolved on
first use by `chalicelib.secrets`, so that importing the app never calls AWS.
"""

from __future__ import annotations

import os
import re
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from decimal import Decimal
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from chalicelib.errors import ConfigError

DEFAULT_SHOP_URL = "https://strattera.tgapp.online/api/v1"
# libpq's modes. `prefer` (libpq's default, and ours for DATABASE_URL) tries TLS without verifying who
# answers and falls back to plaintext; `allow` is left out.
SSL_MODES = ("disable", "prefer", "require", "verify-ca", "verify-full")

# Placeholders that people paste from examples; refusing them beats running with a guessable token.
_PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "token", "password", "xxx", "todo"}


@dataclass(frozen=True)
class ConnectParams:
    """Everything pg8000 needs to open a connection; built from a URL or an RDS secret."""

    user: str
    password: str | None
    host: str
    port: int
    database: str
    unix_sock: str | None = None
    sslmode: str = "prefer"
    sslrootcert: str | None = None

    def describe(self) -> str:
        """`user@host:port/database` (or the socket folder): for messages; never the password."""
        place = f"{self.unix_sock}" if self.unix_sock else f"{self.host}:{self.port}"
        return f"{self.user}@{place}/{self.database}"

    def ssl_context(self) -> ssl.SSLContext | Literal[False] | None:
        """What pg8000's `ssl_context` takes: False for no TLS, None for `prefer` (pg8000 tries TLS
        unverified and falls back), else the context TLS must succeed with."""
        if self.sslmode == "disable" or self.unix_sock:
            return False  # a Unix socket never speaks TLS: no need to ask the server first
        if self.sslmode == "prefer":
            return None
        context = ssl.create_default_context(cafile=self.sslrootcert or _default_ca_bundle())
        if self.sslmode == "require":
            # libpq's `require`: encrypt, but do not verify who answers.
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif self.sslmode == "verify-ca":
            context.check_hostname = False
        return context

    def redacted(self) -> str:
        """The target without the password, for messages and logs."""
        where = self.unix_sock or f"{self.host}:{self.port}"
        return f"postgresql://{self.user}@{where}/{self.database}"


def _default_ca_bundle() -> str | None:
    bundle = os.path.join(os.path.dirname(__file__), "certs", "rds-global-bundle.pem")
    return bundle if os.path.exists(bundle) else None


def parse_database_url(url: str) -> ConnectParams:
    """Parse `postgresql://user:pass@host:port/db?host=/socket/dir&sslmode=...`."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError("must start with postgresql://")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = set(query) - {"host", "sslmode", "sslrootcert", "port", "application_name"}
    if unknown:
        raise ValueError(f"unsupported query parameter(s): {', '.join(sorted(unknown))}")
    sslmode = query.get("sslmode", "prefer")
    if sslmode not in SSL_MODES:
        raise ValueError(f"sslmode must be one of {', '.join(SSL_MODES)}")
    try:
        port = int(query.get("port") or parts.port or 5432)
    except ValueError:
        raise ValueError("port must be a number") from None
    socket_dir = query.get("host")
    database = unquote(parts.path.lstrip("/"))
    user = unquote(parts.username or "")
    if not user:
        raise ValueError("needs a user name (postgresql://USER@host/db)")
    if not database:
        raise ValueError("needs a database name (postgresql://user@host/DB)")
    return ConnectParams(
        user=user,
        password=unquote(parts.password) if parts.password is not None else None,
        host=parts.hostname or "localhost",
        port=port,
        database=database,
        unix_sock=f"{socket_dir}/.s.PGSQL.{port}" if socket_dir else None,
        sslmode=sslmode,
        sslrootcert=query.get("sslrootcert"),
    )


def parse_token_list(raw: str, *, variable: str) -> dict[str, str]:
    """`name:token,name2:token2` (a bare token is named `admin`) -> {token: name}."""
    tokens: dict[str, str] = {}
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        name, sep, token = entry.partition(":")
        if not sep:
            name, token = "admin", entry
        name, token = name.strip(), token.strip()
        if not name or not token:
            raise ConfigError(f"{variable}: entry has an empty name or token (use name:token)")
        if len(token) < 16 or token.lower() in _PLACEHOLDER_SECRETS:
            raise ConfigError(f"{variable}: token for {name!r} is too short or a placeholder (>= 16 chars)")
        tokens[token] = name
    return tokens


def _csv(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


Positive = Annotated[int, Field(gt=0)]


class Settings(BaseModel):
    """The service's configuration. Built once per process by `Settings.from_env()`."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    database: ConnectParams | None = None
    database_secret_id: str | None = None
    database_sslmode: str = "verify-full"
    statement_timeout_ms: Positive = 30_000
    connect_timeout_s: Positive = 10

    shop_api_url: str = DEFAULT_SHOP_URL
    shop_api_token: SecretStr | None = None
    shop_api_token_secret_id: str | None = None
    shop_timezone: ZoneInfo = ZoneInfo("Europe/Moscow")
    shop_timeout_s: Positive = 30
    sync_deadline_s: Positive = 240
    # Where a run keeps the shop's listing while it parses it (Lambda: /tmp, as large as its ephemeral
    # storage), and how large the listing, decompressed, may be.
    sync_listing_dir: str = Field(default_factory=tempfile.gettempdir)
    sync_listing_max_bytes: Positive = 4 * 1024**3
    # The deletion guard (chalicelib/sync/deletion_guard.py): a listing leaving out more than this
    # share of a resource's live records, and more than this many, has its deletions held.
    sync_deletion_guard_percent: Annotated[Decimal, Field(ge=0, le=100)] = Decimal(10)
    sync_deletion_guard_min_records: Annotated[int, Field(ge=0)] = 20
    # Shape drift (chalicelib/sync/shape.py): a run that quarantines more than this share of its
    # listing turns the ShapeDrift metric on.
    sync_shape_drift_percent: Annotated[Decimal, Field(ge=0, le=100)] = Decimal(5)
    # How long the shop's changes stay on the records' timelines (chalicelib/stores/history.py).
    history_retention_days: Annotated[int, Field(ge=1, le=36_500)] = 400

    # Telegram (chalicelib/alerts): off unless a bot token (or its secret) and a chat are set.
    telegram_bot_token: SecretStr | None = None
    telegram_bot_token_secret_id: str | None = None
    telegram_chat_ids: list[str] = Field(default_factory=list)
    telegram_language: Literal["ru", "en"] = "ru"
    telegram_api_url: str = "https://api.telegram.org"
    digest_at: time = time(9, 0)  # shop-local
    digest_when_quiet: Literal["line", "none"] = "line"
    console_url: str | None = None  # where the messages' links point (the stack's API URL)

    api_tokens: dict[str, str] = Field(default_factory=dict, repr=False)
    api_tokens_secret_id: str | None = None
    api_readonly_tokens: dict[str, str] = Field(default_factory=dict, repr=False)
    cors_allowed_origins: list[str] = Field(default_factory=list)

    @field_validator("shop_api_url", "telegram_api_url", "console_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("telegram_chat_ids")
    @classmethod
    def _chats(cls, value: list[str]) -> list[str]:
        for chat in value:
            if not re.fullmatch(r"-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31}", chat):
                raise ValueError(
                    f"{chat[:40]!r} is not a chat id (a number, -100... for a group) or @channel"
                )
        return value

    @property
    def telegram_configured(self) -> bool:
        """Whether messages go anywhere: a bot token (or its secret) and at least one chat."""
        has_token = self.telegram_bot_token is not None or self.telegram_bot_token_secret_id is not None
        return has_token and bool(self.telegram_chat_ids)

    @field_validator("sync_listing_dir")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not os.path.isabs(value):
            raise ValueError("must be an absolute path, e.g. /tmp")
        return value

    @field_validator("cors_allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.path:
                raise ValueError(f"{origin!r} is not an origin like https://dashboard.example.com")
        return value

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate the environment; raise `ConfigError` naming the bad variable."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name)
            return value.strip() if value and value.strip() else None

        values: dict[str, Any] = {}
        url = get("DATABASE_URL")
        values["database_secret_id"] = get("DATABASE_SECRET_ID")
        if url:
            try:
                values["database"] = parse_database_url(url)
            except ValueError as exc:
                raise ConfigError(f"DATABASE_URL: {exc}") from None
        elif not values["database_secret_id"]:
            raise ConfigError("DATABASE_URL: required (or set DATABASE_SECRET_ID)")

        fields = {
            "DATABASE_SSLMODE": "database_sslmode",
            "DATABASE_STATEMENT_TIMEOUT_MS": "statement_timeout_ms",
            "DATABASE_CONNECT_TIMEOUT_S": "connect_timeout_s",
            "STRATTERA_API_URL": "shop_api_url",
            "STRATTERA_API_TOKEN": "shop_api_token",
            "STRATTERA_API_TOKEN_SECRET_ID": "shop_api_token_secret_id",
            "STRATTERA_TIMEOUT_S": "shop_timeout_s",
            "SYNC_DEADLINE_S": "sync_deadline_s",
            "SYNC_LISTING_DIR": "sync_listing_dir",
            "SYNC_LISTING_MAX_BYTES": "sync_listing_max_bytes",
            "SYNC_DELETION_GUARD_PERCENT": "sync_deletion_guard_percent",
            "SYNC_DELETION_GUARD_MIN_RECORDS": "sync_deletion_guard_min_records",
            "SYNC_SHAPE_DRIFT_PERCENT": "sync_shape_drift_percent",
            "HISTORY_RETENTION_DAYS": "history_retention_days",
            "API_TOKENS_SECRET_ID": "api_tokens_secret_id",
            "TELEGRAM_BOT_TOKEN": "telegram_bot_token",
            "TELEGRAM_BOT_TOKEN_SECRET_ID": "telegram_bot_token_secret_id",
            "TELEGRAM_LANGUAGE": "telegram_language",
            "TELEGRAM_API_URL": "telegram_api_url",
            "DIGEST_AT": "digest_at",
            "DIGEST_WHEN_QUIET": "digest_when_quiet",
            "CONSOLE_URL": "console_url",
        }
        for variable, field in fields.items():
            if (value := get(variable)) is not None:
                values[field] = value

        if (zone := get("STRATTERA_TIMEZONE")) is not None:
            try:
                values["shop_timezone"] = ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ConfigError(f"STRATTERA_TIMEZONE: unknown time zone {zone!r}") from None
        if values.get("database_sslmode", "verify-full") not in SSL_MODES:
            raise ConfigError(f"DATABASE_SSLMODE: must be one of {', '.join(SSL_MODES)}")
        values["api_tokens"] = parse_token_list(get("API_TOKENS") or "", variable="API_TOKENS")
        values["api_readonly_tokens"] = parse_token_list(
            get("API_READONLY_TOKENS") or "", variable="API_READONLY_TOKENS"
        )
        lists = {"CORS_ALLOWED_ORIGINS": "cors_allowed_origins", "TELEGRAM_CHAT_IDS": "telegram_chat_ids"}
        for variable, field in lists.items():  # comma-separated
            values[field] = _csv(get(variable))

        try:
            return cls(**values)
        except ValidationError as exc:
            error = exc.errors()[0]
            field = str(error["loc"][0]) if error["loc"] else ""
            named = {**fields, **lists}
            variable = next((var for var, name in named.items() if name == field), field.upper())
            raise ConfigError(f"{variable}: {error['msg']}") from None
