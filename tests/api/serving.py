"""A real ``metalnet serve`` process with chosen flags and ``METALNET_*`` variables (server tests of this area)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tests.cli.server import START_TIMEOUT, cli_command, cli_env
from tests.servers.metalnet import Running, free_port, server_process


@contextmanager
def metalnet_serve(workdir: Path, *args: str, env: Mapping[str, str] | None = None) -> Iterator[Running]:
    """``metalnet serve --port P --db sqlite:///… ARGS`` with ``env`` added; stopped with SIGTERM."""
    port = free_port()
    command = cli_command("serve", "--port", str(port), "--db", f"sqlite:///{workdir / f'serve-{port}.db'}", *args)
    with server_process(command, port=port, cwd=workdir, env=cli_env(**(env or {})),
                        startup_seconds=START_TIMEOUT) as running:
        yield running
