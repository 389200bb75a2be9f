"""What a run keeps per record, kept small: at a million orders a dict of tuples and a set of ints
cost a run about 250 MB; these cost it about 25 MB (24 bytes an order known, a bit an id seen)."""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator

DIGEST_SIZE = 16


class StoredDigests:
    """The database's (digest, deleted upstream?) per external id, for `Changes.known`: the ids
    sorted in an array (8 bytes each), the digests in one bytes object in the same order, the few
    deleted ids in a set. A lookup is a binary search (about a microsecond)."""

    def __init__(self, ids: bytes, digests: bytes, deleted: Iterable[int]) -> None:
        """`ids`: big-endian 8-byte integers in ascending order (PostgreSQL's `int8send`);
        `digests`: `DIGEST_SIZE` bytes per id, in the same order."""
        self._ids = array("q")
        self._ids.frombytes(ids)
        if sys.byteorder == "little":
            self._ids.byteswap()
        if len(digests) != DIGEST_SIZE * len(self._ids):
            raise ValueError("one digest per id")
        self._digests = digests
        self._deleted = frozenset(deleted)

    def get(self, ident: int) -> tuple[bytes, bool] | None:
        at = bisect_left(self._ids, ident)
        if at == len(self._ids) or self._ids[at] != ident:
            return None
        return self._digests[at * DIGEST_SIZE : (at + 1) * DIGEST_SIZE], ident in self._deleted

    def items(self) -> Iterator[tuple[int, tuple[bytes, bool]]]:
        for at, ident in enumerate(self._ids):
            yield ident, (self._digests[at * DIGEST_SIZE : (at + 1) * DIGEST_SIZE], ident in self._deleted)

    def __len__(self) -> int:
        return len(self._ids)


class IdSet:
    """A set of positive ids: a bit each below `DENSE` (a shop's ids count up from 1, so the bitmap
    grows to the largest id seen: 125 KB for ids up to a million, 16 MiB at most), a set above."""

    DENSE = 1 << 27

    def __init__(self) -> None:
        self._bits = bytearray()
        self._sparse: set[int] = set()
        self._count = 0

    def add(self, ident: int) -> None:
        if not 0 <= ident < self.DENSE:
            if ident not in self._sparse:
                self._sparse.add(ident)
                self._count += 1
            return
        byte, bit = ident >> 3, 1 << (ident & 7)
        if byte >= len(self._bits):
            self._bits.extend(bytes(max(byte + 1 - len(self._bits), len(self._bits))))  # doubles
        if not self._bits[byte] & bit:
            self._bits[byte] |= bit
            self._count += 1

    def __contains__(self, ident: object) -> bool:
        if not isinstance(ident, int):
            return False
        if not 0 <= ident < self.DENSE:
            return ident in self._sparse
        byte = ident >> 3
        return byte < len(self._bits) and bool(self._bits[byte] & (1 << (ident & 7)))

    def __len__(self) -> int:
        return self._count
