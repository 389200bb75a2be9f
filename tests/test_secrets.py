"""Secrets from AWS Secrets Manager and SSM, against moto's server on 127.0.0.1 (real HTTP)."""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.config import ConnectParams, Settings
from chalicelib.db import Database
from chalicelib.errors import ConfigError, DatabaseUnavailableError
from chalicelib.secrets import SecretStore
from chalicelib.wiring import database_params, shop_token


@pytest.fixture
def aws(aws_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    import boto3

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_ENDPOINT_URL": aws_url,
    }.items():
        monkeypatch.setenv(name, value)
    clients = {"secretsmanager": boto3.client("secretsmanager"), "ssm": boto3.client("ssm")}
    yield clients
    for secret in clients["secretsmanager"].list_secrets()["SecretList"]:
        clients["secretsmanager"].delete_secret(SecretId=secret["Name"], ForceDeleteWithoutRecovery=True)


def test_a_secrets_manager_secret_is_read_and_cached(aws: dict[str, Any]):
    aws["secretsmanager"].create_secret(Name="shop/token", SecretString="first-token-value")
    store = SecretStore(max_age_s=300)
    assert store.get("shop/token") == "first-token-value"
    aws["secretsmanager"].put_secret_value(SecretId="shop/token", SecretString="rotated-token-value")
    assert store.get("shop/token") == "first-token-value"  # cached
    assert store.get("shop/token", refresh=True) == "rotated-token-value"


def test_an_ssm_parameter_is_read_decrypted(aws: dict[str, Any]):
    aws["ssm"].put_parameter(Name="/strattera/shop-token", Value="ssm-token-value", Type="SecureString")
    assert SecretStore().get("/strattera/shop-token") == "ssm-token-value"
    assert SecretStore().get("ssm:/strattera/shop-token") == "ssm-token-value"


def test_a_missing_secret_names_the_secret_and_nothing_else(aws: dict[str, Any]):
    with pytest.raises(ConfigError) as info:
        SecretStore().get("does/not/exist")
    assert "does/not/exist" in info.value.message and "\n" not in info.value.message


def test_the_database_comes_from_an_rds_format_secret(aws: dict[str, Any]):
    secret = {
        "username": "app",
        "password": "s3cr3t-pw",
        "host": "db.internal",
        "port": 5432,
        "dbname": "shop",
    }
    aws["secretsmanager"].create_secret(Name="strattera/db", SecretString=json.dumps(secret))
    settings = Settings.from_env({"DATABASE_SECRET_ID": "strattera/db"})
    params = database_params(settings, SecretStore())
    assert (params.user, params.password, params.host, params.database) == (
        "app",
        "s3cr3t-pw",
        "db.internal",
        "shop",
    )
    assert params.sslmode == "verify-full"  # RDS: TLS with certificate verification by default
    assert "s3cr3t-pw" not in params.redacted()


def test_a_secret_that_is_not_in_rds_format_is_a_clear_error(aws: dict[str, Any]):
    aws["secretsmanager"].create_secret(Name="strattera/db", SecretString=json.dumps({"user": "x"}))
    settings = Settings.from_env({"DATABASE_SECRET_ID": "strattera/db"})
    with pytest.raises(ConfigError, match="DATABASE_SECRET_ID"):
        database_params(settings, SecretStore())


# -- a rotated database password ------------------------------------------------------------------


@pytest.fixture(scope="module")
def password_checking_postgres() -> Iterator[tuple[Any, str]]:
    """An embedded server of its own that checks passwords (the shared test server may trust every
    login, as this machine's does), with a role `app`; yields the server and its Unix socket."""
    pgserver = pytest.importorskip("pgserver", reason="the embedded server has no build for this Python")
    data = tempfile.mkdtemp(prefix="strattera-passwords-")
    server = pgserver.get_server(data, cleanup_mode="delete")
    with open(f"{data}/pg_hba.conf", "w") as hba:
        hba.write("local all postgres trust\nlocal all all scram-sha-256\n")
    server.psql("SELECT pg_reload_conf();")
    server.psql("CREATE ROLE app LOGIN PASSWORD 'first-password';")
    socket_dir = parse_qs(urlsplit(server.get_uri()).query)["host"][0]
    yield server, f"{socket_dir}/.s.PGSQL.5432"
    server.cleanup()
    shutil.rmtree(data, ignore_errors=True)


