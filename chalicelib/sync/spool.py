"""Where a listing waits between download and parse: a file in the listing folder (Lambda's `/tmp`).

The shop's body is streamed into the file as it arrives and parsed back from it record by record, so a
run's memory does not grow with the listing. A run holds its file with an exclusive `flock` and removes
it when it ends, on every path. A run killed half-way (a Lambda timeout, SIGKILL, a crash) cannot
remove its file, but the kernel drops its lock with the process: the next run in that folder removes
every listing file that nobody holds. A file that a live run holds (another process, another
resource) is left alone.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
from collections.abc import Iterator
from typing import BinaryIO

log = logging.getLogger(__name__)

PREFIX = "strattera-listing-"


@contextlib.contextmanager
def listing_file(folder: str, resource: str) -> Iterator[BinaryIO]:
    """A new, empty file for one run's listing of `resource`, opened for writing and reading back;
    removed when the block ends, however it ends. Leftovers of killed runs are removed first."""
    os.makedirs(folder, exist_ok=True)
    sweep(folder)
    path = os.path.join(folder, f"{PREFIX}{resource}-{secrets.token_hex(8)}.json")
    # New (never someone else's), readable by this user only: it holds customers' names.
    file = open(path, "x+b", opener=lambda name, flags: os.open(name, flags | os.O_NOFOLLOW, 0o600))  # noqa: SIM115
    try:
        # Blocking: a sweep elsewhere may hold it for a moment (and unlink it: the open file still
        # works, and nobody else can reach it by name any more).
        fcntl.flock(file, fcntl.LOCK_EX)
        yield file
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # before closing: while it has a name, it is locked
        file.close()


def sweep(folder: str) -> list[str]:
    """Remove the listing files in `folder` that no live run holds; their paths."""
    removed: list[str] = []
    try:
        entries = [entry.path for entry in os.scandir(folder) if entry.name.startswith(PREFIX)]
    except FileNotFoundError:
        return removed
    for path in entries:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue  # gone already (its run ended), or not a plain file of ours
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live run's
            size = os.fstat(fd).st_size
            os.unlink(path)
        except FileNotFoundError:
            continue  # its run ended between our open and our lock
        except OSError as exc:
            log.warning("could not remove a leftover listing file", extra={"path": path, "error": str(exc)})
            continue
        finally:
            os.close(fd)
        removed.append(path)
        log.warning(
            "removed a listing file left by an interrupted run",
            extra={"event": "listing_leftover", "path": path, "bytes": size},
        )
    return removed
