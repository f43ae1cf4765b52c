"""A database stopped under a load of ``POST /v1/ip/allocate`` on a real server with a short request deadline.

Every request is answered within its deadline + 1 s, with 201 or a 503 carrying ``Retry-After`` and the v1
error body; every IP in the store afterwards was answered 201 (nothing committed after its client was
answered 503); the service allocates again within 2 s of the database's return, without a restart.

On PostgreSQL every request carries an Idempotency-Key, and the test tolerates no orphan at all: a COMMIT
whose answer the crash cut off is settled by asking the server (storage/postgres/in_doubt.py); one that
cannot be settled in time is a 503 that says it may have committed, and the client's retry with the same key
after the outage is answered 201 with the committed address (or allocates, when it had not committed).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from scripts.servers import TEST_DATABASE, PostgresServer, start_server, stop_server
from tests.api.live import live_server
from tests.api.test_health import _fill, small_disk  # noqa: F401 - the fixture, a small tmpfs
from tests.servers.postgres import cluster_or_skip
from tests.servers.rethinkdb import RethinkServer, require_binary

pytestmark = [pytest.mark.slow]

DEADLINE = 2.0
#: how much later than its deadline a request may be answered
SLACK = 1.0
OUTAGE = 8.0
CLIENTS = 4


@dataclass(frozen=True)
class Answer:
    started: float
    finished: float
    status: int
    ip: str | None
    retry_after: str | None
    body_keys: frozenset[str]
    key: str | None = None
    message: str = ""


@pytest.fixture
def rethink(tmp_path: Path) -> Iterator[RethinkServer]:
    """A single RethinkDB server of this test's own (it is killed with SIGKILL); stopped by its PID at the end."""
    server = RethinkServer(require_binary(), tmp_path / "r0", "r0").start()
    yield server
    server.stop()


@pytest.fixture
def cluster() -> Iterator[PostgresServer]:
    """A cluster of this test's own: stopping the session's would fail every other test."""
    yield from cluster_or_skip()


def _setup(http: httpx.Client) -> None:
    assert http.put("/v1/partition", json={"id": "p"}).status_code == 201
    assert http.put("/v1/project", json={"meta": {"id": "x"}}).status_code == 201
    created = http.put("/v1/network", json={"id": "n", "prefixes": ["10.0.0.0/16"], "partitionid": "p",
                                            "projectid": "x"})
    assert created.status_code == 201, created.text


ALLOCATE = {"networkid": "n", "projectid": "x"}


def _load(url: str, stop: threading.Event, answers: list[Answer], keyed: bool) -> None:
    with httpx.Client(base_url=url, timeout=DEADLINE + 10) as http:
        for _ in range(2000):  # bounded; the stop event ends it long before
            if stop.is_set():
                return
            key = str(uuid.uuid4()) if keyed else None
            started = time.monotonic()
            response = http.post("/v1/ip/allocate", json=ALLOCATE, headers={"Idempotency-Key": key} if key else {})
            finished = time.monotonic()
            body = response.json()
            answers.append(Answer(started, finished, response.status_code,
                                  body.get("ipaddress") if response.status_code == 201 else None,
                                  response.headers.get("retry-after"), frozenset(body), key,
                                  str(body.get("message", ""))))
            time.sleep(0.02)  # pacing only: a small, bounded load


