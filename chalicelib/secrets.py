"""Secrets from AWS Secrets Manager or SSM Parameter Store, fetched on first use and cached.

A name that starts with `/` or `ssm:` (or an SSM ARN) is an SSM parameter (read with decryption);
anything else is a Secrets Manager secret id or ARN. Values are cached for `max_age_s` and can be
refreshed early (`refresh=True`) after a rotation made the cached value fail.
Values never appear in logs or error messages; only the secret's name does.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from chalicelib.errors import ConfigError


class SecretStore:
    def __init__(self, *, max_age_s: float = 300.0, endpoint_url: str | None = None) -> None:
        self._max_age_s = max_age_s
        self._endpoint_url = endpoint_url
        self._cache: dict[str, tuple[float, str]] = {}
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def get(self, name: str, *, refresh: bool = False) -> str:
        """The secret's value as a string; raises `ConfigError` naming the secret when unreadable."""
        with self._lock:
            cached = self._cache.get(name)
            if cached and not refresh and time.monotonic() - cached[0] < self._max_age_s:
                return cached[1]
        value = self._fetch(name)
        with self._lock:
            self._cache[name] = (time.monotonic(), value)
        return value

    def get_json(self, name: str, *, refresh: bool = False) -> dict[str, Any]:
        try:
            value = json.loads(self.get(name, refresh=refresh))
        except ValueError:
            raise ConfigError(f"secret {name!r} is not a JSON object") from None
        if not isinstance(value, dict):
            raise ConfigError(f"secret {name!r} is not a JSON object")
        return value

    def _client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                import boto3  # boto3 is slow to import; only deployments with secrets pay for it

                self._clients[service] = boto3.client(service, endpoint_url=self._endpoint_url)
            return self._clients[service]

    def _fetch(self, name: str) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            if name.startswith(("/", "ssm:", "arn:aws:ssm:")):
                parameter = name.removeprefix("ssm:")
                response = self._client("ssm").get_parameter(Name=parameter, WithDecryption=True)
                return str(response["Parameter"]["Value"])
            response = self._client("secretsmanager").get_secret_value(SecretId=name)
        except (ClientError, BotoCoreError) as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
            raise ConfigError(f"secret {name!r} could not be read ({code})") from None
        if "SecretString" not in response:
            raise ConfigError(f"secret {name!r} holds binary data, expected a string")
        return str(response["SecretString"])


def token_from_secret(value: str) -> str:
    """A token secret may be the bare token or a JSON object with a `token` key."""
    stripped = value.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError:
            return stripped
        for key in ("token", "api_token", "STRATTERA_API_TOKEN"):
            if isinstance(data, dict) and isinstance(data.get(key), str):
                return str(data[key]).strip()
    return stripped
