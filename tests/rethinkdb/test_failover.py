"""RethinkDB servers dying under load: a single server killed and restarted, a cluster losing its primary."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rethinkdb import RethinkDB

from metalnet.storage import StorageUnavailableError, open_storage
from tests.rethinkdb.support import Worker, finish_all, held, prepared, start_workers
from tests.servers.rethinkdb import RethinkServer, require_binary

pytestmark = [pytest.mark.rethinkdb, pytest.mark.slow]
r = RethinkDB()
#: a transaction rides out an outage this long before it reports "unavailable" (the workers then retry)
RIDE_OUT = 30


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[RethinkServer]]:
    """Servers the test starts itself (it kills them); each is stopped by its own PID at the end."""
    started: list[RethinkServer] = []
    yield started
    for server in started:
        server.stop()


def reported(workers: list[Worker]) -> list[str]:
    return [result for each in workers for result in each.reported]


def refused(workers: list[Worker]) -> int:
    return sum(line.startswith("ERR ") for each in workers for line in each.lines)


def check_nothing_lost(url: str, workers: list[Worker]) -> int:
    """Assert that no result is doubled or missing; returns how many addresses the store holds."""
    results = reported(workers)
    assert len(set(results)) == len(results), "an address was handed out twice"
    with open_storage(url) as storage:
        stored = held(storage, "ip")  # and its counter equals its records
    assert set(results) <= set(stored), "an allocation reported to a caller is missing"
    # beyond the reported ones (and network + broadcast), only attempts reported as refused may have landed
    assert len(stored) - 2 - len(results) <= refused(workers)
    return len(stored)


def test_single_server_killed_mid_load_and_restarted(servers: list[RethinkServer], tmp_path: Path) -> None:
    server = RethinkServer(require_binary(), tmp_path / "n0", "n0").start()
    servers.append(server)
    url = server.url("crash", timeout=RIDE_OUT)
    prepared(url)
    workers = start_workers(url, "ip", 3, 250, tmp_path)
    workers[0].wait_until(lambda: len(reported(workers)) >= 150, 60)
    server.kill()
    during = len(reported(workers))
    time.sleep(1)
    server.start()
    finish_all(workers, 180)
    assert len(reported(workers)) == 750 > during
    check_nothing_lost(url, workers)


def primary_of(server: RethinkServer, db: str, table: str) -> str:
    """The server acting as primary of the table's shard (after a failover: not the configured one)."""
    deadline = time.monotonic() + 20
    with server.connect() as conn:
        while True:  # during a failover the status may list none for a moment
            acting = r.db(db).table(table).status()["shards"][0]["primary_replicas"].run(conn)
            if len(acting) == 1 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    assert len(acting) == 1, acting
    return str(acting[0])


def test_cluster_fails_over_when_the_primary_is_killed(servers: list[RethinkServer], tmp_path: Path) -> None:
    binary = require_binary()
    first = RethinkServer(binary, tmp_path / "n0", "n0").start()
    servers.append(first)
    for name in ("n1", "n2"):
        servers.append(RethinkServer(binary, tmp_path / name, name, join=first).start())
    hosts = ",".join(f"127.0.0.1:{s.driver_port}" for s in servers)
    url = f"rethinkdb://{hosts}/cluster?replicas=3&timeout={RIDE_OUT}"
    prepared(url)
    by_name = {s.name: s for s in servers}
    victim = by_name[primary_of(first, "cluster", "log")]
    survivor = next(s for s in servers if s is not victim)

    workers = start_workers(url, "ip", 3, 250, tmp_path)
    workers[0].wait_until(lambda: len(reported(workers)) >= 150, 60)
    victim.kill()
    killed_at, during = time.monotonic(), len(reported(workers))
    workers[0].wait_until(lambda: len(reported(workers)) > during + 50, 60)
    resumed = time.monotonic() - killed_at
    print(f"allocations resumed {resumed:.1f} s after the primary was killed")
    assert resumed < 30, "allocations did not resume after the failover"
    assert primary_of(survivor, "cluster", "log") != victim.name
    finish_all(workers, 180)
    assert len(reported(workers)) == 750
    total = check_nothing_lost(url, workers)

    victim.join = survivor
    victim.start()  # rejoins with its old data and catches up
    with survivor.connect() as conn:
        r.db("cluster").wait(wait_for="all_replicas_ready", timeout=60).run(conn)
        status = r.db("cluster").table("log").status().run(conn)
        states = {replica["server"]: replica["state"] for replica in status["shards"][0]["replicas"]}
    assert states == {"n0": "ready", "n1": "ready", "n2": "ready"}
    # the rejoined server alone answers with the whole state
    with open_storage(victim.url("cluster")) as storage:
        assert len(held(storage, "ip")) == total


def test_a_killed_single_server_fails_calls_fast_and_heals(servers: list[RethinkServer], tmp_path: Path) -> None:
    server = RethinkServer(require_binary(), tmp_path / "n0", "n0").start()
    servers.append(server)
    with open_storage(server.url("outage")) as storage:
        storage.run(lambda tx: tx.put(("k", "before"), 1))
        server.kill()
        slowest, attempted = 0.0, 0
        end = time.monotonic() + 2
        while time.monotonic() < end:
            start = time.monotonic()
            with pytest.raises(StorageUnavailableError):
                storage.run(lambda tx, n=attempted: tx.put(("k", f"during-{n}"), 1), deadline=start + 3)
            slowest = max(slowest, time.monotonic() - start)
            attempted += 1
            time.sleep(0.02)  # pacing only: a bounded number of calls
        assert slowest < 1, f"a call took {slowest:.2f} s to fail while no server was up (deadline 3 s)"
        server.start()
        # a call waiting while the restarted server readies its tables, and the moment they take writes
        served: list[float] = []

        def call_until_served() -> None:
            give_up = time.monotonic() + 20
            while time.monotonic() < give_up:
                try:
                    storage.run(lambda tx: tx.put(("k", "after"), 1), deadline=time.monotonic() + 3)
                    served.append(time.monotonic())
                    return
                except StorageUnavailableError:
                    time.sleep(0.05)

        caller = threading.Thread(target=call_until_served)
        caller.start()
        writable = server.wait_writable("outage")
        caller.join(25)
        assert served, "the store never served again"
        recovered = served[0] - writable
        print(f"served {recovered:.3f} s after the log table took writes again")
        assert recovered < 2, f"served {recovered:.2f} s after the log table took writes again"
        keys = {str(key[1]) for key, _ in storage.run(lambda tx: tx.scan(("k",)), readonly=True)}
        assert keys == {"before", "after"}
