"""A metalnet process for the multi-process tests: allocates through one store and reports each result.

Usage: ``python -m tests.rethinkdb.worker URL MODE COUNT [GO_FILE]``

- MODE ``ip``: ``acquire_ip`` in :data:`IP_PREFIX`; ``child``: ``acquire_child_prefix`` of length
  :data:`CHILD_LENGTH` in :data:`CHILD_PARENT`; ``network``: ``allocate_network`` of a dual-stack child
  network (a child prefix per family and a fresh VRF id) in partition :data:`PARTITION`.
- Prints ``OK <result>`` after each allocation has returned (so: after it was committed), ``ERR <error>``
  for a refused attempt (the store unavailable or busy; the worker tries again), ``DONE`` at the end.
- With GO_FILE it opens the store, prints ``READY`` and waits for that file, so that every worker starts
  allocating at the same moment.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from metalnet.ipam import Ipamer
from metalnet.network import NetworkAllocate, NetworkCreate, NetworkService, PartitionCreate, ProjectCreate
from metalnet.storage import Storage, StorageBusyError, StorageUnavailableError, open_storage

IP_PREFIX = "10.0.0.0/16"
CHILD_PARENT = "10.128.0.0/9"
CHILD_LENGTH = 24
PARTITION = "load-lab"
PROJECT = "0d6b1c38-0f4e-4b7e-9d6c-5d5a3c1f2e10"
SUPER_V4, SUPER_V6 = "100.64.0.0/10", "2001:db8:100::/48"
#: a worker gives up after this many seconds, so that a broken store cannot hang the test run
TIME_LIMIT = 240


def setup(storage: Storage) -> None:
    """Create what the modes allocate from (run once, by the test, before the workers start)."""
    ipam = Ipamer(storage)
    ipam.new_prefix(IP_PREFIX)
    ipam.new_prefix(CHILD_PARENT)
    service = NetworkService(storage)
    service.create_partition(PartitionCreate(id=PARTITION, name="load lab"))
    service.create_project(ProjectCreate(id=PROJECT, name="load"))
    service.create_network(
        NetworkCreate(
            id="load-super",
            partitionid=PARTITION,
            prefixes=[SUPER_V4, SUPER_V6],
            defaultchildprefixlength={"IPv4": 24, "IPv6": 64},
            privatesuper=True,
        )
    )


def allocator(storage: Storage, mode: str) -> Callable[[], str]:
    if mode == "ip":
        ipam = Ipamer(storage)
        return lambda: str(ipam.acquire_ip(IP_PREFIX).ip)
    if mode == "child":
        ipam = Ipamer(storage)
        return lambda: ipam.acquire_child_prefix(CHILD_PARENT, CHILD_LENGTH).cidr
    if mode == "network":
        service = NetworkService(storage)
        request = NetworkAllocate(partitionid=PARTITION, projectid=PROJECT, name="load")

        def allocate() -> str:
            network = service.allocate_network(request)
            return f"{network.id},{network.vrf},{','.join(network.prefixes)}"

        return allocate
    raise SystemExit(f"unknown mode {mode!r}: use ip, child or network")


def main(argv: list[str]) -> int:
    url, mode, count = argv[0], argv[1], int(argv[2])
    storage = open_storage(url)
    allocate = allocator(storage, mode)
    if len(argv) > 3:
        print("READY", flush=True)
        go = Path(argv[3])
        while not go.exists():
            time.sleep(0.01)
    deadline = time.monotonic() + TIME_LIMIT
    done = 0
    while done < count:
        if time.monotonic() > deadline:
            print("TIMEOUT", flush=True)
            return 3
        try:
            result = allocate()
        except (StorageUnavailableError, StorageBusyError) as exc:
            print(f"ERR {type(exc).__name__}: {exc}", flush=True)
            time.sleep(0.1)
            continue
        print(f"OK {result}", flush=True)
        done += 1
    storage.close()
    print("DONE", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
