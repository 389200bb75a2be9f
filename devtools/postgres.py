"""Find or start a PostgreSQL server for tests and local development.

In order: an explicit URL; a dockerized Postgres when a Docker engine answers; a throwaway cluster
from `initdb`/`pg_ctl` on PATH (not as root: Postgres refuses to run as root); the embedded server of
the `pgserver` package. Each returns an admin URL (a superuser, database `postgres`) and a stop function.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class PostgresServer:
    admin_url: str
    how: str
    stop: Callable[[], None]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _docker_works() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _wait_for(url: str, seconds: float = 60) -> None:
    import pg8000.native

    from chalicelib.config import parse_database_url

    p = parse_database_url(url)
    deadline = time.monotonic() + seconds
    while True:
        try:
            pg8000.native.Connection(
                user=p.user,
                password=p.password,
                host=p.host,
                port=p.port,
                database=p.database,
                unix_sock=p.unix_sock,
                timeout=5,
            ).close()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def start_docker() -> PostgresServer:
    port = free_port()
    name = f"strattera-test-pg-{os.getpid()}"
    subprocess.run(
        [
            "docker",
            "run",
            "-d",
            "--rm",
            "--name",
            name,
            "-e",
            "POSTGRES_PASSWORD=postgres",
            "-p",
            f"127.0.0.1:{port}:5432",
            "postgres:16-alpine",
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    url = f"postgresql://postgres:postgres@127.0.0.1:{port}/postgres"
    _wait_for(url)

    def stop() -> None:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)

    return PostgresServer(url, "docker", stop)


def start_initdb(data_dir: Path | None = None) -> PostgresServer:
    """A cluster made with the initdb/pg_ctl on PATH, listening on a Unix socket and a free port."""
    refusal = _initdb_refusal()
    if refusal:
        raise RuntimeError(refusal)
    temporary = data_dir is None
    base = Path(tempfile.mkdtemp(prefix="strattera-pg-")) if data_dir is None else data_dir
    data = base / "data"
    if not (data / "PG_VERSION").exists():
        subprocess.run(
            ["initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
        )
    port = free_port()
    subprocess.run(
        [
            "pg_ctl",
            "-D",
            str(data),
            "-l",
            str(base / "postgres.log"),
            "-w",
            "start",
            "-o",
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )

    def stop() -> None:
        subprocess.run(["pg_ctl", "-D", str(data), "-m", "fast", "stop"], capture_output=True)
        if temporary:
            shutil.rmtree(base, ignore_errors=True)

    return PostgresServer(f"postgresql://postgres@127.0.0.1:{port}/postgres", "initdb", stop)


def start_pgserver(data_dir: Path | None = None) -> PostgresServer:
    """The embedded server of the `pgserver` package (its own binaries; works as root too)."""
    try:
        import pgserver
    except ImportError:
        raise RuntimeError(
            "no PostgreSQL to start here: pgserver is not installed for this Python (it has no 3.13 build); "
            "set TEST_DATABASE_URL (tests) or DATABASE_URL (make run) to a PostgreSQL you have"
        ) from None

    temporary = data_dir is None
    path = Path(tempfile.mkdtemp(prefix="strattera-pgserver-")) if data_dir is None else data_dir
    server = pgserver.get_server(str(path), cleanup_mode="stop" if not temporary else "delete")
    uri = server.get_uri()  # postgresql://postgres:@/postgres?host=/socket/dir
    from urllib.parse import parse_qs, urlsplit

    socket_dir = parse_qs(urlsplit(uri).query).get("host", [str(path)])[0]
    url = f"postgresql://postgres@localhost/postgres?host={socket_dir}"
    return PostgresServer(url, "pgserver", server.cleanup)


def postgres_binaries() -> Path | None:
    """The folder of initdb/pg_ctl: on PATH, or the newest Debian-style install."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    installed = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    return max(installed, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, default=None)


def start_cluster(settings: dict[str, str], *, base: Path | None = None) -> PostgresServer:
    """A throwaway cluster with these server settings (`max_connections`, `ssl`, ...), listening on
    127.0.0.1 and a free port, with trust authentication; as root it runs as the `postgres` user
    (the files already in `base` are handed to it too). RuntimeError when this machine has none."""
    import pwd

    binaries = postgres_binaries()
    if binaries is None:
        raise RuntimeError("no initdb/pg_ctl here")
    user = None
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # PostgreSQL refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError(
                "running as root, and there is no `postgres` user to run PostgreSQL as"
            ) from None
    base = base or Path(tempfile.mkdtemp(prefix="strattera-cluster-"))
    if user:
        for path in [base, *base.rglob("*")]:
            os.chown(path, user.pw_uid, user.pw_gid)
    as_user = {"user": user.pw_name} if user else {}

    def pg(*args: str) -> None:
        subprocess.run(args, check=True, capture_output=True, timeout=120, **as_user)  # type: ignore[call-overload]

    port = free_port()
    data = base / "data"
    pg(str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off " + " ".join(
        f"-c {name}={value}" for name, value in settings.items()
    )
    pg(str(binaries / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "start", "-o", options)

    def stop() -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            pg(str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)

    return PostgresServer(f"postgresql://postgres@127.0.0.1:{port}/postgres", "cluster", stop)


def start_any(data_dir: Path | None = None) -> PostgresServer:
    """The first of docker, initdb on PATH, pgserver that works here."""
    if data_dir is None and _docker_works():
        return start_docker()
    try:
        return start_initdb(data_dir)
    except (RuntimeError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
        return start_pgserver(data_dir)


def _initdb_refusal() -> str | None:
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return "initdb refuses to run as root"
    if not (shutil.which("initdb") and shutil.which("pg_ctl")):
        return "no initdb/pg_ctl on PATH"
    return None


@functools.cache
def chosen_test_server() -> tuple[str, str]:
    """(which, why): the PostgreSQL the tests will use, in the order `server_from_env_or_start` tries."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        from chalicelib.config import parse_database_url

        return "TEST_DATABASE_URL", f"it is set: {parse_database_url(url).describe()}"
    if _docker_works():
        return "docker", "no TEST_DATABASE_URL; a Docker engine answers (postgres:16-alpine, a free port)"
    refusal = _initdb_refusal()
    if refusal is None:
        return "initdb", "no TEST_DATABASE_URL, no Docker engine; a throwaway cluster from initdb on PATH"
    return "pgserver", f"no TEST_DATABASE_URL, no Docker engine, {refusal}: the embedded server of pgserver"


def server_from_env_or_start() -> PostgresServer:
    which, _ = chosen_test_server()
    url = os.environ.get("TEST_DATABASE_URL")
    if which == "TEST_DATABASE_URL" and url:
        return PostgresServer(url, "TEST_DATABASE_URL", lambda: None)
    server = start_docker() if which == "docker" else start_any()
    atexit.register(server.stop)
    return server
