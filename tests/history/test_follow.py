"""The stream end to end: a follower of ``GET /v1/events/stream`` on a real server, while 8 processes allocate
and free on one store, receives every event exactly once and in order — across a SIGKILL of the server and a
reconnect with ``Last-Event-ID`` to a new server process."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import httpx
import msgspec
import pytest

from cli.commands.events import sse_messages
from metalnet.history.recorder import History
from metalnet.network import NetworkAllocate, NetworkService, PartitionCreate, ProjectCreate
from metalnet.storage import open_storage
from tests.cli.server import cli_command, cli_env
from tests.history.workers import churn
from tests.network.support import PARTITION, PROJECT, tenant_super
from tests.servers.metalnet import free_port, server_process

WRITERS = 8
ROUNDS = 40


class Follower(threading.Thread):
    """Follows the stream from ``after``, reconnecting with Last-Event-ID, until it has seen ``target``."""

    def __init__(self, url: str, after: int) -> None:
        super().__init__(daemon=True)
        self.url, self.last = url, after
        self.received: list[tuple[int, str]] = []
        self.reconnects = 0
        self.target: int | None = None
        self.error: BaseException | None = None
        self._deadline = time.monotonic() + 600

    def done(self) -> bool:
        return self.target is not None and self.last >= self.target

    def run(self) -> None:
        try:
            while not self.done() and time.monotonic() < self._deadline:
                try:
                    headers = {"Last-Event-ID": str(self.last)}
                    with httpx.stream("GET", f"{self.url}/v1/events/stream", headers=headers,
                                      timeout=httpx.Timeout(5.0, read=1.0)) as response:
                        assert response.status_code == 200, response.read()
                        for _, ident, data in sse_messages(response.iter_lines()):
                            self.received.append((int(ident), data))
                            self.last = int(ident)
                            if self.done():
                                return
                except httpx.HTTPError:
                    self.reconnects += 1
                    time.sleep(0.05)
        except BaseException as exc:
            self.error = exc


@pytest.mark.slow
@pytest.mark.parametrize("backend", [pytest.param("sqlite", marks=pytest.mark.sqlite),
                                     pytest.param("postgres", marks=pytest.mark.postgres)])
def test_follower_receives_every_event_once_in_order_across_a_sigkill(
        backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = f"sqlite:///{tmp_path / 'events.db'}" if backend == "sqlite" else str(request.getfixturevalue("postgres_url"))
    with open_storage(url) as storage:
        service = NetworkService(storage, history=History())
        service.create_partition(PartitionCreate(id=PARTITION))
        service.create_project(ProjectCreate(id=PROJECT))
        service.create_network(tenant_super())
        child = service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT))
        start = storage.event_bounds().newest
    port = free_port()
    command = cli_command("serve", "--port", str(port), "--db", url)
    env = cli_env()
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(WRITERS)
    pipes, writers = [], []
    for index in range(WRITERS):
        receive, send = spawn.Pipe(duplex=False)
        writers.append(spawn.Process(target=churn, args=(url, child.id, PROJECT, ROUNDS, f"w{index}", barrier, send)))
        pipes.append(receive)
    with server_process(command, port=port, cwd=tmp_path, env=env) as first:
        follower = Follower(first.url, start)
        follower.start()
        for writer in writers:
            writer.start()
        deadline = time.monotonic() + 120
        while len(follower.received) < WRITERS * ROUNDS // 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert follower.received, f"nothing streamed:\n{first.log_tail()}"
        os.kill(first.pid, signal.SIGKILL)
        killed_at = len(follower.received)
    with server_process(command, port=port, cwd=tmp_path, env=env) as second:
        outcomes = [pipe.recv() for pipe in pipes]
        for writer in writers:
            writer.join(60)
        for outcome in outcomes:
            assert not (isinstance(outcome, tuple) and outcome[0] == "error"), outcome[1]
        with open_storage(url) as storage:
            newest = storage.event_bounds().newest
            stored = storage.read_events(start, 10 * WRITERS * ROUNDS)
        follower.target = newest
        follower.join(120)
        assert follower.error is None, follower.error
        assert follower.done(), (follower.last, newest, second.log_tail())
    assert newest - start == 2 * WRITERS * ROUNDS
    seqs = [seq for seq, _ in follower.received]
    assert seqs == list(range(start + 1, newest + 1))  # every event, once, in order
    assert follower.reconnects >= 1
    assert killed_at < len(seqs)
    streamed = [msgspec.json.decode(data) for _, data in follower.received]
    assert [(e["seq"], e["kind"], e["id"], e["action"]) for e in streamed] == [
        (e.seq, e.kind, e.ident, msgspec.json.decode(e.body)["action"]) for e in stored]
    # each writer's own changes appear in its order: allocate, free, allocate, free, ...
    for index in range(WRITERS):
        mine = [e["action"] for e in streamed if e["principal"]["name"] == f"w{index}"]
        assert mine == ["allocate", "free"] * ROUNDS
