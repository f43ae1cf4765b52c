"""A real server process on a free loopback port (``python -m metalnet.api``), for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import httpx

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Running(NamedTuple):
    """A started server: its base URL, the file its output goes to, its process id."""

    url: str
    log: Path
    pid: int


@contextmanager
def live_server(args: list[str], *, cwd: Path, startup_seconds: float = 20.0) -> Iterator[Running]:
    """Start the server with ``args`` (port added), wait until ``/v1/health`` answers, stop it with SIGTERM."""
    port = free_port()
    log_path = cwd / f"server-{port}.log"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "metalnet.api", "--host", "127.0.0.1", "--port", str(port), *args],
            cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}: {log_path.read_text()}")
            try:
                if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not become healthy: {log_path.read_text()}")
            time.sleep(0.1)
        yield Running(url, log_path, process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
