"""Throughput of the network layer's hot paths through ``NetworkService`` (a script, not a test).

    .venv/bin/python -m tests.network.bench_service memory:// [N]
    .venv/bin/python -m tests.network.bench_service sqlite:////tmp/bench.db [N]

A /8 + /48 private super network, one dual-stack child (/16 + /64), then N IPv4 and N IPv6 ``allocate_ip``
and 5,000 ``get_network`` per round; the best of five rounds is printed (the machine is shared). A SQLite
file named in the URL is removed first, so every run starts empty.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from metalnet.network import (
    IPAllocate,
    NetworkAllocate,
    NetworkCreate,
    NetworkService,
    PartitionCreate,
    ProjectCreate,
)
from metalnet.storage import open_storage

ROUNDS = 5
GETS = 5000


def _rate(operation: Callable[[], object], count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        operation()
    return count / (time.perf_counter() - start)


def lab(url: str) -> NetworkService:
    """A fresh store at ``url`` (a SQLite file is removed first) with partition p, project x and a /8 + /48
    private super network that gives /16 + /64 children."""
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    service = NetworkService(open_storage(url))
    service.create_partition(PartitionCreate(id="p"))
    service.create_project(ProjectCreate(id="x"))
    service.create_network(NetworkCreate(id="super", partitionid="p", prefixes=["10.0.0.0/8", "2001:db8::/48"],
                                         privatesuper=True, defaultchildprefixlength={"IPv4": 16, "IPv6": 64}))
    return service


def main(url: str, count: int) -> str:
    service = lab(url)
    child = service.allocate_network(NetworkAllocate(partitionid="p", projectid="x", name="c"))
    ipv4 = IPAllocate(networkid=child.id, projectid="x")
    ipv6 = IPAllocate(networkid=child.id, projectid="x", addressfamily="IPv6")
    best = [0.0, 0.0, 0.0]
    for _ in range(ROUNDS):
        rates = (_rate(lambda: service.allocate_ip(ipv4), count), _rate(lambda: service.allocate_ip(ipv6), count),
                 _rate(lambda: service.get_network(child.id), GETS))
        best = [max(old, new) for old, new in zip(best, rates, strict=True)]
    return f"{url}: allocate_ip IPv4 {best[0]:,.0f}/s, IPv6 {best[1]:,.0f}/s, get_network {best[2]:,.0f}/s"


if __name__ == "__main__":
    print(main(sys.argv[1] if len(sys.argv) > 1 else "memory://", int(sys.argv[2]) if len(sys.argv) > 2 else 3000))
