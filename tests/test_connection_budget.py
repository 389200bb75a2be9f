"""The stack's database connections fit its RDS instance (deploy/connection_budget.py, run by
deploy/package.sh), read from the packaged template; and the check fails when the budget is broken."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PACKAGED = ROOT / "build" / "prod" / "sam.yaml"
spec = importlib.util.spec_from_file_location("connection_budget", ROOT / "deploy" / "connection_budget.py")
assert spec and spec.loader
connection_budget = importlib.util.module_from_spec(spec)
sys.modules["connection_budget"] = connection_budget  # its dataclass looks itself up there
spec.loader.exec_module(connection_budget)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    if not PACKAGED.exists():
        message = "no packaged template: run deploy/package.sh (ALLOW_MISSING_RDS_CA=1 make package)"
        if os.environ.get("CI"):
            pytest.fail(message)  # .ci/run packages before it tests
        pytest.skip(message)
    return dict(yaml.safe_load(PACKAGED.read_text()))


def test_the_packaged_stack_fits_its_database(template: dict[str, Any]) -> None:
    found = connection_budget.budget(template)
    assert found.fits, found.arithmetic()
    assert found.functions["APIHandler"] == 50  # the API's concurrency is bounded


def test_the_check_fails_when_concurrency_grows_or_the_instance_shrinks(template: dict[str, Any]) -> None:
    more = copy.deepcopy(template)
    more["Resources"]["APIHandler"]["Properties"]["ReservedConcurrentExecutions"] = 300
    assert not connection_budget.budget(more).fits
    smaller = copy.deepcopy(template)
    smaller["Parameters"]["DatabaseInstanceClass"]["Default"] = "db.t4g.micro"
    smaller["Resources"]["APIHandler"]["Properties"]["ReservedConcurrentExecutions"] = 100
    assert not connection_budget.budget(smaller).fits  # 112 allowed, 117 needed
    unbounded = copy.deepcopy(template)
    del unbounded["Resources"]["ScheduledSync"]["Properties"]["ReservedConcurrentExecutions"]
    with pytest.raises(connection_budget.BudgetError, match="ScheduledSync has no reserved concurrency"):
        connection_budget.budget(unbounded)


def test_the_script_exits_1_when_it_does_not_fit(template: dict[str, Any], tmp_path: Path) -> None:
    broken = copy.deepcopy(template)
    broken["Resources"]["APIHandler"]["Properties"]["ReservedConcurrentExecutions"] = 1000
    path = tmp_path / "sam.yaml"
    path.write_text(yaml.safe_dump(broken))
    assert connection_budget.main([str(path)]) == 1
    assert connection_budget.main([str(PACKAGED)]) == 0


def test_the_gateway_answers_in_the_contract_body_and_throttles(template: dict[str, Any]) -> None:
    api = template["Resources"]["RestAPI"]["Properties"]
    throttle = api["MethodSettings"][0]
    assert (throttle["ThrottlingRateLimit"], throttle["ThrottlingBurstLimit"]) == (100, 200)
    for kind in ("UNAUTHORIZED", "ACCESS_DENIED", "MISSING_AUTHENTICATION_TOKEN", "THROTTLED"):
        response = api["GatewayResponses"][kind]
        body = json.loads(response["ResponseTemplates"]["application/json"])
        assert set(body["error"]) == {"code", "message", "details"}, kind
        assert response["ResponseParameters"]["Headers"]["X-Content-Type-Options"] == "'nosniff'"


def test_every_function_that_syncs_has_room_in_tmp_for_the_largest_listing_it_takes(
    template: dict[str, Any],
) -> None:
    from chalicelib.config import Settings

    default_limit = Settings.model_fields["sync_listing_max_bytes"].default
    room = {}
    for name in ("APIHandler", "ScheduledSync", "Sync"):  # the functions that run syncs
        properties = template["Resources"][name]["Properties"]
        storage_mib = properties.get("EphemeralStorage", {}).get("Size", 512)  # Lambda's default
        variables = properties.get("Environment", {}).get("Variables", {})
        limit = int(variables.get("SYNC_LISTING_MAX_BYTES", default_limit))
        # One listing file at a time (a killed run's is removed first), plus room for the runtime.
        assert limit + 64 * 1024**2 <= storage_mib * 1024**2, f"{name}: {limit} bytes in {storage_mib} MiB"
        room[name] = limit
    assert room["ScheduledSync"] == room["Sync"] == default_limit == 4 * 1024**3
