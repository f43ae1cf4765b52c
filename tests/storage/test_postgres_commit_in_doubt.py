"""A connection lost while COMMIT was out: the store asks the server what became of the transaction.

The connection is really broken at that instant: a proxy on loopback forwards the COMMIT and cuts the
connection instead of forwarding its answer (the server committed), or the server process of the connection
is terminated (``pg_terminate_backend``) while the transaction waits on a row lock before its COMMIT (the
server rolled it back). Committed: the call succeeds; rolled back: StorageUnavailableError, as any lost
connection; the server out of reach until the deadline: CommitOutcomeUnknownError, within the deadline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from metalnet.storage import CommitOutcomeUnknownError, Storage, StorageUnavailableError, open_storage
from metalnet.storage.keys import encode_key
from metalnet.storage.postgres import in_doubt, store
from tests.servers.cutting_proxy import CuttingProxy
from tests.servers.postgres import TEST_DATABASE, PostgresServer

pytestmark = pytest.mark.postgres

DEADLINE = 3.0


@pytest.fixture
def proxy(postgres_server: PostgresServer) -> Iterator[CuttingProxy]:
    with CuttingProxy(postgres_server.host, postgres_server.port) as running:
        yield running


@pytest.fixture
def proxied(proxy: CuttingProxy, postgres_schema: str) -> Iterator[Storage]:
    with open_storage(proxy.url(TEST_DATABASE, f"?options=-csearch_path%3D{postgres_schema}")) as storage:
        yield storage


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """What each settlement of a commit in doubt found (True: committed)."""
    found: list[bool] = []

    def spy(url: str, doubt: in_doubt.CommitInDoubtError, deadline: float, where: str) -> bool:
        committed = in_doubt.settle(url, doubt, deadline, where)
        found.append(committed)
        return committed

    monkeypatch.setattr(store, "settle", spy)
    return found


def _value(storage: Storage, name: str) -> object:
    return storage.run(lambda tx: tx.get(("k", name)), readonly=True)


def test_a_commit_whose_answer_was_cut_is_known_to_have_committed(
        proxied: Storage, proxy: CuttingProxy, settled: list[bool]) -> None:
    proxied.run(lambda tx: tx.put(("k", "a"), 1))
    proxy.cut_next_commit()
    assert proxied.run(lambda tx: (tx.put(("k", "a"), 2), "done")[1], deadline=time.monotonic() + DEADLINE) == "done"
    assert proxy.cuts == 1  # the answer really was lost
    assert settled == [True]
    assert _value(proxied, "a") == 2
    # the store goes on, on fresh connections, and its row cache holds what was committed
    proxied.run(lambda tx: tx.put(("k", "a"), tx.get(("k", "a")) + 1))  # type: ignore[operator]
    assert _value(proxied, "a") == 3


def test_a_one_message_acquisition_cut_at_commit_is_answered(
        proxied: Storage, proxy: CuttingProxy, settled: list[bool]) -> None:
    from metalnet.ipam import Ipamer

    ipamer = Ipamer(proxied)
    ipamer.new_prefix("10.9.0.0/24")
    ipamer.acquire_ip("10.9.0.0/24")  # the prefix row is cached: the next acquisition is one message
    before = ipamer.prefix_usage("10.9.0.0/24").acquired_ips
    proxy.cut_next_commit()
    ipamer.acquire_ip("10.9.0.0/24")  # answered, although the COMMIT's answer was lost
    assert proxy.cuts == 1
    assert settled == [True]
    assert ipamer.prefix_usage("10.9.0.0/24").acquired_ips == before + 1  # made once, and answered


def test_a_transaction_terminated_before_its_commit_is_known_to_have_failed(
        postgres_server: PostgresServer, postgres_schema: str, proxied: Storage, settled: list[bool]) -> None:
    proxied.run(lambda tx: tx.put(("k", "b"), 1))
    direct = postgres_server.url(TEST_DATABASE)
    outcome: list[BaseException | None] = []

    def write() -> None:
        try:
            proxied.run(lambda tx: tx.put(("k", "b"), 2), deadline=time.monotonic() + 20)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    with psycopg.connect(direct, options=f"-csearch_path={postgres_schema}") as blocker:
        # the row is locked: the transaction's message (id announced, the write, COMMIT) waits at the write
        blocker.execute("SELECT 1 FROM kv WHERE k = %s FOR UPDATE", (encode_key(("k", "b")),))
        thread = threading.Thread(target=write)
        thread.start()
        with psycopg.connect(direct, autocommit=True) as admin:
            pid = None
            for _ in range(200):
                row = admin.execute("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                    " AND query LIKE '%metalnet_announce_xact%'").fetchone()
                if row is not None:
                    pid = row[0]
                    break
                time.sleep(0.05)
            assert pid is not None, "the transaction never waited on the row lock"
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        thread.join(20)
        blocker.rollback()
    assert len(outcome) == 1
    assert isinstance(outcome[0], StorageUnavailableError), outcome
    assert not isinstance(outcome[0], CommitOutcomeUnknownError), outcome
    assert settled == [False]  # asked, and the server said: rolled back
    assert _value(proxied, "b") == 1


def test_a_commit_in_doubt_while_the_server_is_out_of_reach_is_unknown_within_the_deadline(
        proxied: Storage, proxy: CuttingProxy) -> None:
    proxied.run(lambda tx: tx.put(("k", "c"), 1))
    proxy.refuse_after_cut = True
    proxy.cut_next_commit()
    start = time.monotonic()
    with pytest.raises(CommitOutcomeUnknownError, match="may have committed"):
        proxied.run(lambda tx: tx.put(("k", "c"), 2), deadline=start + 1.5)
    elapsed = time.monotonic() - start
    assert elapsed < 1.5 + 0.5, f"answered {elapsed:.2f} s after the call, past its deadline"
    assert proxy.cuts == 1
    proxy.refuse = False
    # it had committed: "unknown" (503, retry with the same Idempotency-Key) is the only safe answer
    assert _value(proxied, "c") == 2
