"""The one place that reads the environment and builds the service's long-lived objects.

Each is built on first use and kept for the life of the process, so a warm Lambda reuses its
settings, its database connection and its HTTP pool. Tests build their own objects instead.
"""

from __future__ import annotations

import functools
import json
import time

from chalicelib.alerts import Alerts, Delivery, Digest, Incidents, Links, Texts
from chalicelib.config import ConnectParams, Settings, parse_token_list
from chalicelib.db import Database
from chalicelib.errors import ConfigError
from chalicelib.logs import setup_logging
from chalicelib.secrets import SecretStore, token_from_secret
from chalicelib.shop_client import ShopClient
from chalicelib.sync import SyncService
from chalicelib.sync.deletion_guard import DeletionGuard
from chalicelib.sync.listing import DIGEST_VERSION
from chalicelib.sync.orders import OrdersSync
from chalicelib.sync.products import ProductsSync
from chalicelib.sync.shape import DriftAlarm
from chalicelib.telegram import TelegramClient

__all__ = ["alerts", "database", "secret_store", "settings", "setup_logging", "shop_client", "sync_service"]


@functools.cache
def settings() -> Settings:
    return Settings.from_env()


@functools.cache
def secret_store() -> SecretStore:
    return SecretStore()


def database_params(config: Settings, secrets: SecretStore, refresh: bool = False) -> ConnectParams:
    """From `DATABASE_URL`, or from the RDS-format secret named by `DATABASE_SECRET_ID`."""
    if config.database is not None:
        return config.database
    assert config.database_secret_id is not None  # Settings.from_env guarantees one of the two
    secret = secrets.get_json(config.database_secret_id, refresh=refresh)
    try:
        return ConnectParams(
            user=str(secret["username"]),
            password=str(secret["password"]),
            host=str(secret["host"]),
            port=int(secret.get("port", 5432)),
            database=str(secret.get("dbname") or secret.get("database") or "postgres"),
            sslmode=config.database_sslmode,
        )
    except (KeyError, TypeError, ValueError):
        raise ConfigError(
            "DATABASE_SECRET_ID: the secret must hold username, password, host, port and dbname"
        ) from None


@functools.cache
def database() -> Database:
    config = settings()
    return Database(
        lambda refresh: database_params(config, secret_store(), refresh),
        statement_timeout_ms=config.statement_timeout_ms,
        connect_timeout_s=config.connect_timeout_s,
    )


def shop_token(config: Settings, secrets: SecretStore, refresh: bool = False) -> str | None:
    """The shop's raw token: from the environment, or from its secret (read again on refresh)."""
    if config.shop_api_token is not None:
        return config.shop_api_token.get_secret_value()
    if config.shop_api_token_secret_id:
        return token_from_secret(secrets.get(config.shop_api_token_secret_id, refresh=refresh))
    return None


_TOKENS_REREAD_EVERY_S = 30.0
_tokens_reread_at = [float("-inf")]


def api_tokens(*, refresh: bool = False) -> dict[str, str]:
    """Full-access tokens {token: name}: from `API_TOKENS`, and from the secret named by
    `API_TOKENS_SECRET_ID` (cached by the secret store). `refresh` (after an unknown token) reads the
    secret again, at most once every 30 seconds, so a token just issued works at once while unknown
    tokens cannot make every request call Secrets Manager."""
    config = settings()
    tokens = dict(config.api_tokens)
    if config.api_tokens_secret_id:
        now = time.monotonic()
        reread = refresh and now - _tokens_reread_at[0] >= _TOKENS_REREAD_EVERY_S
        if reread:
            _tokens_reread_at[0] = now
        raw = secret_store().get(config.api_tokens_secret_id, refresh=reread)
        tokens.update(parse_api_tokens_secret(raw))
    return tokens


def parse_api_tokens_secret(raw: str) -> dict[str, str]:
    """`name:token,name:token`, or a JSON object {"name": "token"} (what the stack generates)."""
    try:
        named = json.loads(raw)
    except ValueError:
        named = None
    if isinstance(named, dict):
        raw = ",".join(f"{name}:{token}" for name, token in named.items() if isinstance(token, str))
    return parse_token_list(raw, variable="API_TOKENS_SECRET_ID")


@functools.cache
def shop_client() -> ShopClient:
    config = settings()
    return ShopClient(
        config.shop_api_url,
        lambda refresh: shop_token(config, secret_store(), refresh),
        read_timeout_s=config.shop_timeout_s,
        max_bytes=config.sync_listing_max_bytes,
    )


@functools.cache
def sync_service() -> SyncService:
    config = settings()
    guard = DeletionGuard(config.sync_deletion_guard_percent, config.sync_deletion_guard_min_records)
    drift = DriftAlarm(config.sync_shape_drift_percent)
    return SyncService(
        database(),
        shop_client(),
        {
            "orders": OrdersSync(config.shop_timezone, guard=guard, drift=drift),
            "products": ProductsSync(config.shop_timezone, guard=guard, drift=drift),
        },
        deadline_s=config.sync_deadline_s,
        # A listing's saved validators hold only while the zone and the digest rules are the same.
        listing_context=f"{config.shop_timezone.key}/{DIGEST_VERSION}",
        listing_dir=config.sync_listing_dir,
        history_retention_days=config.history_retention_days,
    )


def telegram_token(config: Settings, secrets: SecretStore) -> str:
    """The bot token: from the environment, or from its secret (a bare token or {"token": ...})."""
    if config.telegram_bot_token is not None:
        return config.telegram_bot_token.get_secret_value()
    assert config.telegram_bot_token_secret_id is not None  # telegram_configured guarantees one
    return token_from_secret(secrets.get(config.telegram_bot_token_secret_id))


@functools.cache
def alerts() -> Alerts:
    config = settings()
    client = None
    if config.telegram_configured:
        client = TelegramClient(
            lambda: telegram_token(config, secret_store()), base_url=config.telegram_api_url
        )
    delivery = Delivery(client, config.telegram_chat_ids)
    texts = Texts(config.telegram_language, config.shop_timezone)
    links = Links(config.console_url, texts)
    return Alerts(
        delivery,
        Incidents(database(), delivery, texts, links),
        Digest(database(), delivery, texts, links, at=config.digest_at, when_quiet=config.digest_when_quiet),
        texts,
    )


def reset() -> None:
    """Forget every built object (tests change the environment between cases)."""
    for built in (settings, secret_store, database, shop_client, sync_service, alerts):
        if built is database and database.cache_info().currsize:
            database().close()
        built.cache_clear()
