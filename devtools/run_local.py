"""`make run`: the whole service on this machine, with no AWS account and no shop token.

It starts (or reuses) a PostgreSQL, applies the migrations, starts the fake shop (unless
STRATTERA_API_TOKEN is set: then the real shop), starts `chalice local`, and runs the 5-minute sync
schedule that `chalice local` does not run, with the first sync at once. Ctrl-C stops all of it.
Data persists in `.local/` between runs.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from devtools.postgres import PostgresServer, start_pgserver

ROOT = Path(__file__).resolve().parent.parent
STATE = Path(os.environ.get("STRATTERA_LOCAL_DIR") or ROOT / ".local")  # data kept between runs
SCHEDULE_S = 300  # as app.scheduled_sync: rate(5 minutes)


def say(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


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


def start_database() -> tuple[str, PostgresServer | None]:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"], None
    server = start_pgserver(STATE / "pgdata")
    return server.admin_url, server


def main() -> int:
    STATE.mkdir(parents=True, exist_ok=True)
    port = int(os.environ.get("PORT", "8000"))
    database_url, server = start_database()
    env = dict(os.environ, DATABASE_URL=database_url)
    fake_shop = None
    if not env.get("STRATTERA_API_TOKEN"):
        from devtools.fake_shop import FakeShop
        from devtools.shop_data import ShopData

        shop_token = secrets.token_urlsafe(16)
        fake_shop = FakeShop(
            ShopData(orders=1500, products=80, seed=42, now=shop_epoch()), token=shop_token, drift_every_s=60
        ).start()
        env.update(STRATTERA_API_URL=fake_shop.url, STRATTERA_API_TOKEN=shop_token)
        say(f"fake shop at {fake_shop.url} (it changes a few records every minute)")
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

    chalice = subprocess.Popen(
        [str(Path(sys.executable).parent / "chalice"), "local", "--port", str(port), "--no-autoreload"],
        cwd=ROOT,
        env=env,
    )
    stop = threading.Event()
    scheduler = threading.Thread(target=run_schedule, args=(stop,), name="schedule", daemon=True)
    scheduler.start()
    say(f"console at http://127.0.0.1:{port}/  (sign in with the dev token: {token})")
    say(f"API at http://127.0.0.1:{port}/api, e.g. curl -H 'Authorization: Bearer {token}' .../api/orders")
    say(f"sync schedule: every {SCHEDULE_S // 60} minutes, the first now")
    say("Ctrl-C stops everything")

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
    if fake_shop:
        fake_shop.stop()
    wiring.database().close()
    if server:
        server.stop()
    return 0


def run_schedule(stop: threading.Event) -> None:
    """The 5-minute schedule `chalice local` does not run; the first run at once."""
    from chalicelib.wiring import sync_service

    while not stop.is_set():
        next_run = datetime.now() + timedelta(seconds=SCHEDULE_S)
        try:
            for summary in sync_service().run_all(trigger="schedule"):
                say(summary.one_line())
        except Exception as exc:  # the schedule goes on; a run records its own failure
            say(f"sync failed: {exc}")
        say(f"next sync at {next_run:%H:%M:%S}")
        stop.wait(max(0.0, (next_run - datetime.now()).total_seconds()))


if __name__ == "__main__":
    sys.exit(main())
