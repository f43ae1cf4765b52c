"""Group commit of IP allocations: batching, keys, isolation of failures, distinct results."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

import pytest
from litestar.testing import AsyncTestClient, TestClient

from metalnet.api.app import create_app
from metalnet.api.batching import Batcher
from metalnet.api.settings import Settings
from metalnet.network import IPAllocate, IPRequest, NetworkAllocate, NetworkCreate, NetworkService
from metalnet.network.requests import PartitionCreate, ProjectCreate
from metalnet.storage import MemoryStorage, Storage
from metalnet.storage.base import StorageUnavailableError
from tests.api.conftest import PARTITION, PROJECT, example_documents


async def _inline(fn):  # type: ignore[no-untyped-def]
    return fn()


def test_items_of_one_turn_share_a_batch_per_key() -> None:
    batches: list[list[tuple[str, int]]] = []

    def run(items: list[tuple[str, int]]) -> list[int | Exception]:
        batches.append(items)
        return [ValueError(f"odd {n}") if n % 2 else n * 10 for _, n in items]

    def key(item: tuple[str, int]) -> Hashable:
        return item[0]

    async def main() -> list[int | BaseException]:
        batcher: Batcher[tuple[str, int], int] = Batcher(run, _inline, key, max_batch=3)
        return await asyncio.gather(*(batcher.submit((k, n)) for k, n in
                                      [("a", 0), ("a", 2), ("b", 4), ("a", 1), ("a", 6), ("b", 8)]),
                                    return_exceptions=True)

    results = asyncio.run(main())
    assert results[:3] == [0, 20, 40]
    assert isinstance(results[3], ValueError)
    assert results[4:] == [60, 80]
    assert batches == [[("a", 0), ("a", 2), ("a", 1)], [("a", 6)], [("b", 4), ("b", 8)]]


def _service_with_child(storage: Storage) -> tuple[NetworkService, str]:
    service = NetworkService(storage)
    service.create_partition(PartitionCreate(id=PARTITION))
    service.create_project(ProjectCreate(id=PROJECT))
    super_network, _ = example_documents()
    service.create_network(NetworkCreate(**super_network))  # type: ignore[arg-type]
    child = service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT))
    return service, child.id


@pytest.mark.memory
def test_concurrent_requests_get_distinct_addresses() -> None:
    storage = MemoryStorage()
    _, child = _service_with_child(storage)

    async def main() -> list[str]:
        async with AsyncTestClient(create_app(storage, Settings(request_log=False))) as client:
            responses = await asyncio.gather(*(
                client.post("/v1/ip/allocate", json={"networkid": child, "projectid": PROJECT})
                for _ in range(40)
            ))
        assert {r.status_code for r in responses} == {201}
        metrics = (await client.get("/metrics")).text
        assert "metalnet_ip_allocation_batch_size_sum 40.0" in metrics
        return [r.json()["ipaddress"] for r in responses]

    addresses = asyncio.run(main())
    assert sorted(addresses, key=lambda a: int(a.rsplit(".", 1)[1])) == [f"10.0.0.{i}" for i in range(1, 41)]


def test_a_broken_batch_answers_every_request_and_the_next_batch_runs() -> None:
    """A run_batch returning too few results, or a key that raises, must not leave a request waiting."""

    def short(items: list[int]) -> list[int | Exception]:
        return [n for n in items if n != 2]

    def key(item: int) -> Hashable:
        if item < 0:
            raise KeyError(item)
        return "all"

    async def main() -> tuple[list[int | BaseException], list[int | BaseException], int]:
        batcher: Batcher[int, int] = Batcher(short, _inline, key)
        broken = await asyncio.wait_for(asyncio.gather(*(batcher.submit(n) for n in (1, 2, 3)),
                                                       return_exceptions=True), timeout=5)
        unkeyed = await asyncio.wait_for(asyncio.gather(batcher.submit(4), batcher.submit(-1),
                                                        return_exceptions=True), timeout=5)
        return broken, unkeyed, await asyncio.wait_for(batcher.submit(5), timeout=5)

    broken, unkeyed, later = asyncio.run(main())
    assert all(isinstance(r, RuntimeError) and "3 requests returned 2 results" in str(r) for r in broken)
    assert all(isinstance(r, KeyError) for r in unkeyed)
    assert later == 5


class _DownStorage(MemoryStorage):
    """A store that is down for writes: every writing transaction fails as an unreachable database does."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.writes = 0

    def run(self, fn, *, readonly=False, deadline=None):  # type: ignore[no-untyped-def]
        if self.down and not readonly:
            self.writes += 1
            raise StorageUnavailableError("the store is unreachable")
        return super().run(fn, readonly=readonly, deadline=deadline)


@pytest.mark.memory
def test_an_outage_fails_the_whole_batch_at_once() -> None:
    storage = _DownStorage()
    _, child = _service_with_child(storage)
    storage.down = True
    app = create_app(storage, Settings(request_log=False))
    request = IPRequest(IPAllocate(networkid=child, projectid=PROJECT))

    async def one_batch() -> list[object]:
        # submitted in one turn of the loop: one batch, as concurrent requests under load are
        return await asyncio.gather(*(app.state.metalnet.ip_batcher.submit(request) for _ in range(20)),
                                    return_exceptions=True)

    outcomes = asyncio.run(one_batch())
    assert all(isinstance(o, StorageUnavailableError) for o in outcomes)
    assert storage.writes == 1  # the batch's one transaction, none more per request of it
    with TestClient(app) as client:
        assert client.post("/v1/ip/allocate", json={"networkid": child, "projectid": PROJECT}).status_code == 503
