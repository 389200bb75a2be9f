"""`make run`: the whole service on this machine, with no AWS account and no shop token.

It checks its port, starts (or reuses) a PostgreSQL, applies the migrations, starts the fake shop
(unless STRATTERA_API_TOKEN is set: then the real shop), starts `chalice local`, and runs the 5-minute
sync schedule that `chalice local` does not run, with the first sync at once. Ctrl-C stops all of it.
Data persists in `.local/` between runs: the database, the dev token, the fake shop and its clock.
Telegram alerts go to a fake Bot API that prints each message as lines (unless TELEGRAM_BOT_TOKEN and
TELEGRAM_CHAT_IDS are set: then to that bot's chats): the morning digest after the first sync, and an
incident when a sync fails (the stack's sync-failed alarm, played by devtools/local_alarms.py; make one
with the fake shop's fault control) and when it recovers.
It shows a line per sync run, staff edit and error; `--verbose` (`make run VERBOSE=1`) shows the
service's own output as well: the JSON log records Lambda sends to CloudWatch, the access log.
"""

from __future__ import annotations

import argparse
import html
import logging
import os
import pwd
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from devtools.fake_telegram import FakeTelegram, Message
from devtools.people_lines import people_line
from devtools.postgres import PostgresServer, start_pgserver
from devtools.shop_data import ShopData

ROOT = Path(__file__).resolve().parent.parent
STATE = Path(os.environ.get("STRATTERA_LOCAL_DIR") or ROOT / ".local")  # data kept between runs
SCHEDULE_S = 300  # as app.scheduled_sync: rate(5 minutes)
ALARM_CHECK_S = 5  # how often the local alarms look at the runs (CloudWatch: each 5-minute period)
LOCAL_CHAT = "100200300"  # the fake Bot API's one chat


def shop_zone() -> ZoneInfo:
    """The shop's time zone (STRATTERA_TIMEZONE, as the service reads it): the console shows shop time,
    and so do these lines."""
    try:
        return ZoneInfo(os.environ.get("STRATTERA_TIMEZONE") or "Europe/Moscow")
    except (ValueError, ZoneInfoNotFoundError):
        return ZoneInfo("Europe/Moscow")  # the service refuses it at start and says why


def say(message: str) -> None:
    print(f"[{datetime.now(shop_zone()):%H:%M:%S}] {message}", flush=True)


def dev_token() -> str:
    """A token for the local API, made once and kept in .local/dev-token."""
    path = STATE / "dev-token"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


def shop_epoch() -> datetime:
    """The fake shop's "now" at the first start, kept in the data folder: a restart regenerates the
    same shop, so the first sync after it finds (almost) nothing changed, as with a real shop."""
    path = STATE / "fake-shop-epoch"
    if not path.exists():
        path.write_text(datetime.now(UTC).isoformat())
    return datetime.fromisoformat(path.read_text().strip())


PGSERVER_USER = "pgserver"  # the system user the embedded PostgreSQL runs as under root


