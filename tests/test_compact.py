"""The compact structures a run keeps per record behave as the dict and set they replace."""

from __future__ import annotations

import random

import pytest

from chalicelib.sync.compact import IdSet, StoredDigests


def test_an_id_set_holds_exactly_what_was_added_dense_or_not():
    rng = random.Random(3)  # noqa: S311 (test data, not crypto)
    added = {rng.randrange(1, 2_000_000) for _ in range(20_000)} | {2**27 - 1, 2**27, 2**62, 1, 8, 9}
    ids = IdSet()
    for ident in sorted(added, key=lambda _: rng.random()):
        assert ids.add(ident)
        assert not ids.add(ident)  # again: not new, counted once
    assert len(ids) == len(added)
    probes = added | {rng.randrange(1, 2**63) for _ in range(20_000)} | {0, 7, 10, 2**27 + 1}
    assert {p for p in probes if p in ids} == added
    assert "1" not in ids and not IdSet()


def test_stored_digests_answer_as_the_dict_they_replace():
    rng = random.Random(5)  # noqa: S311 (test data, not crypto)
    known = {ident: (rng.randbytes(16), rng.random() < 0.1) for ident in rng.sample(range(1, 10**12), 5_000)}
    order = sorted(known)
    stored = StoredDigests(
        b"".join(ident.to_bytes(8, "big") for ident in order),
        b"".join(known[ident][0] for ident in order),
        [ident for ident in order if known[ident][1]],
    )
    assert len(stored) == len(known) and dict(stored.items()) == known
    for ident in [*list(known)[:500], 0, 10**13, order[0] - 1, order[-1] + 1]:
        assert stored.get(ident) == known.get(ident)
    # In the order of the ids, either way, with ids it does not hold between (a lookup starts next
    # to the last one found): the same answers.
    between = [ident + 1 for ident in order[::7] if ident + 1 not in known]
    for probes in (sorted([*order, *between]), sorted([*order, *between], reverse=True)):
        assert [stored.get(ident) for ident in probes] == [known.get(ident) for ident in probes]
    empty = StoredDigests(b"", b"", [])
    assert len(empty) == 0 and empty.get(1) is None
    with pytest.raises(ValueError, match="one digest per id"):
        StoredDigests((1).to_bytes(8, "big"), b"short", [])
