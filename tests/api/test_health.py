"""Health that tells the truth: readiness fails while the store cannot take a write, liveness stays up,
and what went wrong is shown to authenticated admins only.

The end-to-end cases use real server processes: SQLite on a small tmpfs filled up (mounting needs root:
skipped with the reason otherwise, failed under ``CI=true``, which runs as root), and a PostgreSQL cluster
of their own, stopped and started again, then made read-only.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import httpx
import psycopg
import pytest
from litestar.testing import TestClient

from metalnet.api.app import create_app
from metalnet.api.readiness import PROBE_INTERVAL
from metalnet.api.settings import Settings
from metalnet.storage.base import StorageUnavailableError, Transaction
from metalnet.storage.memory import MemoryStorage
from tests.api.conftest import KEYS, TOKENS, bearer, hmac_headers
from tests.api.live import live_server
from tests.servers.postgres import PostgresMissingError, find_bindir, throwaway_cluster

T = TypeVar("T")
Client = TestClient  # type: ignore[type-arg]
#: what a PostgreSQL error may say about where the database is; only admins may read it
WHERE = "postgresql://metalnet@db.internal:5432/ipam"


class WritesFail(MemoryStorage):
    """A store that reads but refuses every write, as a full disk or a read-only replica does; counts writes."""

    def __init__(self) -> None:
        super().__init__()
        self.failing = False
        self.writes = 0

    def run(self, fn: Callable[[Transaction], T], *, readonly: bool = False, deadline: float | None = None) -> T:
        if not readonly:
            self.writes += 1
            if self.failing:
                raise StorageUnavailableError(f"{WHERE}: could not write: no space left on device")
        return super().run(fn, readonly=readonly, deadline=deadline)


@pytest.fixture
def store() -> WritesFail:
    return WritesFail()


@pytest.fixture
def app(store: WritesFail) -> Iterator[Client]:
    with TestClient(create_app(store, Settings.build(KEYS, TOKENS, request_log=False))) as client:
        yield client


def _wait_past_interval() -> None:
    time.sleep(PROBE_INTERVAL + 0.05)


def test_readiness_follows_writes_and_liveness_stays(app: Client, store: WritesFail) -> None:
    ready = app.get("/v1/health")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "healthy"
    assert set(ready.json()) == {"status", "message", "services"}
    store.failing = True
    _wait_past_interval()
    failing = app.get("/v1/health")
    assert failing.status_code == 503
    assert failing.json()["status"] == "unhealthy"
    assert failing.json()["services"]["database"]["status"] == "unhealthy"
    live = app.get("/v1/health/liveliness")
    assert (live.status_code, live.json()["status"]) == (200, "healthy")
    store.failing = False
    _wait_past_interval()
    assert app.get("/v1/health").status_code == 200


def test_details_only_for_authenticated_admins(app: Client, store: WritesFail) -> None:
    store.failing = True
    others = [{}, bearer("tok-view"), bearer("tok-edit"), bearer("wrong"), hmac_headers("GET", "Metal-View",
                                                                                         KEYS["view"])]
    for headers in others:
        answer = app.get("/v1/health", headers=headers)
        assert answer.status_code == 503
        assert "db.internal" not in answer.text
        assert "5432" not in answer.text
        assert "space" not in answer.text
    for headers in (bearer("tok-admin"), hmac_headers("GET")):
        answer = app.get("/v1/health", headers=headers)
        assert answer.status_code == 503
        assert WHERE in answer.json()["services"]["database"]["message"]


def test_probes_are_rate_limited(app: Client, store: WritesFail) -> None:
    before = store.writes
    for _ in range(50):
        assert app.get("/v1/health").status_code == 200
    assert store.writes - before <= 2  # one per interval; the loop may straddle one boundary


# --- end to end: real processes, real file systems and databases ------------------------------------------


def _mount_or_skip(where: Path, *options: str) -> None:
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(where)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        reason = f"cannot mount a tmpfs ({done.stderr.strip() or done.returncode}); mounting needs root"
        if os.environ.get("CI") == "true" and os.geteuid() == 0:  # CI runs as root, where mounting works
            pytest.fail(f"the full-disk test must run in CI (as root): {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "disk"
    where.mkdir()
    _mount_or_skip(where, "size=16m")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as out:
        for chunk in (1 << 16, 512):
            try:
                while True:
                    out.write(b"\0" * chunk)
            except OSError:
                pass
    return filler


def _until(check: Callable[[], bool], seconds: float) -> float:
    """Seconds until ``check()`` held (polling); fails the test after ``seconds``."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return time.monotonic() - started
        time.sleep(0.1)
    pytest.fail(f"not within {seconds} s")


