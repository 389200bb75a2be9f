"""The packaged stack, run as Lambda runs it: `deployment.zip` unpacked alone for a clean Python 3.13,
each handler named as the packaged template names it and called with the events AWS sends, with the
template's own environment (secrets by id, from Secrets Manager: moto's server on 127.0.0.1), against
a real PostgreSQL and the fake shop. A missing file, a native wheel built for another Python, a wrong
handler name or a module the package lacks fails here, not in production.

Two settings differ from the stack's, because of where this runs: the shop's URL (the fake shop) and
DATABASE_SSLMODE=disable (this machine's PostgreSQL speaks no TLS; RDS is verified against its CA)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from chalicelib.config import parse_database_url
from devtools.fake_shop import FakeShop
from devtools.lambda_runtime import invoke, lambda_python, unpack
from devtools.postgres import PostgresServer
from devtools.shop_data import ShopData
from tests.conftest import ARTIFACTS, SHOP_TOKEN, _create_database, _drop_database

ROOT = Path(__file__).resolve().parent.parent
PACKAGED = ROOT / "build" / "prod"
ADMIN_TOKEN = "lambda-admin-token-0123456789abcdef"
LOG = ARTIFACTS / "lambda-runtime.log"


def _required(what: str) -> None:
    message = f"{what}: run deploy/package.sh (ALLOW_MISSING_RDS_CA=1 make package)"
    if os.environ.get("CI"):
        pytest.fail(message)  # .ci/run packages the stack before it tests
    pytest.skip(message)


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    if not (PACKAGED / "sam.yaml").exists() or not (PACKAGED / "deployment.zip").exists():
        _required("no packaged stack")
    return dict(yaml.safe_load((PACKAGED / "sam.yaml").read_text()))


@pytest.fixture(scope="module")
def python() -> str:
    found = lambda_python()
    if found is None:
        _required("no Python 3.13 (Lambda's) for the packaged handlers")
    assert found
    return found


@pytest.fixture(scope="module")
def task_root(stack: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return unpack(PACKAGED / "deployment.zip", tmp_path_factory.mktemp("var-task"))


def function(stack: dict[str, Any], handler: str) -> tuple[str, dict[str, Any]]:
    """(logical name, properties) of the template's function with `handler`."""
    found = [
        (name, resource["Properties"])
        for name, resource in stack["Resources"].items()
        if resource.get("Type") == "AWS::Serverless::Function"
        and resource["Properties"]["Handler"] == handler
    ]
    assert len(found) == 1, f"the template has no single function with handler {handler}"
    return found[0]


