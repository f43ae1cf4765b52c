"""Real server processes on loopback for the load benchmark and the test suite (no test framework here).

- :func:`live_server`: ``python -m metalnet.api`` on a free port, until ``/v1/health`` answers;
- :func:`throwaway_cluster`: a PostgreSQL cluster (``initdb`` + ``pg_ctl``) in a temporary directory under
  /tmp, owned by the ``postgres`` user when run as root (the server refuses to run as root), listening on a
  free loopback port and a unix socket there; local connections are trusted except for the role
  :data:`PASSWORD_USER`, which must give :data:`PASSWORD`.

``tests/servers/`` builds its pytest fixtures on these; ``scripts/loadbench.py`` uses them directly.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import httpx

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Running(NamedTuple):
    """A started server: its base URL, the file its output goes to, its process id."""

    url: str
    log: Path
    pid: int

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])


@contextmanager
def server_process(command: list[str], *, port: int, cwd: Path, env: Mapping[str, str],
                   startup_seconds: float = 30.0) -> Iterator[Running]:
    """Run ``command`` (a server listening on ``port``) until ``/v1/health`` answers; stop it with SIGTERM.

    Raises:
        RuntimeError: the process exited, or did not answer within ``startup_seconds``; the message holds
            the end of its output.
    """
    log = cwd / f"server-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT)
    running = Running(f"http://127.0.0.1:{port}", log, process.pid)
    try:
        _wait_healthy(running, process, startup_seconds)
        yield running
    finally:
        process.send_signal(signal.SIGTERM)  # graceful: in-flight requests finish
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(running: Running, process: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{running.log_tail()}")
        try:
            if httpx.get(f"{running.url}/v1/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server did not become healthy in {seconds:g} s:\n{running.log_tail()}")


@contextmanager
def live_server(args: list[str], *, cwd: Path, startup_seconds: float = 20.0) -> Iterator[Running]:
    """Start the server with ``args`` (port added), wait until ``/v1/health`` answers, stop it with SIGTERM."""
    port = free_port()
    command = [sys.executable, "-m", "metalnet.api", "--host", "127.0.0.1", "--port", str(port), *args]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with server_process(command, port=port, cwd=cwd, env=env, startup_seconds=startup_seconds) as running:
        yield running


#: a role that must authenticate with a password over TCP
PASSWORD_USER = "metalnet_pw"  # noqa: S105 - a throwaway test cluster's role
PASSWORD = "s3cret-pw"  # noqa: S105 - a throwaway test cluster's password
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


def as_server_user() -> list[str]:
    """The command prefix that runs a server binary as ``postgres`` when we are root."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}): {done.stdout}\n{done.stderr}")


class PostgresMissingError(RuntimeError):
    """No PostgreSQL server can be started on this machine; the message says why."""


def start_server(server: PostgresServer) -> None:
    """``pg_ctl start`` of the cluster in ``server.socket_dir`` (again, after :func:`stop_server`); waits until up."""
    bindir, root = find_bindir(), Path(server.socket_dir)
    assert bindir is not None
    options = (f"-c listen_addresses=127.0.0.1 -p {server.port} -c unix_socket_directories={root} "
               "-c fsync=on -c max_connections=200 -c password_encryption=scram-sha-256")
    run([*as_server_user(), str(bindir / "pg_ctl"), "-D", str(root / "data"), "-l", str(root / "server.log"),
         "-w", "-t", "60", "-o", options, "start"], "pg_ctl start")


def stop_server(server: PostgresServer, mode: str = "immediate") -> None:
    """``pg_ctl stop -m MODE`` (``immediate``: as a crash would, cutting every connection); waits until down."""
    bindir, root = find_bindir(), Path(server.socket_dir)
    assert bindir is not None
    run([*as_server_user(), str(bindir / "pg_ctl"), "-D", str(root / "data"), "-m", mode, "-w", "stop"],
        "pg_ctl stop")


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
    sudo = as_server_user()
    port = free_port()
    try:
        run([*sudo, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
              "-E", "UTF8", "--locale=C", "--no-sync"], "initdb")
        (data / "pg_hba.conf").write_text(_HBA)
        for attempt in range(3):  # another process may take the free port before the server binds it
            try:
                start_server(PostgresServer("127.0.0.1", port, str(root)))
                break
            except RuntimeError:
                if attempt == 2:
                    raise
                port = free_port()
        server = PostgresServer("127.0.0.1", port, str(root))
        admin(server, f"CREATE ROLE {PASSWORD_USER} LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
        admin(server, f"CREATE DATABASE {TEST_DATABASE}")
        yield server
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*sudo, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                           capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


def admin(server: PostgresServer, statement: str, database: str = "postgres", then: str = "") -> None:
    import psycopg

    with psycopg.connect(server.url(database), autocommit=True) as conn:
        conn.execute(statement.encode())
        if then:
            conn.execute(then.encode())