def _status(url: str) -> int:
    try:
        return httpx.get(url, timeout=3.0).status_code
    except httpx.HTTPError:
        return 0


def _setup(url: str) -> str:
    with httpx.Client(base_url=url, timeout=10.0) as http:
        assert http.put("/v1/partition", json={"id": "p"}).status_code == 201
        assert http.put("/v1/project", json={"meta": {"id": "x"}}).status_code == 201
        created = http.put("/v1/network", json={"id": "n", "prefixes": ["10.0.0.0/16"], "partitionid": "p",
                                                "projectid": "x"})
        assert created.status_code == 201, created.text
        return "n"


def test_sqlite_full_disk(small_disk: Path) -> None:
    with live_server(["--db", f"sqlite:///{small_disk / 'metalnet.db'}"], cwd=small_disk.parent) as server:
        network = _setup(server.url)
        health, live = f"{server.url}/v1/health", f"{server.url}/v1/health/liveliness"
        filler = _fill(small_disk)
        _until(lambda: _status(health) == 503, 10)
        with httpx.Client(base_url=server.url, timeout=10.0) as http:
            for _ in range(20):
                answer = http.post("/v1/ip/allocate", json={"networkid": network, "projectid": "x"})
                assert answer.status_code == 503, answer.text
                assert set(answer.json()) == {"statuscode", "message"}
            assert http.get("/v1/health/liveliness").status_code == 200
            assert http.get("/v1/network/n").status_code == 200  # reads still work
        assert _status(live) == 200
        filler.unlink()
        _until(lambda: _status(health) == 200, 10)


@contextmanager
def _own_postgres() -> Iterator[tuple[str, Callable[[], None], Callable[[], None]]]:
    """A PostgreSQL cluster of this test alone (the session's is shared), with stop and start."""
    bindir = find_bindir()
    try:
        with throwaway_cluster() as server:
            assert bindir is not None
            data = Path(server.socket_dir) / "data"
            sudo = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
            options = (f"-c listen_addresses=127.0.0.1 -p {server.port} -c unix_socket_directories={server.socket_dir}"
                       " -c fsync=on -c max_connections=200")

            def stop() -> None:
                subprocess.run([*sudo, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                               capture_output=True, check=True)

            def start() -> None:
                subprocess.run([*sudo, str(bindir / "pg_ctl"), "-D", str(data), "-l",
                                str(Path(server.socket_dir) / "server.log"), "-w", "-o", options, "start"],
                               capture_output=True, check=True)

            yield server.url("metalnet_test"), stop, start
    except PostgresMissingError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL tests must run in CI: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL tests skipped: {exc}")


@pytest.mark.postgres
def test_postgres_stopped_then_back(tmp_path: Path) -> None:
    with _own_postgres() as (url, stop, start), live_server(["--db", url], cwd=tmp_path) as server:
        health, live = f"{server.url}/v1/health", f"{server.url}/v1/health/liveliness"
        assert _status(health) == 200
        stop()
        _until(lambda: _status(health) == 503, 10)
        assert _status(live) == 200
        start()
        back = _until(lambda: _status(health) == 200, 15)
        print(f"readiness back {back:.1f} s after PostgreSQL answered again")
        # a read-only database (as a standby, or default_transaction_read_only) reads but takes no write
        _read_only(url, True)
        try:
            _until(lambda: _status(health) == 503, 10)
            assert _status(live) == 200
            assert httpx.get(f"{server.url}/v1/partition", timeout=5).status_code == 200
        finally:
            _read_only(url, False)
        _until(lambda: _status(health) == 200, 10)


def _read_only(url: str, on: bool) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"ALTER SYSTEM SET default_transaction_read_only = {'on' if on else 'off'}")
        conn.execute("SELECT pg_reload_conf()")


