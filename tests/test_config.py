from __future__ import annotations

import ssl
import subprocess
import sys
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from chalicelib.config import Settings, parse_database_url
from chalicelib.errors import ConfigError

BASE = {"DATABASE_URL": "postgresql://app:pw@db.internal:5433/shop"}


def test_defaults_follow_the_contract() -> None:
    settings = Settings.from_env(BASE)
    assert settings.shop_api_url == "https://strattera.tgapp.online/api/v1"
    assert settings.shop_timezone == ZoneInfo("Europe/Moscow")
    assert settings.api_tokens == {}
    assert settings.cors_allowed_origins == []
    assert settings.database is not None
    assert (settings.database.user, settings.database.password) == ("app", "pw")
    assert (settings.database.host, settings.database.port, settings.database.database) == (
        "db.internal",
        5433,
        "shop",
    )


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://u@h/db?sslmode=sometimes"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://h/db"}, "DATABASE_URL"),
        ({**BASE, "STRATTERA_TIMEZONE": "Mars/Olympus"}, "STRATTERA_TIMEZONE"),
        ({**BASE, "STRATTERA_API_URL": "ftp://shop"}, "STRATTERA_API_URL"),
        ({**BASE, "API_TOKENS": "alice:short"}, "API_TOKENS"),
        ({**BASE, "API_TOKENS": "changeme"}, "API_TOKENS"),
        ({**BASE, "API_READONLY_TOKENS": "viewer:"}, "API_READONLY_TOKENS"),
        ({**BASE, "CORS_ALLOWED_ORIGINS": "dashboard.example.com"}, "CORS_ALLOWED_ORIGINS"),
        ({**BASE, "DATABASE_STATEMENT_TIMEOUT_MS": "soon"}, "DATABASE_STATEMENT_TIMEOUT_MS"),
        ({**BASE, "DATABASE_SSLMODE": "maybe"}, "DATABASE_SSLMODE"),
        ({**BASE, "SYNC_DELETION_GUARD_PERCENT": "120"}, "SYNC_DELETION_GUARD_PERCENT"),
        ({**BASE, "SYNC_DELETION_GUARD_PERCENT": "a tenth"}, "SYNC_DELETION_GUARD_PERCENT"),
        ({**BASE, "SYNC_DELETION_GUARD_MIN_RECORDS": "-1"}, "SYNC_DELETION_GUARD_MIN_RECORDS"),
        ({**BASE, "TELEGRAM_CHAT_IDS": "-100123,staff chat"}, "TELEGRAM_CHAT_IDS"),
        ({**BASE, "TELEGRAM_LANGUAGE": "de"}, "TELEGRAM_LANGUAGE"),
        ({**BASE, "TELEGRAM_API_URL": "api.telegram.org"}, "TELEGRAM_API_URL"),
        ({**BASE, "DIGEST_AT": "25:00"}, "DIGEST_AT"),
        ({**BASE, "DIGEST_WHEN_QUIET": "sometimes"}, "DIGEST_WHEN_QUIET"),
        ({**BASE, "CONSOLE_URL": "console.example"}, "CONSOLE_URL"),
    ],
)
def test_bad_configuration_names_the_variable_in_one_line(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)
    assert info.value.message.startswith(f"{variable}: ")
    assert "\n" not in info.value.message


def test_the_deletion_guard_is_set_from_the_environment() -> None:
    default = Settings.from_env(BASE)
    assert (default.sync_deletion_guard_percent, default.sync_deletion_guard_min_records) == (Decimal(10), 20)
    env = {**BASE, "SYNC_DELETION_GUARD_PERCENT": "2.5", "SYNC_DELETION_GUARD_MIN_RECORDS": "100"}
    settings = Settings.from_env(env)
    assert (settings.sync_deletion_guard_percent, settings.sync_deletion_guard_min_records) == (
        Decimal("2.5"),
        100,
    )


def test_telegram_is_on_only_with_a_token_and_a_chat() -> None:
    assert not Settings.from_env(BASE).telegram_configured
    assert not Settings.from_env(
        {**BASE, "TELEGRAM_BOT_TOKEN_SECRET_ID": "strattera-sync/prod/telegram-bot"}
    ).telegram_configured
    on = Settings.from_env(
        {
            **BASE,
            "TELEGRAM_BOT_TOKEN_SECRET_ID": "x/telegram-bot",
            "TELEGRAM_CHAT_IDS": " -1001234567890, @shop_staff ",
        }
    )
    assert on.telegram_configured and on.telegram_chat_ids == ["-1001234567890", "@shop_staff"]
    assert str(on.digest_at) == "09:00:00" and on.telegram_language == "ru" and on.digest_when_quiet == "line"


def test_a_secret_id_stands_in_for_the_url() -> None:
    settings = Settings.from_env({"DATABASE_SECRET_ID": "strattera/db"})
    assert settings.database is None and settings.database_secret_id == "strattera/db"


def test_tokens_are_named_and_a_bare_token_is_admin() -> None:
    settings = Settings.from_env(
        {
            **BASE,
            "API_TOKENS": "alice:aaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbb",
            "API_READONLY_TOKENS": "viewer:cccccccccccccccccccc",
        }
    )
    assert settings.api_tokens == {"aaaaaaaaaaaaaaaaaaaa": "alice", "bbbbbbbbbbbbbbbbbbbb": "admin"}
    assert settings.api_readonly_tokens == {"cccccccccccccccccccc": "viewer"}


def test_tokens_never_show_in_the_settings_repr() -> None:
    settings = Settings.from_env(
        {**BASE, "API_TOKENS": "alice:aaaaaaaaaaaaaaaaaaaa", "STRATTERA_API_TOKEN": "shop-secret-value-123"}
    )
    assert "aaaaaaaaaaaaaaaaaaaa" not in repr(settings)
    assert "shop-secret-value-123" not in repr(settings)
    assert "pw" not in settings.database.redacted()  # type: ignore[union-attr]


def test_database_url_forms() -> None:
    socket = parse_database_url("postgresql://postgres@/shop?host=/var/run/postgresql&port=5444")
    assert socket.unix_sock == "/var/run/postgresql/.s.PGSQL.5444"
    tls = parse_database_url("postgresql://u:p%40ss@rds.example.com/shop?sslmode=verify-full")
    assert tls.password == "p@ss" and tls.sslmode == "verify-full"
    context = tls.ssl_context()
    assert isinstance(context, ssl.SSLContext) and context.check_hostname
    require = parse_database_url("postgresql://u@h/db?sslmode=require").ssl_context()
    assert isinstance(require, ssl.SSLContext) and not require.check_hostname
    # libpq's default: try TLS, unverified, fall back to plaintext (pg8000's None); disable means no TLS.
    assert parse_database_url("postgresql://u@h/db").ssl_context() is None
    assert parse_database_url("postgresql://u@h/db?sslmode=disable").ssl_context() is False
    assert socket.ssl_context() is False  # a Unix socket never speaks TLS


def test_the_cli_fails_with_one_line_naming_the_variable() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "chalicelib.migrate"],
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "STRATTERA_TIMEZONE": "Nowhere/Land",
            "DATABASE_URL": "postgresql://u@h/db",
        },
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "migrate: STRATTERA_TIMEZONE: unknown time zone 'Nowhere/Land'"
    ]
