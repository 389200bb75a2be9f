"""`chalice local` for `make run`: the same server, quiet about browsers that went away.

A browser drops a request when a person reloads quickly or leaves a page before it loads; Python's
HTTP server then reports the BrokenPipeError or ConnectionResetError of writing the answer as a
25-line traceback, as if something had gone wrong. Here those two are left out; every other error is
reported as before. (`make run VERBOSE=1` runs plain `chalice local`, which reports all of them.)

    python -m devtools.chalice_local local --port 8000 --no-autoreload
"""

from __future__ import annotations

import socketserver
import sys
from typing import Any

from chalice.cli import main

GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)
_report = socketserver.BaseServer.handle_error


def handle_error(server: socketserver.BaseServer, request: Any, client_address: Any) -> None:
    if isinstance(sys.exc_info()[1], GONE):
        return  # the client is gone: nothing here failed, and nobody is left to answer
    _report(server, request, client_address)


if __name__ == "__main__":
    socketserver.BaseServer.handle_error = handle_error  # type: ignore[method-assign,assignment]
    sys.argv[0] = "chalice"
    sys.exit(main())
