"""Writing batches on a second thread while the next batch is read and validated."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any


class BatchWriter:
    """Runs write steps one at a time, in order, on one background thread.

    A first sync spends about as long in Python (parsing and validating records) as in Postgres
    (merging them). With the merge of batch N running on the writer thread, which waits on the socket
    and so holds no GIL, the caller validates batch N+1 on the other core. At most `depth` steps are
    queued or running: memory stays bounded by the batch size, not by the listing.

    While the block runs, the steps own the connection they were given: the caller must not use it
    until the block has ended. A failed step's error is raised by a later `submit` or by leaving the
    block; steps not started by then are dropped (the caller's transaction is about to roll back).
    """

    def __init__(self, depth: int = 2) -> None:
        self._depth = depth
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-writer")
        self._pending: deque[Future[Any]] = deque()
        self.results: list[Any] = []

    def __enter__(self) -> BatchWriter:
        return self

    def submit(self, step: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        while len(self._pending) >= self._depth:
            self.results.append(self._pending.popleft().result())
        self._pending.append(self._executor.submit(step, *args, **kwargs))

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            while exc_type is None and self._pending:
                self.results.append(self._pending.popleft().result())
        finally:
            for future in self._pending:
                future.cancel()
            self._executor.shutdown(wait=True)  # the connection is the caller's again
