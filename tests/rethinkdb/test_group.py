"""Group commit: several callers' transactions in one log entry, each with its own outcome."""

from __future__ import annotations

import threading

import pytest

from metalnet.storage import Transaction, open_storage
from metalnet.storage.memory import MemoryState
from metalnet.storage.rethinkdb.group import Fairness, Group, Request
from metalnet.storage.rethinkdb.storage import RethinkStorage


def put(key: str, value: int) -> Request[int]:
    def fn(tx: Transaction) -> int:
        old = tx.get((key,))
        tx.put((key,), value)
        return old if isinstance(old, int) else 0

    return Request(fn, readonly=False)


def failing() -> Request[None]:
    def fn(tx: Transaction) -> None:
        tx.put(("a",), 99)
        raise LookupError("refused")

    return Request(fn, readonly=False)


def test_group_runs_in_order_and_keeps_each_outcome() -> None:
    state = MemoryState()
    state.apply([(("a",), 1)])
    first, bad, second = put("a", 2), failing(), put("a", 3)
    group = Group([first, bad, second])
    effects = group.run(state)
    assert effects == [(("a",), 2), (("a",), 3)]  # in order: replay ends with the last value
    assert (first.result, second.result) == (1, 2)  # the second saw the first, not the failed one
    assert isinstance(bad.error, LookupError)
    group.rollback()
    assert state.values == {("a",): 1}
    group.finish()
    assert first.outcome() == 1
    with pytest.raises(LookupError):
        bad.outcome()


def test_failed_group_gives_every_caller_the_error() -> None:
    state = MemoryState()
    first, second = put("a", 1), put("b", 2)
    group = Group([first, second])
    group.run(state)
    group.fail(TimeoutError("store gone"))
    assert state.values == {}
    for request in (first, second):
        with pytest.raises(TimeoutError):
            request.outcome()


def test_fairness_pauses_only_when_others_write() -> None:
    alone = Fairness()
    assert all(alone.committed() == 0.0 for _ in range(100))
    shared = Fairness()
    shared.others_committed()
    pauses = [shared.committed() for _ in range(4 * Fairness.STREAK)]
    assert sum(p > 0 for p in pauses) == 4
    assert all(Fairness.PAUSE[0] <= p <= Fairness.PAUSE[1] for p in pauses if p)


@pytest.mark.rethinkdb
def test_concurrent_threads_share_log_entries(rethinkdb_url: str) -> None:
    def increment(tx: Transaction) -> int:
        value = tx.get(("counter",))
        number = value + 1 if isinstance(value, int) else 1
        tx.put(("counter",), number)
        return number

    results: list[int] = []
    with open_storage(rethinkdb_url) as storage:
        assert isinstance(storage, RethinkStorage)
        pool = [
            threading.Thread(target=lambda: results.extend(storage.run(increment) for _ in range(50))) for _ in range(8)
        ]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        assert sorted(results) == list(range(1, 401))
        assert storage.head < 400  # some commits carried several transactions
    with open_storage(rethinkdb_url) as other:
        assert other.run(lambda tx: tx.get(("counter",)), readonly=True) == 400
