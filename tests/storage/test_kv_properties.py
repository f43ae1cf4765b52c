"""Property test of the ordered look-ups on every backend, against a sorted list as the model."""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metalnet.storage import Key, Storage, Transaction

# integers near both ends of the 128-bit range, where a fixed-width encoding goes wrong first
NUMBERS = st.one_of(st.integers(0, 300), st.integers(2**64 - 50, 2**64 + 50), st.integers(2**128 - 300, 2**128 - 1))
# short strings whose prefixes collide ("a", "ab", "a\x01"…): the bucket boundaries under test
NAMES = st.text(alphabet="ab\x01\x7fé", min_size=0, max_size=3)
_tables = itertools.count()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.sets(st.tuples(NAMES, NUMBERS), max_size=30), data=st.data())
def test_first_last_scan_agree_with_a_sorted_model(
    storage: Storage, entries: set[tuple[str, int]], data: st.DataObject
) -> None:
    # probe at stored keys, next to them and anywhere: exact hits are where < and <= differ
    near = st.sampled_from(sorted(entries)).flatmap(
        lambda entry: st.tuples(st.just(entry[0]), st.integers(max(0, entry[1] - 1), min(2**128 - 1, entry[1] + 1)))
    ) if entries else st.nothing()
    probes = data.draw(st.lists(st.one_of(near, st.tuples(NAMES, NUMBERS)), min_size=1, max_size=8))
    table = f"prop{next(_tables)}"  # each example gets its own table in the shared store
    keys = sorted((table, name, number) for name, number in entries)

    def write(tx: Transaction) -> None:
        for key in keys:
            tx.put(key, key[2])

    storage.run(write)

    def bucket(name: str) -> list[Key]:
        return [key for key in keys if key[1] == name]

    def check(tx: Transaction) -> None:
        for name, number in probes:
            within: Key = (table, name)
            inside = bucket(name)
            at = (table, name, number)
            low = bisect_left(inside, at)
            expected_first = (inside[low], inside[low][2]) if low < len(inside) else None
            high = bisect_right(inside, at) - 1
            expected_last = (inside[high], inside[high][2]) if high >= 0 else None
            assert tx.first(at, within) == expected_first
            assert tx.last(at, within) == expected_last
            assert tx.scan(within) == [(key, key[2]) for key in inside]

    storage.run(check, readonly=True)


class _AbortError(Exception):
    """Raised at the end of a transaction to roll it back."""


OPERATIONS = st.lists(
    st.tuples(st.sampled_from(["put", "insert", "delete", "pop_first"]), st.integers(0, 5), st.integers(0, 9)),
    max_size=25,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=st.dictionaries(st.integers(0, 5), st.integers(0, 9), max_size=6), operations=OPERATIONS,
       commit=st.booleans())
def test_writes_commit_whole_or_roll_back_whole(
    storage: Storage, before: dict[int, int], operations: list[tuple[str, int, int]], commit: bool
) -> None:
    """Several writes to the same keys in one transaction, then commit or failure, against a dict model."""
    table = f"undo{next(_tables)}"
    storage.run(lambda tx: [tx.put((table, k), v) for k, v in before.items()])
    model = dict(before)

    def work(tx: Transaction) -> None:
        model.clear()  # run() may run fn more than once
        model.update(before)
        for name, k, v in operations:
            if name == "put":
                tx.put((table, k), v)
                model[k] = v
            elif name == "insert":
                if k in model:
                    continue  # a KeyExistsError is the contract suite's subject; here only the writes
                tx.insert((table, k), v)
                model[k] = v
            elif name == "delete":
                tx.delete((table, k))
                model.pop(k, None)
            else:
                popped = tx.pop_first((table,))
                lowest = min(model, default=None)
                assert popped == (None if lowest is None else ((table, lowest), model.pop(lowest)))
        if not commit:
            raise _AbortError

    try:
        storage.run(work)
    except _AbortError:
        model = dict(before)
    assert storage.run(lambda tx: tx.scan((table,)), readonly=True) == [((table, k), model[k]) for k in sorted(model)]
