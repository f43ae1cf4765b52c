"""Helpers of the RethinkDB tests: worker processes and checks of what a store holds after a load."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from metalnet.ipam import Ipamer
from metalnet.ipam.namespaces import NETWORK_NAMESPACE
from metalnet.network import NetworkService
from metalnet.storage import Storage, open_storage
from tests.rethinkdb import worker

REPO = Path(__file__).resolve().parents[2]
#: every worker started, so that a failed test leaves none running
STARTED: list[Worker] = []


class Worker:
    """One ``tests.rethinkdb.worker`` process; its output lines are collected as they come."""

    def __init__(self, url: str, mode: str, count: int, go: Path | None = None) -> None:
        command = [sys.executable, "-m", "tests.rethinkdb.worker", url, mode, str(count)]
        if go is not None:
            command.append(str(go))
        self.process = subprocess.Popen(
            command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
        )
        STARTED.append(self)
        self.lines: list[str] = []
        self._stderr: list[str] = []
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        self._readers = [
            threading.Thread(target=_collect, args=(self.process.stdout, self.lines), daemon=True),
            threading.Thread(target=_collect, args=(self.process.stderr, self._stderr), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    @property
    def errors(self) -> str:
        return "\n".join(self._stderr)

    @property
    def reported(self) -> list[str]:
        """Results the worker was told are committed."""
        return [line[3:] for line in list(self.lines) if line.startswith("OK ")]

    def wait_for(self, line: str, timeout: float) -> None:
        self.wait_until(lambda: line in self.lines, timeout, what=repr(line))

    def wait_until(self, condition: Callable[[], bool], timeout: float, what: str = "the condition") -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.finish(5)
                raise AssertionError(f"worker never reached {what}: {self.lines[-5:]} {self.errors[-3000:]}")
            time.sleep(0.01)

    def finish(self, timeout: float) -> int:
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()  # this worker only: it overran its time
            self.process.wait()
        for reader in self._readers:
            reader.join(5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        return self.process.returncode


def _collect(stream: IO[str], into: list[str]) -> None:
    for line in stream:
        into.append(line.rstrip("\n"))


def start_workers(url: str, mode: str, processes: int, count: int, tmp_path: Path) -> list[Worker]:
    """Start the workers, wait until every one has opened the store, then let them all go at once."""
    go = tmp_path / f"go-{mode}"
    workers = [Worker(url, mode, count, go) for _ in range(processes)]
    for each in workers:
        each.wait_for("READY", 60)
    go.touch()
    return workers


def finish_all(workers: list[Worker], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    codes = [each.finish(max(1.0, deadline - time.monotonic())) for each in workers]
    for each, code in zip(workers, codes, strict=True):
        assert code == 0, f"worker exited {code}: {each.lines[-5:]}\n{each.errors[-3000:]}"
        assert each.lines[-1] == "DONE"


def reap() -> None:
    """End every worker a test left running (it failed half-way), each by its own PID."""
    while STARTED:
        each = STARTED.pop()
        if each.process.returncode is None:
            each.finish(0.1)


def prepared(url: str) -> None:
    with open_storage(url) as storage:
        worker.setup(storage)


def acquired_ips(storage: Storage, prefix: str) -> list[str]:
    """Every address the store holds as acquired in ``prefix``, with the prefix's counter checked."""
    ipam = Ipamer(storage)
    dump = json.loads(ipam.dump())
    (entry,) = [p for p in dump["prefixes"] if p["cidr"] == prefix]
    ips: list[str] = entry["ips"]
    assert ipam.prefix_usage(prefix).acquired_ips == len(ips), "counter differs from the records"
    return ips


def child_prefixes(storage: Storage, parent: str) -> list[str]:
    ipam = Ipamer(storage)
    children = [p.cidr for p in ipam.list_prefixes() if p.parent_cidr == parent]
    assert ipam.prefix_usage(parent).acquired_prefixes == len(children), "counter differs from the records"
    return children


def child_networks(storage: Storage) -> list[str]:
    """Child networks of the load super network as ``id,vrf,prefixes…``; counters checked per family."""
    service = NetworkService(storage)
    networks = [n for n in service.list_networks() if n.parentnetworkid == "load-super"]
    ipam = Ipamer(storage)
    for parent in (worker.SUPER_V4, worker.SUPER_V6):
        usage = ipam.prefix_usage(parent, namespace=NETWORK_NAMESPACE)
        assert usage.acquired_prefixes == len(networks), "counter differs from the records"
    return [f"{n.id},{n.vrf},{','.join(n.prefixes)}" for n in networks]


def held(storage: Storage, mode: str) -> list[str]:
    """What the store holds for ``mode``, in the workers' report format."""
    if mode == "ip":
        return acquired_ips(storage, worker.IP_PREFIX)
    if mode == "child":
        return child_prefixes(storage, worker.CHILD_PARENT)
    return child_networks(storage)


def assert_distinct_networks(results: list[str]) -> None:
    """No two networks share an id, a VRF id or a prefix."""
    ids = [r.split(",")[0] for r in results]
    vrfs = [r.split(",")[1] for r in results]
    prefixes = [p for r in results for p in r.split(",")[2:]]
    assert len(set(ids)) == len(ids)
    assert len(set(vrfs)) == len(vrfs), "a VRF id was handed out twice"
    assert len(set(prefixes)) == len(prefixes), "a prefix was handed out twice"
