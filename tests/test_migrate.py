from __future__ import annotations

import threading
from pathlib import Path

import pytest

from chalicelib.migrate import Migration, MigrationError, load_migrations, migrate
from tests.conftest import database_for

EXPECTED_TABLES = {
    "orders",
    "order_items",
    "products",
    "product_analytics",
    "product_trends",
    "sync_runs",
    "sync_quarantine",
    "staff_edits",
    "schema_migrations",
}


def tables(url: str) -> set[str]:
    db = database_for(url)
    try:
        rows = db.run("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        return {row[0] for row in rows}
    finally:
        db.close()


def test_migrate_creates_the_whole_schema_on_an_empty_database(empty_database_url: str) -> None:
    db = database_for(empty_database_url)
    applied = migrate(db)
    assert applied == [m.version for m in load_migrations()]
    assert tables(empty_database_url) >= EXPECTED_TABLES
    assert "product_view" in tables(empty_database_url)


def test_migrate_twice_applies_nothing_the_second_time(empty_database_url: str) -> None:
    db = database_for(empty_database_url)
    assert migrate(db)
    assert migrate(db) == []
    assert db.run("SELECT count(*) FROM schema_migrations")[0][0] == len(load_migrations())


def test_two_runners_at_once_both_succeed_and_apply_each_migration_once(empty_database_url: str) -> None:
    results: list[list[str]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def run() -> None:
        db = database_for(empty_database_url)
        start.wait()
        try:
            results.append(migrate(db))
        except BaseException as exc:
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(len(r) for r in results) == [0, 0, 0, len(load_migrations())]


def test_a_failing_migration_leaves_nothing_behind(empty_database_url: str) -> None:
    db = database_for(empty_database_url)
    broken = [
        Migration("0001_ok", "CREATE TABLE a (x int)"),
        Migration("0002_bad", "CREATE TABLE b (x int); SELECT no_such_function()"),
    ]
    with pytest.raises(MigrationError, match="0002_bad"):
        migrate(db, broken)
    assert "a" in tables(empty_database_url)
    assert "b" not in tables(empty_database_url)
    assert db.run("SELECT version FROM schema_migrations") == [["0001_ok"]]


def test_a_migration_edited_after_it_was_applied_is_refused(empty_database_url: str) -> None:
    db = database_for(empty_database_url)
    migrate(db, [Migration("0001_a", "CREATE TABLE a (x int)")])
    with pytest.raises(MigrationError, match="changed after it was applied"):
        migrate(db, [Migration("0001_a", "CREATE TABLE a (x bigint)")])


def test_migration_files_are_named_in_order() -> None:
    names = [path.name for path in sorted(Path("chalicelib/migrations").glob("*.sql"))]
    assert names and all(name[:4].isdigit() and name[4] == "_" for name in names)


def test_runs_stored_before_the_trigger_names_read_right_after_them(empty_database_url: str) -> None:
    from chalicelib.stores import runs
    from chalicelib.sync.service import RunSummary

    db = database_for(empty_database_url)
    try:
        before = [m for m in load_migrations() if m.version < "0006"]
        migrate(db, before)
        for trigger in ("schedule", "manual", "console"):
            db.run(
                "INSERT INTO sync_runs (resource, trigger, status) VALUES ('orders', :t, 'succeeded')",
                t=trigger,
            )
        assert migrate(db) == [m.version for m in load_migrations() if m.version > "0006"]
        with db.connection() as conn:
            _, stored = runs.list_runs(conn, resource=None, status=None, limit=10, offset=0)
        triggers = sorted(RunSummary.from_row(row).trigger for row in stored)
        assert triggers == ["console", "http", "schedule"]  # 'manual' was always HTTP
        with pytest.raises(Exception, match="sync_runs_trigger_check"):
            db.run("INSERT INTO sync_runs (resource, trigger, status) VALUES ('orders', 'manual', 'running')")
    finally:
        db.close()


def test_runs_stored_before_the_error_codes_get_theirs_from_their_message(empty_database_url: str) -> None:
    db = database_for(empty_database_url)
    try:
        migrate(db, [m for m in load_migrations() if m.version < "0008"])
        errors = {
            "sync_running": "another orders sync is running",
            "interrupted": "interrupted: the run stopped before it could record its end (timeout)",
            "no_ids": "some records had no usable id: no deletions inferred",
            "empty_listing": "the shop listed no orders at all: no deletions inferred",
            "internal_error": "internal error: UnicodeEncodeError",
            None: "GET https://shop.example/api/orders answered 500: oops",  # said only in English
        }
        for error in errors.values():
            db.run(
                "INSERT INTO sync_runs (resource, trigger, status, error)"
                " VALUES ('orders', 'http', 'failed', :e)",
                e=error,
            )
        db.run("INSERT INTO sync_runs (resource, trigger, status) VALUES ('orders', 'http', 'succeeded')")
        migrate(db)
        stored = dict(db.run("SELECT error, error_code FROM sync_runs"))
        assert stored == {error: code for code, error in errors.items()} | {None: None}
    finally:
        db.close()
