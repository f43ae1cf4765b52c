"""PostgreSQL-only behaviour: concurrent transactions, deadlock retry, lost connections, lock numbers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from metalnet.ipam import Ipamer, IpamSession, NoIPAvailableError
from metalnet.storage import (
    KeyExistsError,
    Storage,
    StorageBusyError,
    StorageError,
    StorageUnavailableError,
    Transaction,
    open_storage,
)
from metalnet.storage.postgres import PostgresStorage, PostgresTransaction, lock_id
from metalnet.storage.rows import encode_value
from tests.servers.postgres import PostgresServer

pytestmark = pytest.mark.postgres


@pytest.fixture
def store(postgres_url: str) -> Iterator[Storage]:
    with open_storage(postgres_url) as opened:
        yield opened


def test_lock_ids_are_stable_signed_64_bit_numbers() -> None:
    # pinned to blake2b-64 of the UTF-8 name: processes of different metalnet versions must agree
    assert lock_id("metalnet:schema-migration") == lock_id("metalnet:schema-migration")
    assert lock_id("a") != lock_id("b")
    assert -(2**63) <= lock_id("prefix/10.0.0.0/8") < 2**63
    assert lock_id("abc") == int.from_bytes(bytes.fromhex("d8bb14d833d59559"), "big", signed=True)


def test_opposite_lock_order_deadlock_is_retried_until_both_commit(store: Storage) -> None:
    barrier = threading.Barrier(2, timeout=10)
    attempts = {"a": 0, "b": 0}
    errors: list[BaseException] = []

    def transfer(first: str, second: str) -> None:
        def fn(tx: Transaction) -> None:
            attempts[first] += 1
            tx.lock(first)
            tx.get((first,))  # sends the lock
            if attempts[first] == 1:
                barrier.wait()  # both hold their first lock: the second lock closes the cycle
            tx.lock(second)
            tx.get((second,))
            tx.put((first,), attempts[first])

        try:
            store.run(fn)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=transfer, args=pair) for pair in (("a", "b"), ("b", "a"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(attempts.values()) == [1, 2]  # PostgreSQL aborted exactly one of them, which ran again
    assert store.run(lambda tx: (tx.get(("a",)), tx.get(("b",)))) == (attempts["a"], attempts["b"])


def test_readonly_transactions_see_one_snapshot(store: Storage, postgres_url: str) -> None:
    store.run(lambda tx: tx.put(("k",), 1))
    dsn = postgres_url
    store = open_storage(postgres_url)  # a store whose row cache does not hold k yet: the first get asks

    def fn(tx: Transaction) -> tuple[object, object]:
        before = tx.get(("k",))
        with psycopg.connect(dsn, autocommit=True) as other:  # a concurrent writer commits meanwhile
            other.execute("UPDATE kv SET v = %s", (b"2",))
        return before, tx.get(("k",))

    assert store.run(fn, readonly=True) == (1, 1)
    assert store.run(lambda tx: tx.get(("k",))) == 2
    store.close()


def _messages(store: Storage, fn: Callable[[Transaction], object]) -> int:
    """How many messages ``store.run(fn)`` sends to the server."""
    sent = []
    original = PostgresTransaction._send

    def counting(tx: PostgresTransaction, statement: str) -> Any:
        sent.append(statement)
        return original(tx, statement)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PostgresTransaction, "_send", counting)
        store.run(fn)
    return len(sent)


@pytest.mark.parametrize(("options", "expected"), [("", 1), ("row_cache=0", 2)], ids=["cached", "uncached"])
def test_an_acquisition_on_a_cached_prefix_row_is_one_message(postgres_url: str, options: str,
                                                              expected: int) -> None:
    url = f"{postgres_url}{'&' if '?' in postgres_url else '?'}{options}" if options else postgres_url
    with open_storage(url) as store:
        ipam = Ipamer(storage=store)
        ipam.new_prefix("10.9.0.0/16")
        ipam.acquire_ip("10.9.0.0/16")
        assert _messages(store, lambda tx: IpamSession(tx).acquire_ip("10.9.0.0/16")) == expected


def test_rows_changed_by_another_process_are_never_served_stale(postgres_url: str) -> None:
    # two stores with caches of their own, as two processes: each acquisition finds its cached prefix
    # row outdated by the other's, and must still hand out the next free address, never a taken one
    with open_storage(postgres_url) as first, open_storage(postgres_url) as second:
        ipams = [Ipamer(storage=first), Ipamer(storage=second)]
        ipams[0].new_prefix("10.8.0.0/24")
        taken = [str(ipams[n % 2].acquire_ip("10.8.0.0/24")) for n in range(40)]
        assert taken == [f"10.8.0.{n}" for n in range(1, 41)]
        for ipam in ipams:
            assert ipam.prefix_from("10.8.0.0/24").usage().acquired_ips == 42
        ipams[1].release_ip_from_prefix("10.8.0.0/24", "10.8.0.7")
        assert str(ipams[0].acquire_ip("10.8.0.0/24")) == "10.8.0.7"


def _cut_other_connections(postgres_url: str) -> None:
    """Terminate every other session of the database and wait until they are gone."""
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        others = ("FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                  " AND backend_type = 'client backend'")
        admin.execute(f"SELECT pg_terminate_backend(pid) {others}")
        for _ in range(500):
            row = admin.execute(f"SELECT count(*) {others}").fetchone()
            if row is not None and row[0] == 0:
                return
            time.sleep(0.01)
        raise AssertionError("terminated sessions did not end")


@pytest.mark.parametrize("cached", [True, False], ids=["one-message", "two-messages"])
def test_a_cut_connection_is_replaced_without_an_error(store: Storage, postgres_url: str, cached: bool) -> None:
    ipam = Ipamer(storage=store)
    ipam.new_prefix("10.7.0.0/24")
    ipam.acquire_ip("10.7.0.0/24")  # the prefix row is cached now: the next acquisition is one message
    _cut_other_connections(postgres_url)
    if not cached:
        store.run(lambda tx: tx.get(("k",)))  # a transaction whose first message carries no COMMIT
    assert str(ipam.acquire_ip("10.7.0.0/24")) == "10.7.0.2"


def test_a_connection_lost_at_commit_raises_unavailable(store: Storage, postgres_url: str) -> None:
    def fn(tx: Transaction) -> None:
        tx.get(("k",))
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        tx.put(("k",), 2)

    with pytest.raises(StorageUnavailableError, match="unavailable"):
        store.run(fn)
    assert store.run(lambda tx: tx.get(("k",))) is None  # nothing half-written; the next call works


def test_an_insert_of_an_existing_key_reruns_fn_strictly_and_raises_at_the_call(store: Storage) -> None:
    store.run(lambda tx: tx.insert(("k",), 1))
    calls: list[str] = []

    def fn(tx: Transaction) -> None:
        calls.append("call")
        tx.insert(("k",), 2)
        calls.append("inserted")
        tx.put(("other",), 3)

    with pytest.raises(KeyExistsError):
        store.run(fn)
    # the optimistic run went past the insert and failed at commit; the strict run raised at the insert
    assert calls == ["call", "inserted", "call"]
    assert store.run(lambda tx: (tx.get(("k",)), tx.get(("other",)))) == (1, None)


def test_an_insert_of_a_new_key_runs_fn_once(store: Storage) -> None:
    calls: list[str] = []

    def fn(tx: Transaction) -> None:
        calls.append("call")
        tx.insert(("new",), 1)

    store.run(fn)
    assert calls == ["call"]
    assert store.run(lambda tx: tx.get(("new",))) == 1


def test_a_lock_timeout_is_reported_as_busy(postgres_url: str) -> None:
    url = postgres_url + "%20-clock_timeout%3D200"  # the server gives up waiting for a lock after 0.2 s
    with open_storage(url) as store, psycopg.connect(postgres_url) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (lock_id("held"),))  # held until the block ends

        def fn(tx: Transaction) -> None:
            tx.lock("held")
            tx.get(("k",))

        with pytest.raises(StorageBusyError, match="busy"):
            store.run(fn)


def test_a_unix_socket_url_with_pool_options_works(postgres_server: PostgresServer, postgres_url: str) -> None:
    options = postgres_url.split("?", 1)[1]
    url = (f"postgresql://postgres@/metalnet_test?host={postgres_server.socket_dir}&port={postgres_server.port}"
           f"&pool_size=2&{options}&timeout=5")
    with open_storage(url) as store:
        store.run(lambda tx: tx.put(("k",), "via socket"))
    with open_storage(postgres_url) as store:  # the same store over TCP
        assert store.run(lambda tx: tx.get(("k",))) == "via socket"


def test_a_swallowed_statement_error_is_not_reported_as_committed(store: Storage) -> None:
    # the optimistic insert of an existing key fails at the next read; a fn that catches that error and
    # returns leaves an aborted transaction, whose COMMIT the server answers with ROLLBACK, not an error
    store.run(lambda tx: tx.put(("taken",), 1))

    def swallows(tx: Transaction) -> str:
        try:
            tx.insert(("taken",), 2)
            tx.put(("other",), 3)
            tx.get(("taken",))
        except KeyExistsError:
            return "refused"
        except psycopg.Error:
            return "swallowed"
        return "inserted"

    assert store.run(swallows) == "refused"  # re-run with strict inserts, as any failure after one is
    assert store.run(lambda tx: (tx.get(("taken",)), tx.get(("other",)))) == (1, None)


def test_commit_of_an_aborted_transaction_is_an_error(store: Storage) -> None:
    def swallows(tx: Transaction) -> None:
        tx.put(("kept",), 1)
        with pytest.raises(psycopg.Error):
            tx.get(("other",))  # the put reaches the server here, which refuses it in a read-only transaction

    with pytest.raises(StorageError, match="rolled back"):
        store.run(swallows, readonly=True)
    assert store.run(lambda tx: tx.get(("kept",))) is None


def test_an_error_resting_on_a_changed_cached_row_is_not_reported(postgres_url: str) -> None:
    # the first process finds its prefix full from its cache; the second has freed an address meanwhile:
    # "no IP left" must not reach the caller, the acquisition must see the freed address
    with open_storage(postgres_url) as first, open_storage(postgres_url) as second:
        filler, freer = Ipamer(storage=first), Ipamer(storage=second)
        filler.new_prefix("10.6.0.0/30")
        taken = [str(filler.acquire_ip("10.6.0.0/30")) for _ in range(2)]
        with pytest.raises(NoIPAvailableError):
            filler.acquire_ip("10.6.0.0/30")
        freer.release_ip_from_prefix("10.6.0.0/30", taken[0])
        assert str(filler.acquire_ip("10.6.0.0/30")) == taken[0]
        with pytest.raises(NoIPAvailableError):  # and a refusal that rests on the current row still stands
            filler.acquire_ip("10.6.0.0/30")


def test_a_transaction_reads_a_cached_row_alike_every_time(postgres_url: str) -> None:
    with open_storage(postgres_url) as store:
        assert isinstance(store, PostgresStorage)
        store.run(lambda tx: tx.put(("twice",), 1))  # cached now
        cache = store._cache
        assert cache is not None

        def fn(tx: Transaction) -> tuple[object, object]:
            first = tx.get(("twice",))
            cache.put(("twice",), 2, encode_value(2))  # another thread's commit lands in the cache meanwhile
            return first, tx.get(("twice",))

        assert store.run(fn) == (1, 1)  # the value that was checked, both times
