"""RethinkDB servers for tests, real ones on free loopback ports in temporary directories.

The server binary is ``$METALNET_RETHINKDB_BIN``, else ``rethinkdb`` on ``PATH``, else
``../shared/bin/rethinkdb`` beside the repository. Without one, tests skip with the reason printed; with
``CI=true`` they fail instead, since CI always has it.

- ``rethinkdb_server`` (session): one server for the whole run, stopped with SIGTERM to its own PID.
- ``rethinkdb_url``: an empty database on it for one test. Creating the three tables of a new database
  costs about 0.8 s here, so databases are recycled: after a test its tables are emptied and the name goes
  back to a pool; the next test finds an empty store exactly like a new one (tables present, no rows).
- ``fresh_rethinkdb_url``: a database that does not exist yet (for start-up tests), dropped afterwards.
- :class:`RethinkServer` starts, kills and restarts servers for the crash and cluster tests.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rethinkdb import RethinkDB

r = RethinkDB()
REPO = Path(__file__).resolve().parents[2]
_names = itertools.count()


def find_binary() -> str | None:
    """Where the RethinkDB server is, or None."""
    candidates = [os.environ.get("METALNET_RETHINKDB_BIN"), shutil.which("rethinkdb")]
    candidates.append(str(REPO.parent / "shared" / "bin" / "rethinkdb"))
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def require_binary() -> str:
    binary = find_binary()
    if binary is None:
        reason = (
            "no RethinkDB server: set METALNET_RETHINKDB_BIN, put rethinkdb on PATH "
            f"or provide {REPO.parent / 'shared' / 'bin' / 'rethinkdb'}"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    return binary


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RethinkServer:
    """One ``rethinkdb`` process bound to 127.0.0.1; its directory survives restarts."""

    def __init__(self, binary: str, directory: Path, name: str, join: RethinkServer | None = None) -> None:
        self.binary, self.directory, self.name, self.join = binary, directory, name, join
        self.driver_port, self.cluster_port, self.http_port = free_port(), free_port(), free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.output = directory.parent / f"{name}.out"

    def start(self, timeout: float = 60) -> RethinkServer:
        command = [
            self.binary, "--bind", "127.0.0.1", "--directory", str(self.directory),
            "--server-name", self.name, "--driver-port", str(self.driver_port),
            "--cluster-port", str(self.cluster_port), "--http-port", str(self.http_port),
            "--cache-size", "128", "--no-http-admin",
        ]  # fmt: skip
        if self.join is not None:
            command += ["--join", f"127.0.0.1:{self.join.cluster_port}"]
        with self.output.open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        start = self.output.stat().st_size if self.output.exists() else 0
        while time.monotonic() < deadline:
            text = self.output.read_bytes()[start:].decode(errors="replace")
            if "Server ready" in text:
                return
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"rethinkdb {self.name} exited {self.process.returncode}:\n{text[-2000:]}")
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"rethinkdb {self.name} not ready after {timeout} s")

    def url(self, db: str, **options: object) -> str:
        query = "&".join(f"{key}={value}" for key, value in options.items())
        return f"rethinkdb://127.0.0.1:{self.driver_port}/{db}" + (f"?{query}" if query else "")

    def connect(self) -> Any:
        return r.connect(host="127.0.0.1", port=self.driver_port, timeout=10)

    def wait_writable(self, db: str, table: str = "log", timeout: float = 30) -> float:
        """Block until ``db.table`` takes writes; the ``time.monotonic()`` it first did (within 10 ms).

        After a restart the server says "Server ready" about 2 s before its tables take writes: recovery is
        measured from this moment, when the database itself can serve again. The probe is a write that
        changes nothing (the delete of a document that does not exist), sent every 10 ms: RethinkDB refuses
        it while the table's primary is not ready. (``table.wait()`` was tried: it returned up to 0.8 s after
        the table already took writes.)
        """
        from rethinkdb.errors import ReqlError

        end = time.monotonic() + timeout
        conn = None
        while True:
            try:
                if conn is None:
                    conn = self.connect()
                r.db(db).table(table).get("metalnet-test-probe").delete(durability="hard").run(conn)
                conn.close()
                return time.monotonic()
            except (ReqlError, OSError):
                if conn is not None and not conn.is_open():
                    conn = None
                if time.monotonic() > end:
                    raise
                time.sleep(0.01)

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        self._signal(signal.SIGKILL, 10)

    def stop(self) -> None:
        """SIGTERM and wait for the clean shutdown; SIGKILL only this PID if it hangs."""
        if not self._signal(signal.SIGTERM, 20):
            self.kill()

    def _signal(self, sig: signal.Signals, wait: float) -> bool:
        process = self.process
        if process is None or process.poll() is not None:
            return True
        process.send_signal(sig)
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            return False
        return True


@pytest.fixture(scope="session")
def rethinkdb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RethinkServer]:
    binary = require_binary()
    server = RethinkServer(binary, tmp_path_factory.mktemp("rethinkdb") / "n0", "n0").start()
    try:
        yield server
    finally:
        server.stop()


class _DatabasePool:
    """Emptied databases ready for the next test (see the module docstring)."""

    def __init__(self, server: RethinkServer) -> None:
        self.server = server
        self.free: list[str] = []
        self.conn = server.connect()

    def take(self) -> str:
        return self.free.pop() if self.free else f"metalnet_test_{os.getpid()}_{next(_names)}"

    def give_back(self, db: str) -> None:
        try:
            if db in r.db_list().run(self.conn):
                for table in r.db(db).table_list().run(self.conn):
                    r.db(db).table(table).delete(durability="hard").run(self.conn)
            self.free.append(db)
        except Exception:
            # a test that broke the server or the database: reconnect and forget the name
            with contextlib.suppress(Exception):
                self.conn.close(noreply_wait=False)
            self.conn = self.server.connect()


@pytest.fixture(scope="session")
def rethinkdb_pool(rethinkdb_server: RethinkServer) -> Iterator[_DatabasePool]:
    pool = _DatabasePool(rethinkdb_server)
    try:
        yield pool
    finally:
        pool.conn.close(noreply_wait=False)


@pytest.fixture
def rethinkdb_url(rethinkdb_server: RethinkServer, rethinkdb_pool: _DatabasePool) -> Iterator[str]:
    """URL of an empty database on the session server."""
    db = rethinkdb_pool.take()
    yield rethinkdb_server.url(db)
    rethinkdb_pool.give_back(db)


@pytest.fixture
def fresh_rethinkdb_url(rethinkdb_server: RethinkServer) -> Iterator[str]:
    """URL of a database that does not exist yet; dropped after the test."""
    db = f"metalnet_fresh_{os.getpid()}_{next(_names)}"
    yield rethinkdb_server.url(db)
    with rethinkdb_server.connect() as conn:
        if db in r.db_list().run(conn):
            r.db_drop(db).run(conn)
