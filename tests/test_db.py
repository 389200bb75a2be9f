from __future__ import annotations

import dataclasses
import socket
import threading

import pytest
from pg8000.exceptions import InterfaceError

from chalicelib.config import parse_database_url
from chalicelib.db import Database
from chalicelib.errors import DatabaseUnavailableError
from tests.conftest import database_for


def backend_pid(db: Database) -> int:
    return int(db.run("SELECT pg_backend_pid()")[0][0])


def kill(database_url: str, pid: int) -> None:
    other = database_for(database_url)
    assert other.run("SELECT pg_terminate_backend(:pid)", pid=pid) == [[True]]
    other.close()


def test_a_pooled_connection_is_reused(db: Database) -> None:
    assert backend_pid(db) == backend_pid(db)


def test_a_connection_killed_between_uses_is_replaced_once(db: Database, database_url: str) -> None:
    first = backend_pid(db)
    kill(database_url, first)
    second = backend_pid(db)  # no error for the caller
    assert second != first


def test_a_connection_killed_inside_a_transaction_is_an_error_not_a_silent_retry(
    db: Database, database_url: str
) -> None:
    db.run("CREATE TABLE IF NOT EXISTS probe (x int)")
    with pytest.raises(DatabaseUnavailableError), db.transaction() as conn:
        conn.run("INSERT INTO probe VALUES (1)")
        kill(database_url, conn.run("SELECT pg_backend_pid()")[0][0])
        conn.run("INSERT INTO probe VALUES (2)")
    assert db.run("SELECT count(*) FROM probe") == [[0]]
    db.run("DROP TABLE probe")


def test_a_mistake_in_a_query_is_raised_as_itself_not_as_a_lost_connection(db: Database) -> None:
    first = backend_pid(db)
    with pytest.raises(InterfaceError, match="placeholder 'missing'"), db.transaction() as conn:
        conn.run("SELECT :missing", given=1)
    assert backend_pid(db) == first  # rolled back and kept: nothing was wrong with the connection


def test_a_transaction_that_raises_is_rolled_back(db: Database) -> None:
    db.run("CREATE TABLE IF NOT EXISTS probe (x int)")
    with pytest.raises(RuntimeError), db.transaction() as conn:
        conn.run("INSERT INTO probe VALUES (1)")
        raise RuntimeError("boom")
    assert db.run("SELECT count(*) FROM probe") == [[0]]
    db.run("DROP TABLE probe")


def test_the_statement_timeout_applies_and_reads_as_database_unavailable(database_url: str) -> None:
    db = database_for(database_url, statement_timeout_ms=200)
    with pytest.raises(DatabaseUnavailableError, match="statement timeout"):
        db.run("SELECT pg_sleep(2)")
    assert db.run("SELECT 1") == [[1]]  # the connection is still usable
    db.close()


def test_an_unreachable_server_is_database_unavailable() -> None:
    db = database_for("postgresql://nobody@127.0.0.1:1/none", connect_timeout_s=2)
    with pytest.raises(DatabaseUnavailableError):
        db.run("SELECT 1")


def test_tcp_connections_turn_nagle_off_and_keepalive_on(database_url: str) -> None:
    """As libpq does. With Nagle on, each COPY waited about 40 ms for the server's delayed ACK (a first
    sync of 300 orders in batches of 7 took 4 s instead of 0.2 s); keepalive finds dead peers."""
    if parse_database_url(database_url).unix_sock:
        pytest.skip("the test server is reached over a Unix socket here")
    db = database_for(database_url)
    with db.connection() as conn:
        sock = conn._usock  # pg8000's socket: the options show nowhere else
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
    db.close()


def test_threads_each_get_a_working_connection(db: Database) -> None:
    pids: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with db.transaction() as conn:
                conn.run("SELECT pg_sleep(0.2)")
                pids.append(conn.run("SELECT pg_backend_pid()")[0][0])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(pids)) == 6  # concurrent units of work never share a connection


def test_a_failed_connection_names_user_host_port_and_database_but_never_the_password(database_url: str):
    given = parse_database_url(database_url)
    missing = dataclasses.replace(given, database="no_such_database_here", password="s3cret-pass")
    with pytest.raises(DatabaseUnavailableError) as info:
        Database(lambda refresh: missing).run("SELECT 1")
    assert info.value.message.startswith(f"cannot connect to {given.user}@")
    assert "/no_such_database_here: " in info.value.message and "3D000" in info.value.message
    closed = dataclasses.replace(given, host="127.0.0.1", port=1, unix_sock=None, password="s3cret-pass")
    with pytest.raises(DatabaseUnavailableError) as info:
        Database(lambda refresh: closed, connect_timeout_s=2).run("SELECT 1")
    assert (
        info.value.message
        == f"cannot connect to {given.user}@127.0.0.1:1/{given.database}: Connection refused"
    )
    assert "s3cret" not in info.value.message
