"""API Gateway's own answers (no token, a read-only token's write, an unknown path, throttling, any
other 4xx or 5xx) are valid JSON in the contract's error body, whatever the values it puts in them.

Gateway response bodies are not Velocity: API Gateway substitutes `$context...` variables as they are,
escaping nothing (`$context.error.messageString` is the message in bare quotes). Each template of the
packaged stack is rendered here the same way with hostile values, and parsed."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.test_connection_budget import template  # noqa: F401 (the fixture)

# What API Gateway may put in each variable: for the message, anything a client can make it echo.
HOSTILE_MESSAGES = [
    "Missing Authentication Token",
    'Invalid key=value pair in Authorization header: "Bearer x"',
    'a backslash \\ and \\u0000 and a quote " and a newline\n',
    "'single' and </script> and ${x}",
]
VARIABLES: dict[str, Callable[[str], str]] = {
    "context.error.message": lambda message: message,
    "context.error.messageString": lambda message: f'"{message}"',  # quoted, not escaped
    "context.error.responseType": lambda message: "BAD_REQUEST_BODY",
    "context.error.validationErrorString": lambda message: message,
    "context.requestId": lambda message: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    "context.extendedRequestId": lambda message: "bN3fSHXOFiAFxHg=",
    "context.httpMethod": lambda message: "PUT",
    "context.resourcePath": lambda message: "/api/orders/{order_id}",
    "context.stage": lambda message: "prod",
    "context.identity.sourceIp": lambda message: "203.0.113.7",
    "context.identity.userAgent": lambda message: message,  # a client's header
    "context.authorizer.principalId": lambda message: message,
}
VARIABLE = re.compile(r"\$(?:\{([\w.]+)\}|([\w.]+))")


def render(body_template: str, message: str) -> str:
    """A gateway response body as API Gateway makes it: every variable replaced by its value, as is."""

    def value(match: re.Match[str]) -> str:
        name = (match.group(1) or match.group(2)).rstrip(".")
        if name not in VARIABLES:
            raise AssertionError(f"a variable this test does not model: ${name} (add what AWS puts there)")
        substitute: Callable[[str], str] = VARIABLES[name]
        return substitute(message)

    return VARIABLE.sub(value, body_template)


def gateway_responses(stack: dict[str, Any]) -> dict[str, Any]:
    apis = [r for r in stack["Resources"].values() if r.get("Type") == "AWS::Serverless::Api"]
    assert len(apis) == 1
    responses: dict[str, Any] = apis[0]["Properties"]["GatewayResponses"]
    return responses


def test_the_stack_answers_for_the_gateway_in_every_case_it_can(template: dict[str, Any]):  # noqa: F811
    assert {
        "UNAUTHORIZED",
        "ACCESS_DENIED",
        "MISSING_AUTHENTICATION_TOKEN",
        "THROTTLED",
        "DEFAULT_4XX",
        "DEFAULT_5XX",
    } <= set(gateway_responses(template))


@pytest.mark.parametrize("message", HOSTILE_MESSAGES)
def test_every_gateway_response_is_valid_json_in_the_contract_body(
    template: dict[str, Any],  # noqa: F811
    message: str,
):
    for kind, response in gateway_responses(template).items():
        templates = response["ResponseTemplates"]
        assert set(templates) == {"application/json"}, kind
        rendered = render(templates["application/json"], message)
        try:
            body = json.loads(rendered)
        except json.JSONDecodeError as exc:
            raise AssertionError(f"{kind} is not JSON with message {message!r}: {rendered}") from exc
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, kind
        assert isinstance(body["error"]["code"], str) and body["error"]["details"] == [], kind
        assert message not in body["error"]["message"] or message == "Missing Authentication Token"


def test_the_renderer_is_as_strict_as_api_gateway():
    # The body the trial found: the quoted message inside quotes is not JSON, and the test says so.
    broken = '{"error": {"code": "bad_request", "message": "$context.error.messageString", "details": []}}'
    with pytest.raises(json.JSONDecodeError):
        json.loads(render(broken, "Missing Authentication Token"))
    with pytest.raises(json.JSONDecodeError):
        json.loads(render('{"message": $context.error.messageString}', 'a "quoted" word'))
    with pytest.raises(AssertionError, match="does not model"):
        render('{"x": "$context.somethingNew"}', "")
