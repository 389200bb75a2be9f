"""The Lambda entry points, driven through chalice.test.Client, and the shell command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.db import Database
from chalicelib.errors import InvalidInputError
from devtools.fake_shop import FakeShop
from devtools.shop_data import ShopData


@pytest.fixture
def client(app_env: None) -> Any:
    from app import app

    with Client(app) as chalice_client:
        yield chalice_client


def test_scheduled_sync_runs_products_then_orders(client: Any, db: Database, shop_data: ShopData) -> None:
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    response = client.lambda_.invoke("scheduled_sync", event)
    runs = response.payload
    assert [(r["resource"], r["trigger"], r["status"]) for r in runs] == [
        ("products", "schedule", "succeeded"),
        ("orders", "schedule", "succeeded"),
    ]
    assert runs[1]["counts"]["created"] == len(shop_data.orders)
    assert db.run("SELECT count(*) FROM orders")[0][0] == len(shop_data.orders)


def test_console_sync_takes_the_resources_it_is_given(client: Any, db: Database) -> None:
    response = client.lambda_.invoke("sync", {"resources": ["products"]})
    assert [r["resource"] for r in response.payload["runs"]] == ["products"]
    assert response.payload["runs"][0]["trigger"] == "lambda"
    assert db.run("SELECT count(*) FROM orders")[0][0] == 0


def test_console_sync_without_resources_runs_both(client: Any) -> None:
    response = client.lambda_.invoke("sync", {})
    assert [r["resource"] for r in response.payload["runs"]] == ["products", "orders"]


def test_console_sync_refuses_an_unknown_resource_in_one_line(client: Any, db: Database) -> None:
    with pytest.raises(InvalidInputError) as info:
        client.lambda_.invoke("sync", {"resources": ["customers"]})
    assert info.value.message == "sync payload: resources.0: Input should be 'orders' or 'products'"
    assert db.run("SELECT count(*) FROM sync_runs")[0][0] == 0


def test_console_migrate_reports_nothing_to_do_on_a_migrated_database(client: Any) -> None:
    assert client.lambda_.invoke("migrate", {}).payload == {"applied": []}


def test_the_shell_command_syncs_and_says_so(app_env: None, db: Database, shop: FakeShop) -> None:
    command = [sys.executable, "-m", "chalicelib.sync", "orders"]
    result = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ), timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("orders sync #1 succeeded")  # the result on stdout, the logs on stderr
    log_lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    run_lines = [line for line in log_lines if line.get("event") == "sync_run"]
    assert run_lines and run_lines[0]["counts"]["created"] == len(shop.data.orders)
    # CloudWatch embedded metric format: the metrics the alarms use, in the same line
    emf = run_lines[0]["_aws"]["CloudWatchMetrics"][0]
    assert emf["Namespace"] == "StratteraSync" and emf["Dimensions"] == [["Resource"]]
    names = {metric["Name"] for metric in emf["Metrics"]}
    assert {"RunSucceeded", "RunFailed", "DurationSeconds", "RecordsCreated", "RecordsInvalid"} <= names
    assert all(isinstance(run_lines[0][name], float) for name in names)
    assert (run_lines[0]["Resource"], run_lines[0]["RunSucceeded"], run_lines[0]["RecordsCreated"]) == (
        "orders",
        1.0,
        float(len(shop.data.orders)),
    )
    assert "shop-test-token" not in result.stdout + result.stderr