@pytest.fixture(scope="module")
def world(stack: dict[str, Any], aws_url: str, postgres: PostgresServer) -> Iterator[dict[str, Any]]:
    """An empty database, the fake shop, and the stack's secrets in Secrets Manager."""
    import boto3

    admin = parse_database_url(postgres.admin_url)
    if admin.unix_sock:
        pytest.skip("the test PostgreSQL listens on a socket only; an RDS secret names a host")
    name, url = _create_database(postgres, "strattera_lambda")
    data = ShopData(orders=200, products=30, seed=23)
    aws = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_ENDPOINT_URL": aws_url}
    secrets = boto3.client(
        "secretsmanager",
        region_name="eu-central-1",
        endpoint_url=aws_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    variables = function(stack, "app.app")[1]["Environment"]["Variables"]
    secrets.create_secret(
        Name=variables["DATABASE_SECRET_ID"],
        SecretString=json.dumps(
            {
                "engine": "postgres",
                "username": admin.user,
                "password": admin.password or "",
                "host": admin.host,
                "port": admin.port,
                "dbname": name,
            }
        ),
    )
    secrets.create_secret(
        Name=variables["API_TOKENS_SECRET_ID"], SecretString=json.dumps({"tester": ADMIN_TOKEN})
    )
    secrets.create_secret(Name=variables["STRATTERA_API_TOKEN_SECRET_ID"], SecretString=SHOP_TOKEN)
    LOG.parent.mkdir(parents=True, exist_ok=True)
    LOG.write_text("")
    try:
        with FakeShop(data, token=SHOP_TOKEN) as shop:
            yield {"aws": aws, "shop": shop, "data": data, "url": url}
    finally:
        for secret in secrets.list_secrets()["SecretList"]:
            secrets.delete_secret(SecretId=secret["Name"], ForceDeleteWithoutRecovery=True)
        _drop_database(postgres, name)


def run(
    stack: dict[str, Any],
    world: dict[str, Any],
    task_root: Path,
    python: str,
    handler: str,
    events: list[Any],
    given: dict[str, str] | None = None,
) -> list[Any]:
    """`given`: what CloudFormation resolves (a parameter, the API's address), here left out."""
    name, properties = function(stack, handler)
    variables = properties["Environment"]["Variables"]
    env = {
        **{key: str(value) for key, value in variables.items() if not isinstance(value, dict)},
        **(given or {}),
        **world["aws"],
        "STRATTERA_API_URL": world["shop"].url,
        "DATABASE_SSLMODE": "disable",
    }
    answer = invoke(
        task_root,
        properties["Handler"],
        events,
        env=env,
        python=python,
        function=name,
        memory=int(properties.get("MemorySize", 128)),
        timeout_s=int(properties.get("Timeout", 60)),
        log=LOG,
    )
    assert answer["path"][0] == str(task_root) and not any("site-packages" in p for p in answer["path"])
    results: list[Any] = answer["results"]
    return results


def rest_event(
    method: str,
    resource: str,
    path_params: dict[str, str] | None = None,
    *,
    body: Any = None,
    query: dict[str, str] | None = None,
    access: str | None = "full",
) -> dict[str, Any]:
    """An API Gateway REST proxy event (with the authorizer's context when `access` is given)."""
    path = resource
    for key, value in (path_params or {}).items():
        path = path.replace("{" + key + "}", value)
    headers = {"Host": "abc123.execute-api.eu-central-1.amazonaws.com", "Accept-Encoding": "gzip"}
    if access:
        headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
    if body is not None:
        headers["Content-Type"] = "application/json"
    request_context: dict[str, Any] = {
        "resourcePath": resource,
        "httpMethod": method,
        "path": f"/prod{path}",
        "stage": "prod",
        "requestId": str(uuid.uuid4()),
        "identity": {"sourceIp": "203.0.113.7", "userAgent": "curl/8.5.0"},
        "domainName": headers["Host"],
        "apiId": "abc123",
    }
    if access:
        request_context["authorizer"] = {"principalId": "tester", "access": access, "integrationLatency": 12}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {key: [value] for key, value in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_params,
        "stageVariables": None,
        "requestContext": request_context,
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


def body_of(response: dict[str, Any]) -> Any:
    assert not response.get("isBase64Encoded"), response
    return json.loads(response["body"])


def test_the_packaged_handlers_run_as_lambda_runs_them(
    stack: dict[str, Any], world: dict[str, Any], task_root: Path, python: str
):
    def call(handler: str, *events: Any) -> list[Any]:
        return run(stack, world, task_root, python, handler, list(events))

    # The migrate function's test event, on an empty database; then again: nothing to apply.
    first, again = call("app.migrate_function", {}, {})
    assert first["applied"] and first["applied"][0] == "0001_schema", first
    assert again == {"applied": []}

    # The sync function's test events: products only, then both.
    products_only, both = call("app.sync_function", {"resources": ["products"]}, {})
    assert [(r["resource"], r["status"]) for r in products_only["runs"]] == [("products", "succeeded")]
    assert [r["resource"] for r in both["runs"]] == ["products", "orders"]
    assert both["runs"][1]["counts"]["created"] == len(world["data"].orders), both
    [refused] = call("app.sync_function", {"resources": ["customers"]})
    assert refused == {
        "errorType": "InvalidInputError",
        "errorMessage": "sync payload: resources.0: Input should be 'orders' or 'products'",
    }

    # EventBridge's scheduled event.
    scheduled = {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": "2026-12-01T09:00:00Z", "region": "eu-central-1",
        "resources": ["arn:aws:events:eu-central-1:123456789012:rule/strattera-sync-prod-scheduled_sync"],
        "detail": {},
    }  # fmt: skip
    [runs] = call("app.scheduled_sync", scheduled)
    assert [(r["resource"], r["trigger"], r["status"]) for r in runs] == [
        ("products", "schedule", "succeeded"),
        ("orders", "schedule", "succeeded"),
    ]

    # The authorizer's own TOKEN events: a known token is allowed with its name, a wrong one refused.
    arn = "arn:aws:execute-api:eu-central-1:123456789012:abc123/prod/GET/api/orders"
    allowed, denied = call(
        "chalicelib.routes.auth.bearer_tokens",
        {"type": "TOKEN", "authorizationToken": f"Bearer {ADMIN_TOKEN}", "methodArn": arn},
        {"type": "TOKEN", "authorizationToken": "Bearer not-a-token-of-ours", "methodArn": arn},
    )
    assert allowed["principalId"] == "tester" and allowed["context"] == {"access": "full"}
    assert allowed["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert denied == {"errorType": "Exception", "errorMessage": "Unauthorized"}  # API Gateway: 401

    # API Gateway's proxy events, one warm process: the console's page, a list, an edit, a refusal.
    page, listing, health = call(
        "app.app",
        rest_event("GET", "/", access=None),
        rest_event("GET", "/api/orders", query={"limit": "5", "sort": "-total_amount"}),
        rest_event("GET", "/api/health", access=None),
    )
    assert page["statusCode"] == 200 and "text/html" in page["headers"]["Content-Type"]
    assert '<html lang="ru"' in page["body"]
    orders = body_of(listing)
    assert listing["statusCode"] == 200 and orders["total"] == len(world["data"].orders)
    assert len(orders["items"]) == 5
    assert health["statusCode"] == 200 and body_of(health)["database"] == "ok"
    order_id = str(orders["items"][0]["id"])
    edit, read_only, after, unsupported = call(
        "app.app",
        rest_event(
            "PUT", "/api/orders/{order_id}/status", {"order_id": order_id}, body={"status": "delivered"}
        ),
        rest_event(
            "PUT",
            "/api/orders/{order_id}/status",
            {"order_id": order_id},
            body={"status": "paid"},
            access="read",
        ),
        rest_event("GET", "/api/orders/{order_id}", {"order_id": order_id}),
        rest_event("HEAD", "/api/orders", access="full"),
    )
    assert edit["statusCode"] == 200 and body_of(edit)["status"] == "delivered", edit
    assert read_only["statusCode"] == 403 and body_of(read_only)["error"]["code"] == "forbidden"
    assert body_of(after)["status"] == "delivered" and "status" in body_of(after)["overridden"]
    assert unsupported["statusCode"] == 405 and body_of(unsupported)["error"]["code"] == "method_not_allowed"


def test_every_function_of_the_template_has_a_handler_the_package_holds(
    stack: dict[str, Any], task_root: Path, python: str
):
    handlers = sorted(
        resource["Properties"]["Handler"]
        for resource in stack["Resources"].values()
        if resource.get("Type") == "AWS::Serverless::Function"
    )
    assert handlers == [
        "app.alarm_messages",
        "app.app",
        "app.migrate_function",
        "app.morning_digest",
        "app.scheduled_sync",
        "app.sync_function",
        "app.telegram_function",
        "chalicelib.routes.auth.bearer_tokens",
    ]
    for handler in handlers:  # imported (cold start) with no event: the module and name resolve
        name, _ = function(stack, handler)
        answer = invoke(
            task_root, handler, [], env={"AWS_CHALICE_CLI_MODE": "1"}, python=python, function=name
        )
        assert answer["results"] == [], (handler, answer["results"])
        loaded = {module.split(".")[0] for module in answer["modules"]}
        assert {"pydantic_core", "pg8000", "urllib3"} <= loaded or handler != "app.app", loaded


def test_the_packaged_alert_functions_send_with_the_bots_secret(
    stack: dict[str, Any], world: dict[str, Any], task_root: Path, python: str, aws_url: str
):
    """The SNS handler and the console function as Lambda runs them: the bot's token read from its
    secret, a real SNS alarm event in, a message out to the fake Bot API; the stack's parameters
    for the chats and the console's address given as CloudFormation would resolve them."""
    import boto3

    from devtools.fake_telegram import FakeTelegram
    from tests.test_alerts import alarm

    variables = function(stack, "app.alarm_messages")[1]["Environment"]["Variables"]
    assert set(variables["TELEGRAM_CHAT_IDS"]) == {"Ref"} and "Fn::Sub" in variables["CONSOLE_URL"]
    token = "7000000002:packaged-bot-token"
    secrets = boto3.client(
        "secretsmanager", region_name="eu-central-1", endpoint_url=aws_url,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    secrets.create_secret(
        Name=variables["TELEGRAM_BOT_TOKEN_SECRET_ID"], SecretString=json.dumps({"token": token})
    )
    with FakeTelegram(token=token) as bot:
        given = {"TELEGRAM_CHAT_IDS": "-1009876543210", "TELEGRAM_API_URL": bot.url,
                 "CONSOLE_URL": "https://abc123.execute-api.eu-central-1.amazonaws.com/api/"}  # fmt: skip
        went_off = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
        event = alarm("strattera-sync-prod-products-stale", "ALARM", "OK", went_off)
        first, repeat = run(stack, world, task_root, python, "app.alarm_messages", [event, event], given)
        [test] = run(stack, world, task_root, python, "app.telegram_function", [{"send": "test"}], given)
    assert first["action"] == "sent" and first["chats"] == 1, first
    assert repeat["action"] == "repeat"
    assert test == {"action": "sent", "chats": 1, "failed": []}
    incident, hello = bot.sent
    assert (
        incident.text.startswith("🔴 <b>Данные товаров устарели</b>")
        and str(incident.chat_id) == "-1009876543210"
    )
    assert hello.text.startswith("✅ Проверка связи")


def test_the_alert_functions_have_their_own_role_that_reads_only_their_secrets():
    root = Path(__file__).resolve().parent.parent / ".chalice"
    config = json.loads((root / "config.json").read_text())
    for stage in ("dev", "prod"):
        functions = config["stages"][stage]["lambda_functions"]
        for name in ("alarm_messages", "morning_digest", "telegram"):
            assert functions[name]["iam_policy_file"] == f"policy-{stage}-alerts.json"
        readable = {
            policy: [
                arn.split(f"strattera-sync/{stage}/")[1]
                for statement in json.loads((root / policy).read_text())["Statement"]
                if statement["Action"] == ["secretsmanager:GetSecretValue"]
                for arn in statement["Resource"]
            ]
            for policy in (f"policy-{stage}.json", f"policy-{stage}-alerts.json")
        }
        assert readable == {
            f"policy-{stage}.json": ["database-??????", "shop-token-??????", "api-tokens-??????"],
            f"policy-{stage}-alerts.json": ["database-??????", "telegram-bot-??????"],
        }
