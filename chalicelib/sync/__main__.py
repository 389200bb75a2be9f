"""`python -m chalicelib.sync [orders|products|all]`: one sync from a shell; exit 1 if a run failed."""

from __future__ import annotations

import sys

from chalicelib.errors import StratteraError


def main(argv: list[str]) -> int:
    from chalicelib import wiring

    what = argv[0] if argv else "all"
    if what not in ("orders", "products", "all") or len(argv) > 1:
        print("usage: python -m chalicelib.sync [orders|products|all]", file=sys.stderr)
        return 2
    wiring.setup_logging()
    try:
        service = wiring.sync_service()
        summaries = (
            service.run_all(trigger="console") if what == "all" else [service.run(what, trigger="console")]  # type: ignore[arg-type]
        )
    except StratteraError as exc:
        print(f"sync: {exc.message}", file=sys.stderr)
        return 1
    for summary in summaries:
        print(summary.one_line(), file=sys.stderr)
    return 1 if any(s.status == "failed" for s in summaries) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