def port_taken(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as chalice's server binds
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def start_database() -> tuple[str, PostgresServer | None]:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"], None
    if os.geteuid() == 0 and not _user_exists(PGSERVER_USER):
        say(
            f"running as root: PostgreSQL refuses to run as root, so the embedded one runs as the system "
            f"user '{PGSERVER_USER}', created now (once; `userdel {PGSERVER_USER}` removes it)"
        )
    server = start_pgserver(STATE / "pgdata")
    return server.admin_url, server


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def fake_shop_data() -> ShopData:
    """The fake shop as the last run left it (`.local/fake-shop.json`), or a new one: a restart must
    not look to the sync like orders that vanished."""

    saved = STATE / "fake-shop.json"
    if saved.exists():
        return ShopData.load(saved, seed=42)
    return ShopData(orders=1500, products=80, seed=42, now=shop_epoch())


class Output:
    """`chalice local`'s output, shown line by line: as is with --verbose, else as people lines."""

    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose

    def follow(self, stream: IO[str]) -> None:
        for raw in stream:
            line = raw.rstrip("\n") if self.verbose else people_line(raw)
            if line:
                say(line) if not self.verbose else print(line, flush=True)


class PeopleHandler(logging.Handler):
    """This process's own log records (the schedule's syncs): warnings and errors as people lines."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            say(f"{record.levelname.lower()}: {record.getMessage()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make run", description=__doc__)
    parser.add_argument("--verbose", action="store_true", help="show the service's own output too")
    verbose = parser.parse_args(argv).verbose
    raw_port = os.environ.get("PORT", "8000")
    if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
        print(f"PORT={raw_port!r} is not a port number", file=sys.stderr)
        return 2
    port = int(raw_port)
    if port_taken(port):  # before anything starts: nothing to clean up
        print(f"port {port} is in use; set PORT, e.g. PORT={port + 1} make run", file=sys.stderr)
        return 1
    STATE.mkdir(parents=True, exist_ok=True)
    _log_for_people(verbose)
    # pgserver's platformdirs warns that a server's session has no XDG_RUNTIME_DIR: nothing to act on.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    database_url, server = start_database()
    env = dict(os.environ, DATABASE_URL=database_url, PYTHONUNBUFFERED="1")
    fake_shop = None
    if not env.get("STRATTERA_API_TOKEN"):
        from devtools.fake_shop import FakeShop, describe_drift

        shop_token = secrets.token_urlsafe(16)
        data = fake_shop_data()

        def drifted(changes: dict[str, int]) -> None:
            data.save(STATE / "fake-shop.json")
            if verbose:
                say(f"fake shop: {describe_drift(changes)}")

        fake_shop = FakeShop(
            data, token=shop_token, drift_every_s=60, on_drift=drifted, validators=True
        ).start()
        env.update(STRATTERA_API_URL=fake_shop.url, STRATTERA_API_TOKEN=shop_token)
        say(f"fake shop at {fake_shop.url} (it changes a few records every minute; kept in {STATE})")
    bot = None
    if not (env.get("TELEGRAM_BOT_TOKEN") and env.get("TELEGRAM_CHAT_IDS")):
        bot = start_fake_telegram(env)
    env.setdefault("CONSOLE_URL", f"http://127.0.0.1:{port}/")
    token = dev_token()
    env.setdefault("API_TOKENS", f"dev:{token}")
    os.environ.update(env)

    from chalicelib import wiring
    from chalicelib.errors import StratteraError
    from chalicelib.migrate import migrate_and_prepare

    try:
        wiring.settings()
        applied = migrate_and_prepare(wiring.database(), tz=str(wiring.settings().shop_timezone.key))
    except StratteraError as exc:
        say(f"cannot start: {exc.message}")
        return 1
    say(
        f"database ready ({'applied ' + ', '.join(applied) if applied else 'schema up to date'}); "
        f"data in {STATE if server else 'DATABASE_URL'}"
    )

    # Plain `chalice local` with --verbose; else one that leaves out the tracebacks of a browser that
    # dropped a request (devtools/chalice_local.py).
    command = (
        [str(Path(sys.executable).parent / "chalice")]
        if verbose
        else [sys.executable, "-m", "devtools.chalice_local"]
    )
    chalice = subprocess.Popen(
        [*command, "local", "--port", str(port), "--no-autoreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    assert chalice.stdout is not None
    threading.Thread(
        target=Output(verbose).follow, args=(chalice.stdout,), name="output", daemon=True
    ).start()
    stop = threading.Event()
    scheduler = threading.Thread(target=run_schedule, args=(stop,), name="schedule", daemon=True)
    scheduler.start()
    say(f"console at http://127.0.0.1:{port}/  (sign in with the dev token: {token})")
    say(f"API at http://127.0.0.1:{port}/api, e.g. curl -H 'Authorization: Bearer {token}' .../api/orders")
    say(f"sync schedule: every {SCHEDULE_S // 60} minutes, the first now")
    say(f"times here and in the console are the shop's ({shop_zone().key}); Ctrl-C stops everything")

    # Ctrl-C and SIGTERM only raise a flag. A KeyboardInterrupt, or a handler touching `stop`, can hit
    # the main thread inside `stop.wait()` and leave the Event's lock held: the cleanup then hangs.
    requested: list[int] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda number, frame: requested.append(number))
    while not requested and chalice.poll() is None:
        time.sleep(0.2)
    # From here on a Ctrl-C is ignored, not merely noted: at interpreter exit Python resets a handler
    # of its own to the default, and an impatient second Ctrl-C landing then killed the process after
    # a clean stop (exit status -2). The cleanup below takes seconds at most.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    say("stopping")
    stop.set()
    chalice.terminate()
    try:
        chalice.wait(10)
    except subprocess.TimeoutExpired:
        chalice.kill()
    if bot:
        bot.stop()
    if fake_shop:
        fake_shop.stop()
        fake_shop.data.save(STATE / "fake-shop.json")
    wiring.database().close()
    if server:
        server.stop()
    if chalice.returncode not in (0, -signal.SIGTERM, None) and not requested:
        say(f"chalice local stopped by itself (exit status {chalice.returncode}); see the lines above")
        return 1
    say("stopped")
    return 0


def _log_for_people(verbose: bool) -> None:
    if verbose:
        from chalicelib.logs import setup_logging

        setup_logging()
        return
    root = logging.getLogger()
    root.handlers = [PeopleHandler()]
    root.setLevel(logging.INFO)


def start_fake_telegram(env: dict[str, str]) -> FakeTelegram:
    """The fake Bot API, each message it takes printed as lines; the service pointed at it."""
    bot_token = f"{secrets.randbelow(10**9)}:{secrets.token_urlsafe(24)}"

    def show(what: str, message: Message) -> None:
        lines = as_text(message.text).split("\n")
        said = "edit in" if what == "edited" else "reply in" if message.reply_to else "message to"
        say(f"telegram {said} chat {message.chat_id}: {lines[0]}")
        for line in lines[1:]:
            say(f"  {line}")

    # Message ids from the clock: an incident left open by the last `make run` edits no message of this one.
    bot = FakeTelegram(token=bot_token, on_message=show, first_id=int(time.time())).start()
    env.update(TELEGRAM_BOT_TOKEN=bot_token, TELEGRAM_CHAT_IDS=LOCAL_CHAT, TELEGRAM_API_URL=bot.url)
    say(f"Telegram: a fake Bot API at {bot.url} prints what the staff's chat would get")
    return bot


def as_text(message: str) -> str:
    """A message's HTML as the chat shows it: tags gone, a link as its label and address."""
    linked = re.sub(
        r'<a href="([^"]*)">(.*?)</a>', lambda m: f"{m.group(2)} ({html.unescape(m.group(1))})", message
    )
    return html.unescape(re.sub(r"<[^>]+>", "", linked))


def run_schedule(stop: threading.Event) -> None:
    """The 5-minute schedule `chalice local` does not run, the first run at once; the morning digest
    after it; and the alarms, watching the runs every few seconds."""
    from chalicelib.wiring import alerts, database, sync_service
    from devtools.local_alarms import LocalAlarms

    alarms = LocalAlarms(database(), alerts().on_sns)
    first = True
    while not stop.is_set():
        next_run = datetime.now(shop_zone()) + timedelta(seconds=SCHEDULE_S)
        try:
            for summary in sync_service().run_all(trigger="schedule"):
                say(summary.one_line())
        except Exception as exc:  # the schedule goes on; a run records its own failure
            say(f"sync failed: {exc}")
        try:
            if first:  # to show it: in the stack, it waits for DIGEST_AT
                alerts().digest.send()
            else:
                alerts().on_schedule()
        except Exception as exc:  # a local database hiccup: the next round tries again
            say(f"digest failed: {exc}")
        first = False
        say(f"next sync at {next_run:%H:%M:%S}")
        while not stop.is_set() and datetime.now(shop_zone()) < next_run:
            try:
                alarms.check()
            except Exception as exc:
                say(f"alarm check failed: {exc}")
            stop.wait(min(ALARM_CHECK_S, max(0.0, (next_run - datetime.now(shop_zone())).total_seconds())))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
