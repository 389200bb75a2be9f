"""Secrets from AWS Secrets Manager and SSM, against moto's server on 127.0.0.1 (real HTTP)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.config import Settings
from chalicelib.errors import ConfigError
from chalicelib.secrets import SecretStore
from chalicelib.wiring import database_params, shop_token


@pytest.fixture(scope="module")
def aws_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


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
