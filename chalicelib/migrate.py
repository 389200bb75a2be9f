"""Apply the SQL migrations in `chalicelib/migrations/` in order, each once.

Each file runs in its own transaction together with its row in `schema_migrations`, under a
session advisory lock: two runners started at once (two deploys, a console invoke during a deploy)
queue up, and the second finds nothing left to do. A file changed after it was applied is refused.

Usage: python -m chalicelib.migrate
"""

from __future__ import annotations

import hashlib
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from chalicelib.db import Database
from chalicelib.errors import StratteraError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# pg_advisory_lock key: any constant unique to this purpose ("strattera migrate").
_LOCK_KEY = 0x5354524D49475254

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    text PRIMARY KEY,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


class MigrationError(StratteraError):
    """A migration failed, or an applied one was changed afterwards."""


@dataclass(frozen=True)
class Migration:
    version: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    return [Migration(path.stem, path.read_text()) for path in sorted(directory.glob("*.sql"))]


def migrate(db: Database, migrations: list[Migration] | None = None) -> list[str]:
    """Apply what is pending; return the versions applied (empty when up to date)."""
    pending = load_migrations() if migrations is None else migrations
    applied_now: list[str] = []
    with db.connection() as conn:
        conn.run("SELECT pg_advisory_lock(:key)", key=_LOCK_KEY)
        try:
            conn.run(CREATE_TABLE)
            applied = dict(conn.run("SELECT version, checksum FROM schema_migrations") or [])
            for migration in pending:
                if migration.version in applied:
                    if applied[migration.version] != migration.checksum:
                        raise MigrationError(
                            f"migration {migration.version} was changed after it was applied; "
                            "add a new migration instead"
                        )
                    continue
                conn.run("BEGIN")
                try:
                    conn.run(migration.sql)
                    conn.run(
                        "INSERT INTO schema_migrations (version, checksum) VALUES (:v, :c)",
                        v=migration.version,
                        c=migration.checksum,
                    )
                    conn.run("COMMIT")
                except Exception as exc:
                    conn.run("ROLLBACK")
                    raise MigrationError(f"migration {migration.version} failed: {exc}") from exc
                log.info("applied migration %s", migration.version)
                applied_now.append(migration.version)
        finally:
            conn.run("SELECT pg_advisory_unlock(:key)", key=_LOCK_KEY)
    return applied_now


def migrate_and_prepare(db: Database, *, tz: str) -> list[str]:
    """Apply what is pending, then (re)build the per-day tables for the shop's zone if they are not
    built for it yet, so stats and list totals are right from the first request after a deploy."""
    from chalicelib.stores import analytics

    applied = migrate(db)
    with db.transaction() as conn:
        analytics.ensure_built_for(conn, tz=tz)
    return applied


USAGE = "usage: python -m chalicelib.migrate"


def main(argv: list[str]) -> int:
    """Prints what it applied on stdout, the JSON log records on stderr. Exit status: 0 applied or
    nothing to apply, 1 failed (configuration, database, a migration), 2 bad usage."""
    from chalicelib.wiring import database, settings, setup_logging

    if argv in (["-h"], ["--help"]):
        print(f"{USAGE}\n\nApplies pending migrations to DATABASE_URL; safe to run twice, or twice at once.")
        return 0
    if argv:
        print(USAGE, file=sys.stderr)
        return 2
    setup_logging(stream="stderr")
    try:
        applied = migrate_and_prepare(database(), tz=str(settings().shop_timezone.key))
    except StratteraError as exc:
        print(f"migrate: {exc.message}", file=sys.stderr)
        return 1
    print(f"applied: {', '.join(applied)}" if applied else "up to date: nothing to apply")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
