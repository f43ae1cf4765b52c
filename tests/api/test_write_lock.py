"""The event loop never waits for storage: a server answers while another process holds SQLite's write lock."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from metalnet.api.context import READER_THREADS, ApiContext
from metalnet.api.settings import Settings
from metalnet.storage import open_storage
from tests.api.live import live_server

pytestmark = pytest.mark.sqlite

#: holds the database's write lock (as another metalnet worker or process would) until a line arrives on stdin
HOLDER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
connection.execute("ROLLBACK")
"""


def _setup(url: str) -> str:
    with httpx.Client(base_url=url, timeout=10) as client:
        assert client.put("/v1/partition", json={"id": "p1"}).status_code == 201
        assert client.put("/v1/project", json={"meta": {"id": "proj"}}).status_code == 201
        created = client.put("/v1/network", json={"id": "internet", "prefixes": ["185.1.2.0/24"]})
        assert created.status_code == 201, created.text
    return "internet"


async def _while_locked(url: str, holder: subprocess.Popen[str], network: str) -> None:
    assert holder.stdout is not None
    assert holder.stdin is not None
    assert holder.stdout.readline().strip() == "locked"
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        body = {"networkid": network, "projectid": "proj"}
        allocation = asyncio.create_task(client.post("/v1/ip/allocate", json=body))
        await asyncio.sleep(0.5)  # the allocation now waits for the write lock
        assert not allocation.done()
        started = time.monotonic()
        read = await client.get(f"/v1/network/{network}")
        listed = await client.get("/v1/ip")
        elapsed = time.monotonic() - started
        assert (read.status_code, listed.status_code) == (200, 200), (read.text, listed.text)
        assert elapsed < 1.0, f"reads took {elapsed:.2f} s while another process held the write lock"
        assert not allocation.done()  # still waiting for the lock: the reads did not wait for it
        holder.stdin.write("release\n")
        holder.stdin.flush()
        done = await asyncio.wait_for(allocation, timeout=10)
        assert done.status_code == 201, done.text
        assert done.json()["ipaddress"] == "185.1.2.1"


def test_requests_are_answered_while_another_process_holds_the_write_lock(tmp_path: Path) -> None:
    db = tmp_path / "metalnet.db"
    with live_server(["--db", f"sqlite:///{db}"], cwd=tmp_path) as running:
        network = _setup(running.url)
        with subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True) as holder:
            try:
                asyncio.run(_while_locked(running.url, holder, network))
            finally:
                holder.kill()


def test_sqlite_calls_run_on_the_stores_own_threads(tmp_path: Path) -> None:
    """A fixed set of threads (one writer, a few readers): SQLite's connection per thread cannot pile up."""
    storage = open_storage(f"sqlite:///{tmp_path / 'metalnet.db'}")
    try:
        ctx = ApiContext.build(storage, Settings(request_log=False))
        loop_thread = threading.current_thread().name

        def where() -> str:
            time.sleep(0.01)  # long enough for the calls to overlap
            storage.run(lambda tx: tx.get(("health", "x")), readonly=True)
            return threading.current_thread().name

        async def main() -> tuple[set[str], set[str]]:
            reads = await asyncio.gather(*(ctx.call(where) for _ in range(40)))
            writes = await asyncio.gather(*(ctx.write(where) for _ in range(10)))
            return set(reads), set(writes)

        readers, writers = asyncio.run(main())
        assert loop_thread not in readers | writers
        assert all(name.startswith("metalnet-sqlite-reader") for name in readers)
        assert len(readers) <= READER_THREADS
        assert len(writers) == 1
        assert next(iter(writers)).startswith("metalnet-sqlite-writer")
    finally:
        storage.close()
