"""The API is what its OpenAPI description says: Schemathesis (pinned), run as an outsider would run
it, against the app over HTTP (chalice local, a synced database, the fake shop), every check on, a
fixed seed. Every failure it reports must be one of EXCLUSIONS below, each with its reason."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jsonschema

from devtools.served_app import ADMIN_TOKEN, ServedApp
from tests.conftest import ARTIFACTS

SEED = 20261127
MAX_EXAMPLES = 25


@dataclass(frozen=True)
class Failure:
    check: str
    code: str
    operation: str
    method: str
    uri: str
    authorized: bool
    status: int | None
    body: str


@dataclass(frozen=True)
class Exclusion:
    reason: str
    applies: Callable[[Failure, dict[str, Any]], bool]  # (the failure, the OpenAPI document)


def _query_as_sent_is_valid(failure: Failure, spec: dict[str, Any]) -> bool:
    """Whether the query string, as it went over the wire, satisfies the operation's description."""
    method, path = failure.operation.split(" ", 1)
    operation = spec["paths"][path][method.lower()]
    parameters = {p["name"]: p["schema"] for p in operation.get("parameters", []) if p["in"] == "query"}
    sent: dict[str, list[str]] = {}
    for name, value in parse_qsl(urlsplit(failure.uri).query, keep_blank_values=True):
        sent.setdefault(name, []).append(value)
    for name, values in sent.items():
        if name not in parameters:
            return False
        schema = parameters[name]
        candidates: list[Any] = [values] if '"array"' in json.dumps(schema) else values
        for candidate in candidates:
            typed = candidate
            if isinstance(candidate, str) and '"string"' not in json.dumps(schema):
                try:
                    typed = json.loads(candidate)  # integers and booleans arrive as text
                except ValueError:
                    return False
            if not jsonschema.Draft202012Validator(schema).is_valid(typed):
                return False
    return True


EXCLUSIONS = [
    Exclusion(
        "chalice local's HTTP server (Python's BaseHTTPRequestHandler) answers a method it has no "
        "handler for, TRACE, with 501 before the app sees it; behind API Gateway no such method reaches "
        "the app either (it answers with its own MISSING_AUTHENTICATION_TOKEN response, ours in "
        "deploy/resources.yaml)",
        lambda f, spec: f.method == "TRACE" and f.code in ("ST101", "ST204", "ST103"),
    ),
    Exclusion(
        "a request with no Authorization header at all is answered 401 by chalice local itself, "
        'before any authorizer runs, with its own body {"message": "Unauthorized"}; API Gateway '
        "answers it too, there with the contract's body (UNAUTHORIZED in deploy/resources.yaml). A "
        "wrong token reaches our authorizer and gets the contract's body here as well",
        lambda f, spec: f.code == "ST108" and f.status == 401 and not f.authorized,
    ),
    Exclusion(
        "date_from after date_to is refused (400), as the parameter's description says; JSON Schema "
        "cannot state a rule between two parameters, so a generator sees such a pair as valid",
        lambda f, spec: f.code == "ST202" and f.status == 400 and "date_from is after date_to" in f.body,
    ),
    Exclusion(
        "a profit range longer than 3,660 days is refused (400, range_too_long), as date_to's "
        "description says; like the rule above it is one between two parameters, which JSON Schema "
        "cannot state",
        lambda f, spec: (
            f.code == "ST202"
            and f.status == 400
            and f.operation.startswith("GET /api/profit")
            and '"type": "range_too_long"' in f.body
        ),
    ),
    Exclusion(
        "in its stateful phase Schemathesis follows a response's `run_id` into GET "
        "/api/sync/runs/{run_id}; a timeline's staff event has no run (`run_id` null, as described), and "
        "the null is sent as the text `None`, which the path's own description refuses: the 400 names it",
        lambda f, spec: (
            f.code == "ST202"
            and f.status == 400
            and f.operation == "GET /api/sync/runs/{run_id}"
            and f.uri.endswith("/api/sync/runs/None")
        ),
    ),
    Exclusion(
        "Schemathesis judges the value it generated before writing it into the query string; written "
        "out, some such values satisfy the description (every value on the wire is text). Excused only "
        "when the query string as sent is valid by the description, checked here",
        lambda f, spec: f.code == "ST201" and f.status == 200 and _query_as_sent_is_valid(f, spec),
    ),
]


def _failures(report: Path) -> Iterator[Failure]:
    for line in report.read_text().splitlines():
        finished = json.loads(line).get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished["recorder"]
        for case_id, checks in (recorder.get("checks") or {}).items():
            interaction = recorder.get("interactions", {}).get(case_id) or {}
            request, response = interaction.get("request") or {}, interaction.get("response") or {}
            content = (response.get("content") or {}).get("$base64")
            for check in checks:
                if check["status"] != "failure":
                    continue
                failure = check["failure_info"]["failure"]
                yield Failure(
                    check=check["name"],
                    code=failure["code"],
                    operation=failure["operation"],
                    method=request.get("method", ""),
                    uri=request.get("uri", ""),
                    authorized=any(name.lower() == "authorization" for name in request.get("headers") or {}),
                    status=response.get("status_code"),
                    body=base64.b64decode(content).decode("utf-8", "replace") if content else "",
                )


def test_schemathesis_finds_nothing_but_the_listed_exclusions(served_app: ServedApp) -> None:
    reports = ARTIFACTS / "schemathesis"
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "run", f"{served_app.url}api/openapi.json",
        "--url", served_app.url.rstrip("/"),
        "-H", f"Authorization: Bearer {ADMIN_TOKEN}",
        "--checks", "all", "--seed", str(SEED), "--max-examples", str(MAX_EXAMPLES),
        "--report", "ndjson", "--report-ndjson-path", str(reports / "events.ndjson"),
        "--no-color",
    ]  # fmt: skip
    reports.mkdir(parents=True, exist_ok=True)
    run = subprocess.run(command, capture_output=True, text=True, timeout=1200)
    (reports / "output.txt").write_text(run.stdout + run.stderr)
    assert "Test cases:" in run.stdout, run.stdout[-3000:] + run.stderr[-3000:]
    found = list(_failures(reports / "events.ndjson"))
    spec = served_app.call("GET", "api/openapi.json", token=None)[1]
    unexplained = [f for f in found if not any(e.applies(f, spec) for e in EXCLUSIONS)]
    assert unexplained == [], "\n".join(
        f"{f.code} {f.check}: {f.method} {f.uri} -> {f.status} {f.body[:300]}" for f in unexplained
    )
    assert "generated" in run.stdout  # it ran cases


def test_a_query_is_excused_only_when_what_was_sent_is_valid(served_app: ServedApp) -> None:
    spec = served_app.call("GET", "api/openapi.json", token=None)[1]

    def sent(query: str) -> Failure:
        return Failure(
            "negative_data_rejection",
            "ST201",
            "GET /api/orders",
            "GET",
            f"/api/orders?{query}",
            True,
            200,
            "",
        )

    assert _query_as_sent_is_valid(sent("status=paid&status=%C2%91&limit=5"), spec)
    assert not _query_as_sent_is_valid(sent("status=%01"), spec)  # a control character: refused text
    assert not _query_as_sent_is_valid(sent("limit=500"), spec)  # above the maximum
    assert not _query_as_sent_is_valid(sent("nonsense=1"), spec)
