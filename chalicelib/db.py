"""The Postgres layer: pg8000 connections, pooled, with transactions and a statement timeout.

One `Database` lives per process (built once by the wiring and kept across warm Lambda
invocations). It keeps a few idle connections: a Lambda uses one, `chalice local`'s threaded server
may use several at once. A connection found dead when a unit of work starts (RDS failover, idle
timeout, a restarted server) is replaced once, transparently; a failure in the middle of a unit of
work is raised as `DatabaseUnavailableError`, never retried behind the caller's back.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from pg8000.exceptions import DatabaseError, InterfaceError
from pg8000.native import Connection

from chalicelib.config import ConnectParams
from chalicelib.errors import DatabaseUnavailableError, RecordBusyError
from chalicelib.problems import problem

__all__ = ["Connection", "Database", "is_connection_lost", "rows_as_dicts", "sqlstate"]

log = logging.getLogger(__name__)

# SQLSTATE classes and codes that mean "this connection is gone": connection exceptions (08),
# operator intervention (57P01 terminated by admin, 57P02 crash shutdown, 57P03 cannot connect now).
_DEAD_CONNECTION_CODES = ("57P01", "57P02", "57P03")
# pg8000 raises InterfaceError both for a socket that is gone and for a caller's mistake (a placeholder
# with no argument, a value of a type it cannot send): only these words, or an OSError beneath, mean the
# connection is lost. A mistake counted as a loss would answer 503 and look like an outage.
_LOST_CONNECTION_WORDS = ("network error", "communication error", "connection is closed")
QUERY_CANCELED = "57014"
LOCK_NOT_AVAILABLE = "55P03"  # lock_timeout ran out


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a pg8000 server error, if it is one."""
    if isinstance(exc, DatabaseError) and exc.args and isinstance(exc.args[0], dict):
        code = exc.args[0].get("C")
        return str(code) if code else None
    return None


def _server_error(exc: BaseException) -> BaseException:
    """The server's own error behind `exc`, if there is one. When the server refuses a login it closes
    the socket; pg8000's goodbye on it can then fail, and what reaches us is a "network error" whose
    context holds the refusal (28P01 and all)."""
    seen: BaseException | None = exc
    while seen is not None:
        if sqlstate(seen) is not None:
            return seen
        seen = seen.__cause__ or seen.__context__
    return exc


def _cannot_connect(p: ConnectParams, exc: BaseException, why: str | None = None) -> DatabaseUnavailableError:
    """ "cannot connect to postgres@127.0.0.1:5432/strattera: database "strattera" does not exist (3D000)"."""
    if why is None:
        if isinstance(exc, DatabaseError) and exc.args and isinstance(exc.args[0], dict):
            why = f"{exc.args[0].get('M', 'refused')} ({sqlstate(exc)})"  # the server's words: no secret
        elif isinstance(exc, OSError):
            why = exc.strerror or type(exc).__name__  # "Connection refused", "timed out", ...
            why = why if not isinstance(exc, TimeoutError) else "no answer in time"
        else:
            why = str(exc) or type(exc).__name__
    return DatabaseUnavailableError(f"cannot connect to {p.describe()}: {why}")


