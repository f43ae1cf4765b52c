"""A real ``metalnet serve`` process for the end-to-end CLI tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    """A running server: its URL and its log file."""

    url: str
    log: Path

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])


def cli_command(*args: str) -> list[str]:
    """The console script ``metalnet ARGS`` as this interpreter runs it from the source tree."""
    return [sys.executable, "-m", "cli.main", *args]


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for a CLI or server subprocess: the source tree importable, no METALNET_* leaks."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("METALNET_")}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


@contextmanager
def running_server(workdir: Path, extra: Sequence[str] = ()) -> Iterator[Server]:
    """Start ``metalnet serve`` on a free port with a SQLite file in ``workdir``; stop it with SIGTERM.

    Raises:
        RuntimeError: the server exited or did not answer ``/v1/health`` within START_TIMEOUT seconds.
    """
    port = free_port()
    log = workdir / f"server-{port}.log"
    db = workdir / f"metalnet-{port}.db"
    args = cli_command("serve", "--port", str(port), "--db", f"sqlite:///{db}", *extra)
    with log.open("wb") as out:
        proc = subprocess.Popen(args, cwd=workdir, env=cli_env(), stdout=out, stderr=subprocess.STDOUT)
    server = Server(url=f"http://127.0.0.1:{port}", log=log)
    try:
        _wait_healthy(server, proc)
        yield server
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_healthy(server: Server, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"metalnet serve exited with {proc.returncode}:\n{server.log_tail()}")
        try:
            if httpx.get(f"{server.url}/v1/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"metalnet serve did not become healthy in {START_TIMEOUT:g} s:\n{server.log_tail()}")
