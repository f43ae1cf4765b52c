"""Eight OS processes allocate child networks and IPs at once: no prefix, address or VRF twice.

Runs on the backends that several processes can share (the memory backend lives in one process).
"""

from __future__ import annotations

import multiprocessing
import traceback
from typing import Any

import pytest

from metalnet.network import IPAllocate, NetworkAllocate, NetworkCreate, NetworkService
from metalnet.storage import Storage, open_storage
from tests.network.support import PARTITION, PROJECT, SUPER_ID, snapshot

PROCESSES = 8
CHILDREN = 2
SHARED_IPS = 6
SHARED = "shared-external"
ROUNDS = 3


def _worker(url: str, barrier: Any, results: Any) -> None:
    try:
        storage = open_storage(url)
        service = NetworkService(storage)
        barrier.wait(timeout=60)
        children, ips = [], []
        for _ in range(CHILDREN):
            child = service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT))
            children.append((child.id, child.vrf, child.prefixes))
            ips.append(service.allocate_ip(IPAllocate(networkid=child.id, projectid=PROJECT)).ipaddress)
        for _ in range(SHARED_IPS):
            ips.append(service.allocate_ip(IPAllocate(networkid=SHARED, projectid=PROJECT)).ipaddress)
        storage.close()
        results.put(("ok", children, ips))
    except BaseException:
        results.put(("error", traceback.format_exc(), []))


def _churn(url: str, barrier: Any, results: Any) -> None:
    """Allocate and free again, interleaved with the other processes."""
    try:
        storage = open_storage(url)
        service = NetworkService(storage)
        barrier.wait(timeout=60)
        for _ in range(ROUNDS):
            child = service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT))
            ips = [service.allocate_ip(IPAllocate(networkid=network, projectid=PROJECT)).ipaddress
                   for network in (child.id, SHARED)]
            for address in ips:
                service.free_ip(address)
            service.free_network(child.id)
        storage.close()
        results.put(("ok", [], []))
    except BaseException:
        results.put(("error", traceback.format_exc(), []))


def _run_workers(target: Any, url: str) -> list[tuple[str, Any, list[str]]]:
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    workers = [context.Process(target=target, args=(url, barrier, results)) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=180) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    errors = [detail for status, detail, _ in outcomes if status != "ok"]
    assert not errors, errors[0]
    return outcomes


SHARED_BACKENDS = pytest.mark.parametrize(
    "backend",
    [
        pytest.param("sqlite", marks=pytest.mark.sqlite),
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("rethinkdb", marks=pytest.mark.rethinkdb),
    ],
)


@pytest.mark.slow
@SHARED_BACKENDS
def test_concurrent_allocate_and_free_restore_the_store(
    lab: Any, service: NetworkService, storage: Storage, storage_url: str
) -> None:
    service.create_network(NetworkCreate(id=SHARED, prefixes=["185.1.2.0/24"]))
    before = snapshot(storage)
    _run_workers(_churn, storage_url)
    assert snapshot(storage) == before


@pytest.mark.slow
@SHARED_BACKENDS
def test_concurrent_allocations_never_collide(lab: Any, service: NetworkService, storage_url: str) -> None:
    service.create_network(NetworkCreate(id=SHARED, prefixes=["185.1.2.0/24"]))
    outcomes = _run_workers(_worker, storage_url)

    children = [child for _, found, _ in outcomes for child in found]
    addresses = [address for _, _, found in outcomes for address in found]
    prefixes = [prefix for _, _, found in children for prefix in found]
    assert len(children) == PROCESSES * CHILDREN
    assert len({vrf for _, vrf, _ in children}) == len(children)
    assert len(set(prefixes)) == len(prefixes) == 2 * len(children)
    assert len(set(addresses)) == len(addresses) == PROCESSES * (CHILDREN + SHARED_IPS)

    # the store agrees with what the workers were told
    assert {ip.ipaddress for ip in service.list_ips()} == set(addresses)
    stored = {network.id: network for network in service.list_networks()}
    assert {ident for ident, _, _ in children} <= stored.keys()
    parent = stored[SUPER_ID].consumption
    assert parent.ipv4 is not None
    assert parent.ipv6 is not None
    assert parent.ipv4.used_prefixes == parent.ipv6.used_prefixes == len(children)
    shared = stored[SHARED].consumption.ipv4
    assert shared is not None
    assert shared.used_ips == 2 + PROCESSES * SHARED_IPS