def is_connection_lost(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return True
    if isinstance(exc, InterfaceError):
        return isinstance(exc.__cause__, OSError) or (
            bool(exc.args) and exc.args[0] in _LOST_CONNECTION_WORDS
        )
    code = sqlstate(exc)
    return code is not None and (code.startswith("08") or code in _DEAD_CONNECTION_CODES)


class Database:
    """A small pool of pg8000 connections to one database."""

    def __init__(
        self,
        params: Callable[[bool], ConnectParams],
        *,
        statement_timeout_ms: int = 30_000,
        connect_timeout_s: float = 10,
        application_name: str = "strattera-sync",
        max_idle: int = 4,
    ) -> None:
        """`params(refresh)` gives the connection parameters; `refresh=True` after a failed login
        (so a rotated password in Secrets Manager is picked up)."""
        self._params = params
        self._statement_timeout_ms = statement_timeout_ms
        self._connect_timeout_s = connect_timeout_s
        self._application_name = application_name
        self._max_idle = max_idle
        self._idle: list[Connection] = []
        self._lock = threading.Lock()

    # -- connections ------------------------------------------------------------------------------

    def connect(self) -> Connection:
        """A new connection (not from the pool); the caller closes it. Failing, the error names the
        database as user@host:port/name and says why (never the password)."""
        params = self._params(False)
        try:
            return self._open(params)
        except (DatabaseError, InterfaceError, OSError) as exc:
            refused = _server_error(exc)
            if sqlstate(refused) != "28P01":  # invalid_password: maybe rotated, fetch it again
                raise _cannot_connect(params, refused) from exc
            params = self._params(True)
            try:
                return self._open(params)
            except (DatabaseError, InterfaceError, OSError) as again:
                raise _cannot_connect(params, again, "login failed") from again

    def _open(self, p: ConnectParams) -> Connection:
        # Connecting, TLS and the login all within the connect timeout (a server that accepts but
        # never answers must not hold an API request past API Gateway's 29 s); then long enough for
        # the slowest statement the server allows.
        timeout = max(self._connect_timeout_s, self._statement_timeout_ms / 1000 + 5)
        sock = None if p.unix_sock else self._tcp_socket(p, self._connect_timeout_s)
        try:
            conn: Connection = Connection(
                user=p.user,
                password=p.password,
                host=p.host,
                port=p.port,
                database=p.database,
                unix_sock=p.unix_sock,
                sock=sock,
                ssl_context=p.ssl_context(),
                timeout=self._connect_timeout_s,
                application_name=self._application_name,
                startup_params={
                    "statement_timeout": str(self._statement_timeout_ms),
                    "TimeZone": "UTC",
                    # A crashed Lambda must not hold row locks forever.
                    "idle_in_transaction_session_timeout": str(max(60_000, self._statement_timeout_ms * 2)),
                },
            )
        except BaseException:
            if sock is not None:
                sock.close()
            raise
        conn._usock.settimeout(timeout)  # pg8000 keeps its socket here (a TLS one when encrypted)
        return conn

    def _tcp_socket(self, p: ConnectParams, timeout: float) -> socket.socket:
        """A connected socket with Nagle's algorithm off, as libpq does. pg8000 leaves it on, and a
        COPY (its data, then CopyDone and Sync in a second small write) then waited for the server's
        delayed ACK: 40 ms per COPY."""
        sock = socket.create_connection((p.host, p.port), timeout=self._connect_timeout_s)
        sock.settimeout(timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return sock

    def _checkout(self) -> Connection:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self.connect()

    def _checkin(self, conn: Connection) -> None:
        with self._lock:
            if len(self._idle) < self._max_idle:
                self._idle.append(conn)
                return
        _close_quietly(conn)

    def close(self) -> None:
        """Close every idle connection (tests, shutdown)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            _close_quietly(conn)

    # -- units of work ----------------------------------------------------------------------------

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A live connection in autocommit mode, returned to the pool afterwards.

        For work that manages its own transactions or session state (advisory locks, COPY).
        """
        conn = self._live_connection("SELECT 1")
        try:
            yield conn
        except BaseException as exc:
            # The block may have left session state behind (a lock, an open transaction).
            _close_quietly(conn)
            if is_connection_lost(exc):
                raise DatabaseUnavailableError("lost the database connection") from exc
            translated = _translate(exc)
            if translated is exc:
                raise
            raise translated from exc
        else:
            self._checkin(conn)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Run a block in one transaction: committed when it ends, rolled back when it raises."""
        conn = self._live_connection("BEGIN")
        try:
            yield conn
            conn.run("COMMIT")
        except BaseException as exc:
            if is_connection_lost(exc):
                _close_quietly(conn)
                raise DatabaseUnavailableError("lost the database connection") from exc
            try:
                conn.run("ROLLBACK")
            except Exception:
                _close_quietly(conn)
                raise exc from None
            self._checkin(conn)
            translated = _translate(exc)
            if translated is exc:
                raise
            raise translated from exc
        else:
            self._checkin(conn)

    def run(self, sql: str, **params: Any) -> list[list[Any]]:
        """One statement in its own transaction; the rows it returns.

        Retried once on a dead pooled connection, so use it for statements that are safe to repeat.
        """
        with self.transaction() as conn:
            return conn.run(sql, **params) or []

    def _live_connection(self, first_statement: str) -> Connection:
        """A pooled connection on which `first_statement` succeeded: replaced once if found dead."""
        conn = self._checkout()
        try:
            conn.run(first_statement)
            return conn
        except Exception as exc:
            _close_quietly(conn)
            if not is_connection_lost(exc):
                raise
            log.info("database connection was dead; reconnecting")
        conn = self.connect()
        try:
            conn.run(first_statement)
        except Exception as exc:
            _close_quietly(conn)
            raise DatabaseUnavailableError("lost the database connection") from exc
        return conn


def _translate(exc: BaseException) -> BaseException:
    if sqlstate(exc) == QUERY_CANCELED:
        return DatabaseUnavailableError("the database did not answer in time (statement timeout)")
    if sqlstate(exc) == LOCK_NOT_AVAILABLE:
        return RecordBusyError(
            "the record is being written by a sync; try again in a few seconds",
            details=[problem(None, "record_busy", "a running sync holds the record")],
        )
    return exc


def _close_quietly(conn: Connection) -> None:
    # Closing a connection that is already dead raises; there is nothing left to clean up then.
    with contextlib.suppress(Exception):
        conn.close()


def rows_as_dicts(conn: Connection, rows: list[list[Any]] | None) -> list[dict[str, Any]]:
    """Rows of the last statement run on `conn` as dicts keyed by column name."""
    names = [column["name"] for column in conn.columns or []]
    return [dict(zip(names, row, strict=True)) for row in rows or []]


def json_rows(conn: Connection, sql: str, *, order: str, **params: Any) -> list[dict[str, Any]]:
    """The rows of `sql` as dicts, sent by PostgreSQL as one JSON array and read by the C json
    module: pg8000 turns each value of a row into Python in Python (a microsecond a value), so a
    wide list of thousands of rows reads several times faster this way. Numbers with a fraction
    become Decimal (their text as stored: 12.50 stays 12.50); timestamps would stay text, so `sql`
    should have none. `order`: `sql`'s ORDER BY in terms of its output columns, which the array
    keeps."""
    rows = conn.run(f"SELECT coalesce(json_agg(q ORDER BY {order}), '[]')::text FROM ({sql}) q", **params)
    found: list[dict[str, Any]] = json.loads(rows[0][0], parse_float=Decimal)
    return found