def rds_secret(password: str) -> str:
    return json.dumps(
        {"username": "app", "password": password, "host": "db.internal", "port": 5432, "dbname": "postgres"}
    )


def database_from_secret(store: SecretStore, socket: str, asked: list[bool]) -> Database:
    """The wiring's parameters from the secret, pointed at the test server's socket."""
    settings = Settings.from_env({"DATABASE_SECRET_ID": "strattera/db", "DATABASE_SSLMODE": "disable"})

    def params(refresh: bool) -> ConnectParams:
        asked.append(refresh)
        return dataclasses.replace(database_params(settings, store, refresh), unix_sock=socket)

    return Database(params)


def test_a_rotated_database_password_is_read_again_after_a_failed_login(
    aws: dict[str, Any], password_checking_postgres: tuple[Any, str]
):
    server, socket = password_checking_postgres
    aws["secretsmanager"].create_secret(Name="strattera/db", SecretString=rds_secret("first-password"))
    store = SecretStore(max_age_s=300)  # one store per process, as in the wiring
    asked: list[bool] = []
    assert database_from_secret(store, socket, asked).run("SELECT current_user") == [["app"]]
    assert asked == [False]

    # Rotation as Secrets Manager's rotation function does it: the database's password, then the secret.
    server.psql("ALTER ROLE app PASSWORD 'second-password';")
    aws["secretsmanager"].put_secret_value(
        SecretId="strattera/db", SecretString=rds_secret("second-password")
    )
    asked.clear()
    # A new connection (say, a new Lambda container sharing nothing but the cached secret's age).
    assert database_from_secret(store, socket, asked).run("SELECT current_user") == [["app"]]
    assert asked == [False, True]  # the cached password failed once; the secret was read again


def test_a_database_password_that_stays_wrong_is_a_clear_error_without_it(
    aws: dict[str, Any], password_checking_postgres: tuple[Any, str]
):
    _, socket = password_checking_postgres
    aws["secretsmanager"].create_secret(Name="strattera/db", SecretString=rds_secret("never-the-password"))
    asked: list[bool] = []
    with pytest.raises(DatabaseUnavailableError) as info:
        database_from_secret(SecretStore(), socket, asked).run("SELECT 1")
    message = info.value.message
    assert message.startswith("cannot connect to ") and message.endswith(": login failed")
    assert "never-the-password" not in message
    assert asked == [False, True]  # read again once, not in a loop


@pytest.mark.parametrize("stored", ["raw-shop-token-1234", '{"token": "raw-shop-token-1234"}'])
def test_the_shop_token_comes_from_its_secret_bare_or_as_json(aws: dict[str, Any], stored: str):
    aws["secretsmanager"].create_secret(Name="strattera/shop", SecretString=stored)
    settings = Settings.from_env(
        {"DATABASE_URL": "postgresql://u@h/db", "STRATTERA_API_TOKEN_SECRET_ID": "strattera/shop"}
    )
    assert shop_token(settings, SecretStore()) == "raw-shop-token-1234"


def test_api_tokens_come_from_their_secret_and_a_new_one_works_at_once(aws: dict[str, Any], monkeypatch):
    from chalicelib import wiring
    from chalicelib.routes.auth import identify

    aws["secretsmanager"].create_secret(
        Name="strattera/api", SecretString="alice:alice-token-0123456789abcdef"
    )
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("API_TOKENS_SECRET_ID", "strattera/api")
    monkeypatch.delenv("API_TOKENS", raising=False)
    wiring.reset()
    monkeypatch.setattr(wiring, "_tokens_reread_at", [float("-inf")])
    assert identify("Bearer alice-token-0123456789abcdef") == ("alice", True)
    aws["secretsmanager"].put_secret_value(
        SecretId="strattera/api",
        SecretString="alice:alice-token-0123456789abcdef,bob:bob-token-0123456789abcdef",
    )
    assert identify("Bearer bob-token-0123456789abcdef") == ("bob", True)  # read again once, not in 5 min
    assert identify("Bearer mallory-token-0123456789abc") is None
    wiring.reset()


def test_an_api_tokens_secret_may_be_a_json_object_of_names():
    from chalicelib.wiring import parse_api_tokens_secret

    assert parse_api_tokens_secret('{"dashboard": "dash-token-0123456789abcdef"}') == {
        "dash-token-0123456789abcdef": "dashboard"
    }
    assert parse_api_tokens_secret("ops:ops-token-0123456789abcdef") == {"ops-token-0123456789abcdef": "ops"}
