"""The RethinkDB backend in one test process: URL, start-up, errors, the log, conflicts, lost replies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rethinkdb import RethinkDB

from metalnet.storage import (
    SchemaVersionError,
    StorageError,
    StorageUnavailableError,
    Transaction,
    open_storage,
)
from metalnet.storage.rethinkdb import log as rethink_log
from metalnet.storage.rethinkdb import storage as rethinkdb_backend
from metalnet.storage.rethinkdb.config import RethinkUrlError, parse_url
from metalnet.storage.rethinkdb.log import decode_effects, durable_nonce, encode_effects
from metalnet.storage.rethinkdb.schema import FORMAT_VERSION
from metalnet.storage.rethinkdb.storage import FETCH_BATCH, RethinkStorage
from tests.rethinkdb.proxy import LossyProxy
from tests.servers.rethinkdb import RethinkServer, free_port
from tests.storage.rows import WideRow

pytestmark = [pytest.mark.rethinkdb]
r = RethinkDB()


def db_of(url: str) -> str:
    return parse_url(url).db


@pytest.fixture
def conn(rethinkdb_server: RethinkServer) -> Iterator[Any]:
    with rethinkdb_server.connect() as connection:
        yield connection


def increment(tx: Transaction) -> int:
    value = tx.get(("counter",))
    number = value + 1 if isinstance(value, int) else 1
    tx.put(("counter",), number)
    tx.insert(("item", number), f"item {number}")
    return number


# -- URL ------------------------------------------------------------------------------------------


def test_url_with_every_part() -> None:
    config = parse_url("rethinkdb://bob:s%40cret@db1:29015,[::1],db3/ipam?replicas=3&timeout=2.5&retain=5")
    assert config.hosts == (("db1", 29015), ("::1", 28015), ("db3", 28015))
    assert (config.user, config.password, config.db) == ("bob", "s@cret", "ipam")
    assert (config.replicas, config.timeout, config.retain, config.snapshot_every) == (3, 2.5, 5, 10_000)
    assert "s@cret" not in repr(config)
    assert "s%40cret" not in repr(config)  # nor as written in the URL
    assert "s%40cret" not in config.safe_url


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("rethinkdb://u:pw@host:99999/db", "'99999'"),
        ("rethinkdb://u:pw@host/bad-name", "'bad-name'"),
        ("rethinkdb://u:pw@host/db?replicas=0", "replicas='0'"),
        ("rethinkdb://u:pw@host/db?colour=red", "'colour'"),
        ("rethinkdb://u:pw@host/db?timeout=soon", "timeout='soon'"),
        ("rethinkdb://u:pw@/db", "missing host"),
    ],
)
def test_bad_url_is_refused_naming_the_part(url: str, named: str) -> None:
    with pytest.raises(RethinkUrlError, match=r"rethinkdb://u:\*\*\*@|missing host") as caught:
        open_storage(url)
    assert named in str(caught.value)
    assert "pw" not in str(caught.value).replace("u:***", "")


# -- start-up and failures ------------------------------------------------------------------------


def test_unreachable_server_names_url_without_password() -> None:
    url = f"rethinkdb://admin:topsecret@127.0.0.1:{free_port()}/nowhere?timeout=2"
    with pytest.raises(StorageUnavailableError) as caught:
        open_storage(url)
    message = str(caught.value)
    assert "unavailable" in message
    assert "127.0.0.1" in message
    assert "topsecret" not in message


def test_wrong_credentials_are_reported(rethinkdb_server: RethinkServer, conn: Any) -> None:
    users = r.db("rethinkdb").table("users")
    users.insert({"id": "metalnet_tester", "password": "right"}, conflict="replace").run(conn)
    r.grant("metalnet_tester", {"read": True, "write": True, "config": True}).run(conn)
    base = f"rethinkdb://metalnet_tester:%s@127.0.0.1:{rethinkdb_server.driver_port}/metalnet_creds"
    with pytest.raises(StorageUnavailableError, match="refused the credentials") as caught:
        open_storage(base % "wrong")
    assert "wrong" not in str(caught.value)
    with open_storage(base % "right") as storage:  # the right password works
        storage.run(increment)
    r.db_drop("metalnet_creds").run(conn)


def test_start_up_creates_tables_and_format_version(fresh_rethinkdb_url: str, conn: Any) -> None:
    with open_storage(fresh_rethinkdb_url):
        pass
    db = db_of(fresh_rethinkdb_url)
    assert set(r.db(db).table_list().run(conn)) == {"log", "snapshots", "meta"}
    assert r.db(db).table("meta").get("format")["version"].run(conn) == FORMAT_VERSION
    with open_storage(fresh_rethinkdb_url):  # a second start finds everything in place
        pass


def test_too_many_replicas_for_the_cluster_is_a_clear_error(fresh_rethinkdb_url: str) -> None:
    with pytest.raises(StorageError, match="3 replica"):
        open_storage(fresh_rethinkdb_url + "?replicas=3")


def test_older_format_is_raised_to_the_current_one(rethinkdb_url: str, conn: Any) -> None:
    assert FORMAT_VERSION >= 2
    with open_storage(rethinkdb_url) as storage:
        storage.run(lambda tx: tx.put(("n", 1), 7))
    meta = r.db(db_of(rethinkdb_url)).table("meta")
    meta.get("format").update({"version": FORMAT_VERSION - 1}).run(conn)
    with open_storage(rethinkdb_url) as storage:  # the older store opens, keeps its data and is marked current
        assert storage.run(lambda tx: tx.get(("n", 1)), readonly=True) == 7
    assert meta.get("format")["version"].run(conn) == FORMAT_VERSION


def test_newer_format_is_refused(rethinkdb_url: str, conn: Any) -> None:
    with open_storage(rethinkdb_url):
        pass
    meta = r.db(db_of(rethinkdb_url)).table("meta")
    meta.get("format").update({"version": FORMAT_VERSION + 1}).run(conn)
    with pytest.raises(SchemaVersionError, match="newer metalnet"):
        open_storage(rethinkdb_url)


# -- transactions over the log --------------------------------------------------------------------


def test_commit_is_one_log_entry_holding_the_effects(rethinkdb_url: str, conn: Any) -> None:
    big = 2**128 - 1  # must survive RethinkDB, whose numbers are doubles
    row = WideRow("root", 2**127, 2**126)
    with open_storage(rethinkdb_url) as storage:
        storage.run(lambda tx: tx.put(("n", 2), 5))
        storage.run(lambda tx: (tx.put(("P", big), row), tx.put(("n", 1), 7), tx.delete(("n", 2))))
        storage.run(lambda tx: tx.get(("P", big)), readonly=True)  # a read writes nothing
    entries = list(r.db(db_of(rethinkdb_url)).table("log").order_by("id").run(conn))
    assert [e["id"] for e in entries] == [1, 2]
    assert sorted(decode_effects(entries[1]["effects"]), key=repr) == sorted(
        [(("P", big), row), (("n", 1), 7), (("n", 2), None)], key=repr
    )
    with open_storage(rethinkdb_url) as other:
        assert other.run(lambda tx: tx.get(("P", big)), readonly=True) == row


def test_failed_transaction_writes_nothing(rethinkdb_url: str) -> None:
    def fails(tx: Transaction) -> None:
        tx.put(("a",), 1)
        raise ValueError("refused by the caller")

    with open_storage(rethinkdb_url) as storage:
        assert isinstance(storage, RethinkStorage)
        with pytest.raises(ValueError, match="refused by the caller"):
            storage.run(fails)
        assert storage.head == 0
        assert storage.run(lambda tx: tx.get(("a",))) is None


def test_write_through_one_store_is_read_at_once_through_another(rethinkdb_url: str) -> None:
    with open_storage(rethinkdb_url) as one, open_storage(rethinkdb_url) as two:
        for expected in range(1, 4):
            one.run(increment)
            assert two.run(lambda tx: tx.get(("counter",)), readonly=True) == expected
            assert two.run(lambda tx: tx.get(("counter",))) == expected  # without the read-only hint too


def test_lost_race_reruns_on_the_current_state(rethinkdb_url: str) -> None:
    with open_storage(rethinkdb_url) as one, open_storage(rethinkdb_url) as two:
        one.run(increment)
        two.run(increment)  # two was behind: its first attempt lost the race for entry 2
        calls = []

        def counted(tx: Transaction) -> int:
            calls.append(tx.get(("counter",)))
            return increment(tx)

        one.run(increment)
        assert two.run(counted) == 4
        assert calls == [2, 3]  # ran on the stale state, lost, ran again on the current one
        assert one.run(lambda tx: tx.scan(("item",)), readonly=True) == [
            (("item", n), f"item {n}") for n in range(1, 5)
        ]


def test_error_seen_on_a_stale_state_is_checked_against_the_current_one(rethinkdb_url: str) -> None:
    def needs_item(tx: Transaction) -> object:
        if tx.get(("item", 1)) is None:
            raise LookupError("no item 1")
        return tx.get(("item", 1))

    with open_storage(rethinkdb_url) as one, open_storage(rethinkdb_url) as two:
        with pytest.raises(LookupError):
            two.run(needs_item)
        one.run(increment)
        assert two.run(needs_item) == "item 1"


def test_lost_reply_to_a_commit_is_resolved_by_its_nonce(rethinkdb_server: RethinkServer, rethinkdb_url: str) -> None:
    proxy = LossyProxy(rethinkdb_server.driver_port)
    try:
        url = rethinkdb_url.replace(f":{rethinkdb_server.driver_port}/", f":{proxy.port}/")
        with open_storage(url) as storage:
            assert isinstance(storage, RethinkStorage)
            storage.run(increment)
            proxy.lose_next_reply()
            assert storage.run(increment) == 2  # the insert landed, its answer did not
            assert proxy.reply_was_lost()
            assert storage.head == 2
            assert storage.run(increment) == 3
        with open_storage(rethinkdb_url) as other:
            assert other.run(lambda tx: tx.get(("counter",)), readonly=True) == 3
            assert isinstance(other, RethinkStorage)
            assert other.head == 3  # no entry twice, none missing
    finally:
        proxy.close()


def test_unavailable_store_refuses_the_write_whole_then_recovers(
    rethinkdb_server: RethinkServer, rethinkdb_url: str
) -> None:
    proxy = LossyProxy(rethinkdb_server.driver_port)
    try:
        url = rethinkdb_url.replace(f":{rethinkdb_server.driver_port}/", f":{proxy.port}/") + "?timeout=1"
        with open_storage(url) as storage:
            storage.run(increment)
            proxy.refuse()
            with pytest.raises(StorageUnavailableError, match="unavailable, retry"):
                storage.run(increment)
            with pytest.raises(StorageUnavailableError):  # a read cannot prove it is current either
                storage.run(lambda tx: tx.get(("counter",)), readonly=True)
            proxy.accept()
            assert storage.run(increment) == 2  # the refused write left nothing behind, locally or stored
            assert storage.run(lambda tx: tx.scan(("item",)), readonly=True) == [
                (("item", 1), "item 1"),
                (("item", 2), "item 2"),
            ]
    finally:
        proxy.close()


def test_start_up_replays_a_log_longer_than_one_fetch(rethinkdb_url: str, conn: Any) -> None:
    with open_storage(rethinkdb_url):  # creates the tables
        pass
    count = int(FETCH_BATCH * 2.5)
    docs = [{"id": n, "nonce": f"n{n}", "effects": encode_effects([(("n", n), n)])} for n in range(1, count + 1)]
    r.db(db_of(rethinkdb_url)).table("log").insert(docs, durability="hard").run(conn)
    with open_storage(rethinkdb_url) as storage:
        assert isinstance(storage, RethinkStorage)
        assert storage.head == count
        assert storage.run(lambda tx: tx.scan(("n",)), readonly=True) == [(("n", n), n) for n in range(1, count + 1)]


def test_nested_run_is_refused_and_the_outer_transaction_commits(rethinkdb_url: str) -> None:
    with open_storage(rethinkdb_url) as storage:

        def outer(tx: Transaction) -> str:
            tx.put(("outer",), 1)
            with pytest.raises(StorageError, match="inside a transaction") as raised:
                storage.run(lambda inner: inner.put(("inner",), 1))
            return str(raised.value)

        assert "pass the outer transaction down" in storage.run(outer)
        assert storage.run(lambda tx: (tx.get(("outer",)), tx.get(("inner",)))) == (1, None)


def test_lost_reply_to_a_commit_not_yet_durable_commits_once(
    rethinkdb_server: RethinkServer, rethinkdb_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One server never shows an entry it holds but a majority does not (a replicating commit, a failover
    # in progress); the first majority reads pretend to be that moment. Deciding "not ours" then would run
    # the transaction again while its first entry still lands: counted twice.
    unseen = iter([True, True])

    def durable_later(conn: Any, db: str, entry_id: int) -> str | None:
        return None if next(unseen, False) else durable_nonce(conn, db, entry_id)

    monkeypatch.setattr(rethink_log, "durable_nonce", durable_later)
    monkeypatch.setattr(rethinkdb_backend, "durable_nonce", durable_later)
    proxy = LossyProxy(rethinkdb_server.driver_port)
    try:
        url = rethinkdb_url.replace(f":{rethinkdb_server.driver_port}/", f":{proxy.port}/")
        with open_storage(url) as storage:
            assert isinstance(storage, RethinkStorage)
            storage.run(increment)
            proxy.lose_next_reply()
            assert storage.run(increment) == 2
            assert proxy.reply_was_lost()
            assert next(unseen, None) is None  # the pretence was consumed by the commit
            assert storage.head == 2
        with open_storage(rethinkdb_url) as other:
            assert other.run(lambda tx: tx.get(("counter",)), readonly=True) == 2
    finally:
        proxy.close()


def test_unreadable_log_entry_is_a_storage_error_naming_it(rethinkdb_url: str, conn: Any) -> None:
    with open_storage(rethinkdb_url):  # creates the tables
        pass
    r.db(db_of(rethinkdb_url)).table("log").insert({"id": 1, "nonce": "n1", "effects": "[[not json"}).run(conn)
    with pytest.raises(StorageError, match=r"log entry 1 .*unreadable"):
        open_storage(rethinkdb_url)
