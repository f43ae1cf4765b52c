"""A real server process on a free loopback port (``python -m metalnet.api``), for end-to-end tests."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.servers.metalnet import Running, free_port, server_process

REPO = Path(__file__).resolve().parents[2]

__all__ = ["REPO", "Running", "free_port", "live_server"]


@contextmanager
def live_server(args: list[str], *, cwd: Path, startup_seconds: float = 20.0) -> Iterator[Running]:
    """Start the server with ``args`` (port added), wait until ``/v1/health`` answers, stop it with SIGTERM."""
    port = free_port()
    command = [sys.executable, "-m", "metalnet.api", "--host", "127.0.0.1", "--port", str(port), *args]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with server_process(command, port=port, cwd=cwd, env=env, startup_seconds=startup_seconds) as running:
        yield running