def outage_under_load(db: str, stop_db: Callable[[], None], start_db: Callable[[], None], cwd: Path,
                      recovery: float = 2.0, keyed: bool = False,
                      writable: Callable[[], float] | None = None) -> None:
    """Allocate under load while the database is away (``stop_db`` .. ``start_db``, :data:`OUTAGE` s); check all.

    ``keyed``: every request carries an Idempotency-Key, and no orphan is tolerated: the requests in flight
    when the database went away that were answered 503 are retried with their keys afterwards (what a client
    does), and every allocation in the store must then have been answered 201.
    ``writable``: blocks until the restarted database takes writes and returns that ``time.monotonic()``;
    recovery is measured from then (by default from the return of ``start_db``).
    """
    args = ["--db", db, "--request-deadline", str(DEADLINE), "--no-request-log"]
    with live_server(args, cwd=cwd) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        _setup(http)
        stop, answers = threading.Event(), []  # type: ignore[var-annotated]
        clients = [threading.Thread(target=_load, args=(server.url, stop, answers, keyed)) for _ in range(CLIENTS)]
        for client in clients:
            client.start()
        try:
            time.sleep(1.0)
            stopping = time.monotonic()
            stop_db()
            down = time.monotonic()
            time.sleep(OUTAGE)
            start_db()
            back = time.monotonic() if writable is None else writable()
            time.sleep(4.0)
        finally:
            stop.set()
            for client in clients:
                client.join(DEADLINE + 15)
        assert not any(client.is_alive() for client in clients)

        time.sleep(0.5)  # anything that would land late has had its chance
        in_doubt = [a for a in answers if a.status == 503 and a.started <= down and a.finished >= stopping]
        retried: list[str] = []
        unknown = [a for a in in_doubt if "may have committed" in a.message]
        before_retries = {ip["ipaddress"] for ip in http.post("/v1/ip/find", json={"networkid": "n"}).json()}
        if keyed:
            for answer in in_doubt:
                again = http.post("/v1/ip/allocate", json=ALLOCATE, headers={"Idempotency-Key": str(answer.key)})
                assert again.status_code == 201, again.text
                retried.append(again.json()["ipaddress"])
        stored = http.post("/v1/ip/find", json={"networkid": "n"})
        assert stored.status_code == 200, stored.text
        in_store = {ip["ipaddress"] for ip in stored.json()}

    slowest = max(a.finished - a.started for a in answers)
    assert slowest <= DEADLINE + SLACK, f"a request took {slowest:.2f} s (deadline {DEADLINE} s)"
    assert {a.status for a in answers} <= {201, 503}, sorted({a.status for a in answers})
    refused = [a for a in answers if a.status == 503]
    assert refused, "the outage was never seen"
    assert all(a.retry_after is not None for a in refused)
    assert all(a.body_keys == {"statuscode", "message"} for a in refused)
    assert any(down < a.finished < back for a in refused), "no 503 during the outage"
    granted = {a.ip for a in answers if a.status == 201}
    assert granted <= in_store, f"answered 201 but not in the store: {sorted(granted - in_store)}"
    orphans = in_store - granted - set(retried)
    if keyed:
        # every allocation was answered 201, at the latest to the retry with its key
        assert not orphans, f"orphans (in the store, never answered 201): {sorted(orphans)}"
        print(f"{len(in_doubt)} request(s) in flight at the crash answered 503, {len(unknown)} of them 'may have "
              f"committed'; their retries got {len(set(retried) & before_retries)} committed address(es)")
    else:
        # A COMMIT the server made durable just as it was killed, whose answer the crash cut off, is in doubt:
        # its request was answered 503 (nothing late: it committed before its answer). Only requests in flight
        # at that instant can be such; anything beyond them is an orphan committed late.
        assert len(orphans) <= len(in_doubt), f"orphans (in the store, never answered 201): {sorted(orphans)}"
        if orphans:
            print(f"{len(orphans)} allocation(s) in doubt at the crash, answered 503 but committed: {sorted(orphans)}")
    # back within 2 s: every request started 2 s after the database's return was served
    late = [a for a in answers if a.started >= back + recovery]
    assert late
    assert all(a.status == 201 for a in late), [a.status for a in late]
    first = min(a.finished for a in answers if a.status == 201 and a.started >= back)
    assert first - back < recovery, f"served again {first - back:.2f} s after the database's return"
    print(f"first 201 after the database's return: {first - back:.3f} s")


@pytest.mark.postgres
def test_postgres_stopped_under_load(cluster: PostgresServer, tmp_path: Path) -> None:
    outage_under_load(cluster.url(TEST_DATABASE), lambda: stop_server(cluster, "immediate"),
                      lambda: start_server(cluster), tmp_path, keyed=True)


@pytest.mark.rethinkdb
def test_rethinkdb_killed_under_load(rethink: RethinkServer, tmp_path: Path) -> None:
    # the restarted server says "Server ready" about 2 s before its tables take writes (docs/rethinkdb.md):
    # recovery is measured from the moment the log table takes writes again
    outage_under_load(rethink.url("outage"), rethink.kill, rethink.start, tmp_path,
                      writable=lambda: rethink.wait_writable("outage"))


def test_sqlite_disk_full_under_load(small_disk: Path) -> None:  # noqa: F811 - the imported fixture
    filler: list[Path] = []
    outage_under_load(f"sqlite:///{small_disk / 'metalnet.db'}", lambda: filler.append(_fill(small_disk)),
                      lambda: filler[0].unlink(), small_disk.parent)
