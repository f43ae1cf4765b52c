"""A throwaway PostgreSQL 15 cluster for the test session, and a fresh store (schema) per test.

The cluster lives in a temporary directory under /tmp (owned by the ``postgres`` user when the tests run as
root, because the server refuses to run as root), listens on a free loopback port and on a unix socket in the
same directory, and is stopped and deleted when the session ends. Local connections are trusted, except for
the role :data:`PASSWORD_USER`, which must give :data:`PASSWORD` (so that tests can check bad credentials).

Without PostgreSQL binaries the fixtures skip with a reason; with ``CI=true`` they fail instead, because CI
must run these tests.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

#: a role that must authenticate with a password over TCP
PASSWORD_USER = "metalnet_pw"
PASSWORD = "s3cret-pw"
#: the database that holds one schema per test
TEST_DATABASE = "metalnet_test"
_SEARCH_DIRS = ["/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"]
_HBA = f"""\
local all all trust
host all {PASSWORD_USER} 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
"""


@dataclass(frozen=True)
class PostgresServer:
    """Where the session's cluster listens."""

    host: str
    port: int
    socket_dir: str

    def url(self, database: str, user: str = "postgres", password: str | None = None) -> str:
        auth = user if password is None else f"{user}:{password}"
        return f"postgresql://{auth}@{self.host}:{self.port}/{database}"


def find_bindir() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``: env ``POSTGRES_BINDIR``, known dirs, pg_config, PATH."""
    candidates = [os.environ.get("POSTGRES_BINDIR", ""), *_SEARCH_DIRS]
    pg_config = shutil.which("pg_config")
    if pg_config:
        done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(done.stdout.strip())
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(str(Path(initdb).parent))
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").is_file() and (Path(candidate) / "pg_ctl").is_file():
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user() -> list[str]:
    """The command prefix that runs a server binary as ``postgres`` when we are root."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}): {done.stdout}\n{done.stderr}")


class PostgresMissingError(RuntimeError):
    """No PostgreSQL server can be started on this machine; the message says why."""


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL tests must run in CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


@contextmanager
def throwaway_cluster() -> Iterator[PostgresServer]:
    """Start a cluster (initdb + pg_ctl) in a temporary directory; stop and delete it on exit.

    Raises :class:`PostgresMissingError` when there are no server binaries to run.
    """
    bindir = find_bindir()
    if bindir is None:
        raise PostgresMissingError("no PostgreSQL server binaries (initdb, pg_ctl) found; set POSTGRES_BINDIR")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        raise PostgresMissingError("running as root but runuser is missing, so the server cannot run as postgres")
    root = Path(tempfile.mkdtemp(prefix="metalnet-pg-", dir="/tmp"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres", group="postgres")
    os.chmod(root, 0o700)
    sudo = _as_server_user()
    port = _free_port()
    try:
        _run([*sudo, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
              "-E", "UTF8", "--locale=C", "--no-sync"], "initdb")
        (data / "pg_hba.conf").write_text(_HBA)
        for attempt in range(3):  # another process may take the free port before the server binds it
            options = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} "
                       "-c fsync=on -c max_connections=200 -c password_encryption=scram-sha-256")
            try:
                _run([*sudo, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"),
                      "-w", "-t", "60", "-o", options, "start"], "pg_ctl start")
                break
            except RuntimeError:
                if attempt == 2:
                    raise
                port = _free_port()
        server = PostgresServer("127.0.0.1", port, str(root))
        _admin(server, f"CREATE ROLE {PASSWORD_USER} LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
        _admin(server, f"CREATE DATABASE {TEST_DATABASE}")
        yield server
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*sudo, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                           capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One cluster for the whole test session (skipped, or failed in CI, when it cannot start)."""
    try:
        cluster = throwaway_cluster()
        server = cluster.__enter__()
    except PostgresMissingError as exc:
        _unavailable(str(exc))
        raise  # unreachable: _unavailable skips or fails
    try:
        yield server
    finally:
        cluster.__exit__(None, None, None)


def _admin(server: PostgresServer, statement: str, database: str = "postgres", then: str = "") -> None:
    import psycopg

    with psycopg.connect(server.url(database), autocommit=True) as conn:
        conn.execute(statement.encode())
        if then:
            conn.execute(then.encode())


_numbers = itertools.count(1)


@pytest.fixture
def postgres_schema(postgres_server: PostgresServer) -> Iterator[str]:
    """The name of a fresh, empty schema in the session's test database (dropped after the test)."""
    name = f"t_{next(_numbers)}"
    _admin(postgres_server, f"CREATE SCHEMA {name}", TEST_DATABASE)
    yield name
    # a store the test left open must not hang the session: give up on the drop instead of waiting
    try:
        _admin(postgres_server, "SET lock_timeout = '5s'", TEST_DATABASE,
               then=f"DROP SCHEMA IF EXISTS {name} CASCADE")
    except Exception as exc:  # the schema stays; the cluster is deleted at the end of the session anyway
        print(f"could not drop schema {name}: {exc}")


@pytest.fixture
def postgres_url(postgres_server: PostgresServer, postgres_schema: str) -> str:
    """The URL of a fresh, empty store on the session's cluster.

    Each test gets its own schema (``options=-csearch_path=t_N`` in the URL) rather than its own database:
    on this machine CREATE/DROP DATABASE cost 0.2-1.8 s (a copy of template1 and a checkpoint), a schema
    a few milliseconds, and metalnet names no schema, so the isolation is the same.
    """
    return postgres_server.url(TEST_DATABASE) + f"?options=-csearch_path%3D{postgres_schema}"
