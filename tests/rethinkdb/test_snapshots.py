"""Snapshots and compaction: a new process starts from the newest snapshot and has exactly the same state."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from typing import Any

import pytest
from rethinkdb import RethinkDB

from metalnet.ipam import Ipamer
from metalnet.storage import Storage, StorageError, open_storage
from metalnet.storage.rethinkdb.config import parse_url
from metalnet.storage.rethinkdb.conn import Connector
from metalnet.storage.rethinkdb.snapshot import load_snapshot, write_snapshot
from metalnet.storage.rethinkdb.storage import RethinkStorage
from tests.rethinkdb.support import REPO
from tests.servers.rethinkdb import RethinkServer

pytestmark = [pytest.mark.rethinkdb]
r = RethinkDB()
EVERY, RETAIN = 1_000, 200
#: the long test: 20,000 operations (as in the issue) from this many threads, each in its own prefixes
THREADS, OPERATIONS = 4, 5_000
V4, V6 = "10.0.0.0/16", "2001:db8:77::/56"


def prefixes(thread: int) -> tuple[str, str]:
    return f"10.{thread}.0.0/16", f"2001:db8:7{thread}::/56"


def churn(ipam: Ipamer, operations: int, v4: str = V4, v6: str = V6) -> None:
    """A mix of acquisitions and releases, so that the state has holes and children come and go."""
    ips, children = [], []
    for step in range(operations):
        if step % 7 == 6 and ips:
            ipam.release_ip(ips.pop(len(ips) // 2))
        elif step % 11 == 10:
            children.append(ipam.acquire_child_prefix(v6, 64).cidr)
        elif step % 13 == 12 and children:
            ipam.release_child_prefix(children.pop(0))
        else:
            ips.append(ipam.acquire_ip(v4))


def everything(storage: Storage) -> list[tuple[Any, ...]]:
    return storage.run(lambda tx: tx.scan(()), readonly=True)


def dump_in_new_process(url: str) -> str:
    code = (
        "import sys; from metalnet.storage import open_storage; from metalnet.ipam import Ipamer; "
        "s = open_storage(sys.argv[1]); print(s.head); print(Ipamer(s).dump())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, url], cwd=REPO, capture_output=True, text=True, check=True, timeout=60
    )
    return out.stdout


@pytest.mark.slow
def test_new_process_starts_from_the_snapshot_with_the_same_state(
    rethinkdb_server: RethinkServer, rethinkdb_url: str
) -> None:
    url = f"{rethinkdb_url}?snapshot_every={EVERY}&retain={RETAIN}"
    with open_storage(url) as storage:
        assert isinstance(storage, RethinkStorage)
        ipam = Ipamer(storage)
        for thread in range(THREADS):
            for prefix in prefixes(thread):
                ipam.new_prefix(prefix)
        pool = [threading.Thread(target=churn, args=(ipam, OPERATIONS, *prefixes(thread))) for thread in range(THREADS)]
        for each in pool:
            each.start()
        for each in pool:
            each.join()
        head, state, dump = storage.head, everything(storage), ipam.dump()
    assert len(state) > 100  # holes and children: not a trivial state
    db = parse_url(url).db
    with rethinkdb_server.connect() as conn:
        pointer = r.db(db).table("meta").get("snapshot").run(conn)
        oldest = r.db(db).table("log").min(index="id")["id"].run(conn)
        kept = r.db(db).table("log").count().run(conn)
    # a snapshot due while the previous one is still being written is skipped: the newest may be one older
    assert pointer["log_id"] % EVERY == 0
    assert head - 2 * EVERY < pointer["log_id"] <= head
    assert oldest == pointer["log_id"] - RETAIN + 1, "compaction keeps exactly the retained entries"
    assert kept == head - oldest + 1 < 2 * EVERY + RETAIN, "the log stays bounded"
    # entries 1..oldest-1 are gone: only the snapshot can give a new process this state
    with open_storage(url) as fresh:
        assert isinstance(fresh, RethinkStorage)
        assert fresh.head == head
        assert everything(fresh) == state
    assert dump_in_new_process(url) == f"{head}\n{dump}\n"


def test_process_left_behind_by_compaction_reloads_the_snapshot(
    rethinkdb_server: RethinkServer, rethinkdb_url: str
) -> None:
    url = f"{rethinkdb_url}?snapshot_every=100&retain=10"
    with open_storage(url) as busy, open_storage(url) as idle:
        ipam = Ipamer(busy)
        ipam.new_prefix(V4)
        for _ in range(350):
            ipam.acquire_ip(V4)
        busy.close()  # waits for the snapshot being written
        with rethinkdb_server.connect() as conn:
            oldest = r.db(parse_url(url).db).table("log").min(index="id")["id"].run(conn)
        assert oldest == 291, "entries the idle process never saw were compacted away"
        with open_storage(url) as check:
            assert check.run(lambda tx: tx.scan(()), readonly=True) == everything(idle)
        assert Ipamer(idle).prefix_usage(V4).acquired_ips == 352  # with network and broadcast address


def test_process_left_behind_by_compaction_cannot_commit_on_its_stale_state(rethinkdb_url: str) -> None:
    # the idle process's next log place was compacted away: an insert there must not count as a commit
    url = f"{rethinkdb_url}?snapshot_every=100&retain=10"
    with open_storage(url) as busy, open_storage(url) as idle:
        ipam = Ipamer(busy)
        ipam.new_prefix(V4)
        assert Ipamer(idle).prefix_usage(V4).acquired_ips == 2  # idle is current at entry 1
        taken = {str(ipam.acquire_ip(V4).ip) for _ in range(150)}
        assert isinstance(busy, RethinkStorage)
        busy.snapshot()  # entries before 142 go
        address = str(Ipamer(idle).acquire_ip(V4).ip)
        assert address not in taken, "handed out twice"
        assert Ipamer(busy).prefix_usage(V4).acquired_ips == 153


def test_snapshot_of_several_chunks_round_trips(rethinkdb_server: RethinkServer, rethinkdb_url: str) -> None:
    config = parse_url(rethinkdb_url)
    with open_storage(rethinkdb_url):  # creates the tables
        pass
    # random-looking values that compress badly, so that the snapshot needs several chunks
    items = [(("k", n), f"{(n * 2654435761) % 2**64:016x}{n:08x}{(n * 40503) % 2**32:08x}") for n in range(120_000)]
    connector = Connector(config)
    try:
        write_snapshot(connector, 7, list(items), retain=1)
        loaded = load_snapshot(connector, time.monotonic() + 10)
    finally:
        connector.close()
    with rethinkdb_server.connect() as conn:
        chunks = r.db(config.db).table("snapshots").count().run(conn)
    assert chunks >= 2
    assert loaded is not None
    log_id, state = loaded
    assert log_id == 7
    assert state.values == dict(items)


def test_unreadable_snapshot_is_a_storage_error_naming_it(rethinkdb_server: RethinkServer, rethinkdb_url: str) -> None:
    with open_storage(rethinkdb_url):  # creates the tables
        pass
    db = parse_url(rethinkdb_url).db
    with rethinkdb_server.connect() as conn:
        r.db(db).table("snapshots").insert({"id": [3, 0], "data": r.binary(b"not zlib")}).run(conn)
        r.db(db).table("meta").insert({"id": "snapshot", "log_id": 3, "chunks": 1}).run(conn)
    with pytest.raises(StorageError, match="snapshot at log entry 3 is unreadable"):
        open_storage(rethinkdb_url)
