"""A real ``metalnet serve`` process for the end-to-end CLI tests."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.servers.metalnet import Running, free_port, server_process

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0
#: a running ``metalnet serve``: its URL, its log file (``log_tail()`` for messages) and its process id
Server = Running

__all__ = ["REPO", "Server", "cli_command", "cli_env", "free_port", "running_server"]


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
    db = workdir / f"metalnet-{port}.db"
    command = cli_command("serve", "--port", str(port), "--db", f"sqlite:///{db}", *extra)
    with server_process(command, port=port, cwd=workdir, env=cli_env(), startup_seconds=START_TIMEOUT) as server:
        yield server
