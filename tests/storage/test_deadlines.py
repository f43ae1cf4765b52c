"""Deadlines (``storage.run(fn, deadline=...)``), on every backend: commit by then or not at all.

The contract (metalnet/storage/base.py): work that would finish after the deadline is rolled back, never
committed, and ``run`` raises DeadlineExceededError (a StorageUnavailableError); every wait inside ``run``
ends by the deadline.
"""

from __future__ import annotations

import threading
import time

import pytest

from metalnet.storage import DeadlineExceededError, Storage, StorageUnavailableError, Transaction


def _get(storage: Storage, key: str) -> object:
    return storage.run(lambda tx: tx.get((key,)), readonly=True)


def test_a_deadline_in_time_commits(storage: Storage) -> None:
    storage.run(lambda tx: tx.put(("k",), 1), deadline=time.monotonic() + 10)
    assert _get(storage, "k") == 1
    assert storage.run(lambda tx: tx.get(("k",)), readonly=True, deadline=time.monotonic() + 10) == 1


def test_ping_answers_by_a_deadline(storage: Storage) -> None:
    storage.ping(deadline=time.monotonic() + 10)
    with pytest.raises(DeadlineExceededError):
        storage.ping(deadline=time.monotonic() - 0.001)


def test_a_passed_deadline_runs_nothing(storage: Storage) -> None:
    ran = []

    def fn(tx: Transaction) -> None:
        ran.append(1)
        tx.put(("k",), 1)

    with pytest.raises(DeadlineExceededError) as caught:
        storage.run(fn, deadline=time.monotonic() - 0.001)
    assert isinstance(caught.value, StorageUnavailableError)  # a 503 to the API's client: retry later
    assert _get(storage, "k") is None


def test_work_that_outlasts_its_deadline_is_rolled_back(storage: Storage) -> None:
    def slow(tx: Transaction) -> None:
        tx.put(("k",), 1)
        tx.put(("other",), 2)
        time.sleep(0.3)  # the caller's work takes longer than the deadline allows

    with pytest.raises(DeadlineExceededError):
        storage.run(slow, deadline=time.monotonic() + 0.1)
    assert _get(storage, "k") is None
    assert _get(storage, "other") is None
    storage.run(lambda tx: tx.put(("k",), 3), deadline=time.monotonic() + 10)  # the store serves on
    assert _get(storage, "k") == 3


def test_a_wait_for_another_transaction_ends_at_the_deadline(storage: Storage) -> None:
    holding, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold(tx: Transaction) -> None:
        tx.lock("x")
        tx.put(("held",), 1)  # a write, so that a serialising backend holds its write lock
        tx.get(("elsewhere",))  # a read from the store: sends the lock where statements are buffered
        holding.set()
        assert release.wait(30)

    def holder() -> None:
        try:
            storage.run(hold)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert holding.wait(30)
        start = time.monotonic()
        with pytest.raises(DeadlineExceededError):
            storage.run(lambda tx: (tx.lock("x"), tx.get(("held",)), tx.put(("waiter",), 1)),
                        deadline=start + 0.5)
        waited = time.monotonic() - start
        assert 0.4 < waited < 2.5, f"waited {waited:.2f} s for a deadline 0.5 s away"
    finally:
        release.set()
        thread.join(30)
    assert errors == []
    assert _get(storage, "held") == 1
    assert _get(storage, "waiter") is None
