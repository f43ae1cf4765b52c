"""A real metalnet server process on a free loopback port, for end-to-end tests and the load benchmark."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import httpx


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
