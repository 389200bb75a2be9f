"""The command-line tools as a shell runs them: the result on stdout, the log records on stderr, and
exit status 0 (done), 1 (a run or the service failed), 2 (bad usage)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from chalicelib.db import Database
from devtools.fake_shop import FakeShop
from tests.conftest import SHOP_TOKEN

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("STRATTERA_", "API_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def test_sync_prints_one_line_per_run_on_stdout_and_logs_json_on_stderr(
    db: Database, database_url: str, shop: FakeShop
) -> None:
    result = run(
        ["chalicelib.sync", "all"],
        DATABASE_URL=database_url,
        STRATTERA_API_URL=shop.url,
        STRATTERA_API_TOKEN=SHOP_TOKEN,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(" sync #")[0] for line in lines] == ["products", "orders"]
    assert all(" succeeded in " in line for line in lines)
    records = json_lines(result.stderr)  # every line of stderr is one JSON record
    assert any(r.get("event") == "sync_run" for r in records)


def test_a_failed_sync_exits_1_with_its_reason_on_stdout(
    db: Database, database_url: str, shop: FakeShop
) -> None:
    shop.fail("not_json", times=5)  # fails at once, no retries: the same on a busy machine
    result = run(
        ["chalicelib.sync", "orders"],
        DATABASE_URL=database_url,
        STRATTERA_API_URL=shop.url,
        STRATTERA_API_TOKEN=SHOP_TOKEN,
    )
    assert result.returncode == 1
    assert result.stdout.startswith("orders sync #") and " failed " in result.stdout
    assert "JSON" in result.stdout, result.stdout


def test_bad_usage_exits_2_with_the_usage_on_stderr() -> None:
    for args in (
        ["chalicelib.sync", "everything"],
        ["chalicelib.sync", "orders", "products"],
        ["chalicelib.migrate", "now"],
    ):
        result = run(args)
        assert result.returncode == 2, args
        assert result.stdout == "" and result.stderr.startswith("usage: python -m chalicelib.")
    helped = run(["chalicelib.sync", "--help"])
    assert helped.returncode == 0 and "Exit status" in helped.stdout


def test_migrate_says_what_it_applied_on_stdout(empty_database_url: str) -> None:
    first = run(["chalicelib.migrate"], DATABASE_URL=empty_database_url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("applied: 0001_schema, ")
    assert all(r["level"] == "info" for r in json_lines(first.stderr))
    again = run(["chalicelib.migrate"], DATABASE_URL=empty_database_url)
    assert (again.returncode, again.stdout) == (0, "up to date: nothing to apply\n")


def test_a_database_that_cannot_be_reached_is_named_without_its_password() -> None:
    result = run(["chalicelib.migrate"], DATABASE_URL="postgresql://app:s3cret@127.0.0.1:1/shop")
    assert result.returncode == 1 and result.stdout == ""
    assert (
        result.stderr.splitlines()[-1]
        == "migrate: cannot connect to app@127.0.0.1:1/shop: Connection refused"
    )
    assert "s3cret" not in result.stderr
