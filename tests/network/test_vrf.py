"""The VRF pool: random free ids, explicit ids, sharing, exhaustion."""

from __future__ import annotations

import pytest

from metalnet.network import (
    ErrorKind,
    NetworkAllocate,
    NetworkCreate,
    NetworkService,
    PartitionCreate,
    ProjectCreate,
)
from metalnet.network.vrf import VrfPool
from metalnet.storage import MemoryStorage, Storage, Transaction
from tests.network.support import PARTITION, PROJECT, tenant_super, unchanged


@pytest.fixture
def small(storage: Storage) -> NetworkService:
    """A service whose VRF pool holds the three ids 5, 6, 7."""
    service = NetworkService(storage, vrf_range=(5, 7))
    service.create_partition(PartitionCreate(id=PARTITION))
    service.create_project(ProjectCreate(id=PROJECT))
    service.create_network(tenant_super())
    return service


def _allocate(service: NetworkService) -> int:
    return service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT)).vrf


def test_pool_exhaustion_and_reuse(small: NetworkService, storage: Storage) -> None:
    children = [small.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT)) for _ in range(3)]
    assert sorted(child.vrf for child in children) == [5, 6, 7]
    unchanged(storage, ErrorKind.REFUSED, "could not acquire a vrf: the pool 5 - 7 is exhausted",
              lambda: _allocate(small))
    small.free_network(children[1].id)
    assert _allocate(small) == children[1].vrf


def test_shared_vrf_stays_taken_until_its_last_user_goes(small: NetworkService, storage: Storage) -> None:
    small.create_network(NetworkCreate(id="a", prefixes=["185.1.2.0/24"], vrf=6))
    small.create_network(NetworkCreate(id="b", prefixes=["185.1.3.0/24"], vrf=6, vrfshared=True))
    small.delete_network("a")
    unchanged(storage, ErrorKind.CONFLICT, "vrf 6 is already acquired",
              lambda: small.create_network(NetworkCreate(prefixes=["185.1.4.0/24"], vrf=6)))
    assert {_allocate(small), _allocate(small)} == {5, 7}
    small.delete_network("b")
    assert _allocate(small) == 6


def test_explicit_vrf_outside_the_range(small: NetworkService, storage: Storage) -> None:
    unchanged(storage, ErrorKind.REFUSED, "value '8' is outside of the allowed range '5 - 7'",
              lambda: small.create_network(NetworkCreate(prefixes=["185.1.2.0/24"], vrf=8)))


def test_nearly_full_pool_finds_the_last_free_id() -> None:
    # 99 of 100 ids taken: random probes mostly miss, the walk from a random start must find the gap
    storage = MemoryStorage()

    def fill_and_take(tx: Transaction) -> int:
        pool = VrfPool(tx, 1, 100)
        for vrf in range(1, 101):
            if vrf != 37:
                pool.acquire(vrf, shared=False)
        return pool.acquire_any()

    assert storage.run(fill_and_take) == 37


def test_invalid_range() -> None:
    with pytest.raises(ValueError, match="invalid vrf range"):
        NetworkService(MemoryStorage(), vrf_range=(0, 5))
