"""`python -m chalicelib.sync [orders|products|all]`: one sync from a shell.

Prints one line per run on stdout (`orders sync #12 succeeded in 0.26s: 1500 fetched, ...`); the JSON
log records go to stderr. Exit status: 0 every run succeeded (or was partial), 1 a run failed or the
service could not start (configuration, database), 2 bad usage.
"""

from __future__ import annotations

import sys

from chalicelib.errors import StratteraError

USAGE = "usage: python -m chalicelib.sync [orders|products|all]"


def main(argv: list[str]) -> int:
    from chalicelib import wiring

    if argv in (["-h"], ["--help"]):
        print(f"{USAGE}\n\n{__doc__}")
        return 0
    what = argv[0] if argv else "all"
    if what not in ("orders", "products", "all") or len(argv) > 1:
        print(USAGE, file=sys.stderr)
        return 2
    wiring.setup_logging(stream="stderr")
    try:
        service = wiring.sync_service()
        summaries = (
            service.run_all(trigger="cli") if what == "all" else [service.run(what, trigger="cli")]  # type: ignore[arg-type]
        )
    except StratteraError as exc:
        print(f"sync: {exc.message}", file=sys.stderr)
        return 1
    for summary in summaries:
        print(summary.one_line(), flush=True)
    return 1 if any(s.status == "failed" for s in summaries) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
