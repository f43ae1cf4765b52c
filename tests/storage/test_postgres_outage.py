"""PostgreSQL stopped mid-run (``pg_ctl stop -m immediate``) and started again, on a cluster of its own.

Calls during the outage fail fast with StorageUnavailableError (well within their deadline), a transaction
in flight when the server went away commits nothing, nothing is committed late, and the first call after
the restart works within 2 s, with no restart of the store.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from metalnet.storage import Storage, StorageUnavailableError, Transaction, open_storage
from scripts.servers import TEST_DATABASE, PostgresServer, start_server, stop_server
from tests.servers.postgres import cluster_or_skip

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

DEADLINE = 3.0
#: how fast a call must fail during the outage ("well within the deadline")
FAST = 1.0


@pytest.fixture
def server() -> Iterator[PostgresServer]:
    """A cluster of this test's own: stopping the session's would fail every other test."""
    yield from cluster_or_skip()


def _keys(storage: Storage) -> set[str]:
    return {str(key[1]) for key, _ in storage.run(lambda tx: tx.scan(("k",)), readonly=True)}


def test_an_outage_fails_fast_commits_nothing_late_and_heals_without_a_restart(server: PostgresServer) -> None:
    storage = open_storage(server.url(TEST_DATABASE))
    try:
        storage.run(lambda tx: tx.put(("k", "before"), 1))
        # a transaction in flight when the server goes away
        inside, stopped = threading.Event(), threading.Event()
        outcome: list[BaseException | None] = []

        def in_flight(tx: Transaction) -> None:
            tx.put(("k", "in-flight"), 1)
            tx.get(("k", "elsewhere"))  # the transaction has begun on the server
            inside.set()
            assert stopped.wait(30)

        def run_in_flight() -> None:
            try:
                storage.run(in_flight, deadline=time.monotonic() + 30)
                outcome.append(None)
            except BaseException as exc:
                outcome.append(exc)

        thread = threading.Thread(target=run_in_flight)
        thread.start()
        assert inside.wait(30)
        stop_server(server, "immediate")
        stopped.set()
        thread.join(30)
        assert len(outcome) == 1, outcome
        assert isinstance(outcome[0], StorageUnavailableError), outcome

        # during the outage: every call fails fast, none waits for its deadline
        attempted, slowest = [], 0.0
        end = time.monotonic() + 3
        while time.monotonic() < end:
            key = f"during-{len(attempted)}"
            attempted.append(key)
            start = time.monotonic()
            with pytest.raises(StorageUnavailableError):
                storage.run(lambda tx, key=key: tx.put(("k", key), 1), deadline=start + DEADLINE)
            slowest = max(slowest, time.monotonic() - start)
            time.sleep(0.02)  # pacing only: a bounded number of calls
        assert slowest < FAST, f"a call took {slowest:.2f} s to fail during the outage"

        # the server comes back: the next call works within 2 s, on the same store object
        start_server(server)
        back = time.monotonic()
        while True:
            try:
                storage.run(lambda tx: tx.put(("k", "after"), 1), deadline=time.monotonic() + DEADLINE)
                break
            except StorageUnavailableError:
                assert time.monotonic() - back < 2, "the store did not serve within 2 s of the server's return"
                time.sleep(0.05)
        recovered = time.monotonic() - back
        assert recovered < 2, f"served again {recovered:.2f} s after the server's return"

        time.sleep(0.5)  # anything that would land late has had its chance
        assert _keys(storage) == {"before", "after"}  # nothing of the outage, nothing committed late
    finally:
        storage.close()
