"""``NetworkService.allocate_ips``: many allocations in one transaction, refusals isolated, outages at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, TypeVar

import pytest

from metalnet.ipam import model as ipam_model
from metalnet.ipam.session import IpamSession
from metalnet.network import (
    IP,
    ErrorKind,
    IPAllocate,
    IPRequest,
    Network,
    NetworkAllocate,
    NetworkCreate,
    NetworkError,
    NetworkService,
    NetworkUpdate,
    PartitionCreate,
    ProjectCreate,
    ReservedRange,
    allocation_key,
)
from metalnet.storage import Storage, Transaction
from metalnet.storage.base import StorageBusyError, StorageError, StorageUnavailableError
from tests.network.support import PARTITION, PROJECT, snapshot, tenant_super

T = TypeVar("T")


class CountingStorage(Storage):
    """Counts the transactions run on ``inner``."""

    def __init__(self, inner: Storage) -> None:
        self.inner, self.runs = inner, 0
        self.name = inner.name

    def run(self, fn: Callable[[Transaction], T], *, readonly: bool = False, deadline: float | None = None) -> T:
        self.runs += 1
        return self.inner.run(fn, readonly=readonly, deadline=deadline)


def _child(service: NetworkService) -> Network:
    return service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT))


def _addresses(results: list[IP | NetworkError]) -> list[str]:
    return [r.ipaddress if isinstance(r, IP) else r.kind.name for r in results]


def test_a_batch_is_one_transaction(storage: Storage, service: NetworkService, lab: Network) -> None:
    child = _child(service)
    counting = CountingStorage(storage)
    batch = NetworkService(counting)
    request = IPAllocate(networkid=child.id, projectid=PROJECT)
    results = batch.allocate_ips([IPRequest(request)] * 5)
    assert _addresses(results) == [f"10.0.0.{i}" for i in range(1, 6)]
    assert counting.runs == 1


def test_a_refused_request_does_not_take_the_batch_down(service: NetworkService, lab: Network) -> None:
    child = _child(service)
    good = IPAllocate(networkid=child.id, projectid=PROJECT)
    results = service.allocate_ips(
        [IPRequest(good), IPRequest(good, "10.0.0.1"), IPRequest(good), IPRequest(good, "10.0.0.99")])
    assert _addresses(results) == ["10.0.0.1", "CONFLICT", "10.0.0.2", "10.0.0.99"]
    assert "10.0.0.1" in str(results[1])
    assert sorted(ip.ipaddress for ip in service.list_ips()) == ["10.0.0.1", "10.0.0.2", "10.0.0.99"]
    assert _addresses(service.allocate_ips([IPRequest(good), IPRequest(good)])) == ["10.0.0.3", "10.0.0.4"]


def test_requests_of_different_networks_get_their_own_transactions(
    storage: Storage, service: NetworkService, lab: Network
) -> None:
    first, second = _child(service), _child(service)
    counting = CountingStorage(storage)
    batch = NetworkService(counting)
    a = IPAllocate(networkid=first.id, projectid=PROJECT)
    b = IPAllocate(networkid=second.id, projectid=PROJECT)
    assert allocation_key(IPRequest(a)) != allocation_key(IPRequest(b))
    results = batch.allocate_ips([IPRequest(a), IPRequest(b), IPRequest(a), IPRequest(b)])
    assert [r.networkid for r in results if isinstance(r, IP)] == [first.id, second.id, first.id, second.id]
    assert counting.runs == 2  # one per network: requests that take other locks never share a transaction


def test_an_unknown_network_is_refused_alone(service: NetworkService, lab: Network) -> None:
    child = _child(service)
    good = IPAllocate(networkid=child.id, projectid=PROJECT)
    bad = IPAllocate(networkid="no-such-network", projectid=PROJECT)
    results = service.allocate_ips([IPRequest(good), IPRequest(bad), IPRequest(good)])
    assert _addresses(results) == ["10.0.0.1", "NOT_FOUND", "10.0.0.2"]
    assert isinstance(results[1], NetworkError)
    assert results[1].kind is ErrorKind.NOT_FOUND


def test_a_forbidden_request_is_refused_alone(service: NetworkService, lab: Network) -> None:
    child = _child(service)
    good = IPAllocate(networkid=child.id, projectid=PROJECT)
    results = service.allocate_ips([IPRequest(good), IPRequest(good, None, "another-project"), IPRequest(good)])
    assert _addresses(results) == ["10.0.0.1", "FORBIDDEN", "10.0.0.2"]


@pytest.mark.parametrize("outage", [StorageUnavailableError("store down"), StorageBusyError("store locked")])
def test_an_outage_fails_the_whole_batch_without_re_running_its_members(
    storage: Storage, service: NetworkService, lab: Network, outage: StorageError
) -> None:
    child = _child(service)
    calls: ClassVar[list[str]] = []

    class DownSession(IpamSession):
        def acquire_ip(self, prefix_cidr: str) -> ipam_model.IP:
            calls.append(prefix_cidr)
            raise outage

        def acquire_ips(self, prefix_cidr: str, count: int) -> list[ipam_model.IP]:
            calls.append(prefix_cidr)
            raise outage

    counting = CountingStorage(storage)
    down = NetworkService(counting, sessions=DownSession)
    request = IPAllocate(networkid=child.id, projectid=PROJECT)
    before = snapshot(storage)
    with pytest.raises(type(outage)):
        down.allocate_ips([IPRequest(request)] * 4)
    assert (counting.runs, len(calls)) == (1, 1)  # the batch's transaction alone, not one more per member
    assert snapshot(storage) == before


def test_an_unexpected_error_is_raised_not_returned(storage: Storage, service: NetworkService, lab: Network) -> None:
    """A bug is no refusal: it fails the call (a logged 500 upstream), after each request was tried alone."""
    child = _child(service)

    class BrokenSession(IpamSession):
        def acquire_ip(self, prefix_cidr: str) -> ipam_model.IP:
            raise RuntimeError("bug")

        def acquire_ips(self, prefix_cidr: str, count: int) -> list[ipam_model.IP]:
            raise RuntimeError("bug")

    counting = CountingStorage(storage)
    with pytest.raises(RuntimeError, match="bug"):
        NetworkService(counting, sessions=BrokenSession).allocate_ips(
            [IPRequest(IPAllocate(networkid=child.id, projectid=PROJECT))] * 3)
    assert counting.runs == 2  # the batch, then the first request alone


class CountingSession(IpamSession):
    """Counts the core's acquisitions (one call for many addresses counts once)."""

    calls: ClassVar[list[str]] = []

    def acquire_ip(self, prefix_cidr: str) -> ipam_model.IP:
        self.calls.append("acquire_ip")
        return super().acquire_ip(prefix_cidr)

    def acquire_ips(self, prefix_cidr: str, count: int) -> list[ipam_model.IP]:
        self.calls.append(f"acquire_ips {count}")
        return super().acquire_ips(prefix_cidr, count)


def test_next_free_requests_of_a_batch_take_their_addresses_with_one_core_call(
    service: NetworkService, lab: Network
) -> None:
    child = _child(service)
    CountingSession.calls = []
    batch = NetworkService(service.storage, sessions=CountingSession)
    requests = [IPRequest(IPAllocate(networkid=child.id, projectid=PROJECT, name=f"ip-{i}")) for i in range(6)]
    results = batch.allocate_ips(requests)
    assert _addresses(results) == [f"10.0.0.{i}" for i in range(1, 7)]
    assert [r.name for r in results if isinstance(r, IP)] == [f"ip-{i}" for i in range(6)]
    assert CountingSession.calls == ["acquire_ips 6"]
    assert len({r.allocationuuid for r in results if isinstance(r, IP)}) == 6


def _mixed(service: NetworkService) -> list[IPRequest]:
    """Requests of every kind a batch may mix: names, tags, machines, types, both families, specific addresses."""
    dual = service.create_network(NetworkCreate(id="dual", partitionid=PARTITION, projectid=PROJECT,
                                                prefixes=["192.168.7.0/30", "192.168.8.0/29", "2001:db8:7::/120"]))
    base = {"networkid": dual.id, "projectid": PROJECT}
    return [
        IPRequest(IPAllocate(**base, name="a", tags=["x=1"])),
        IPRequest(IPAllocate(**base, machineid="m1", type="static")),
        IPRequest(IPAllocate(**base), "192.168.8.3"),
        IPRequest(IPAllocate(**base, addressfamily="IPv6", description="six")),
        IPRequest(IPAllocate(**base)),  # the /30 is full now (.1, .2): the next prefix gives .1
        IPRequest(IPAllocate(**base)),
        IPRequest(IPAllocate(**base, addressfamily="IPv6")),
        IPRequest(IPAllocate(**base)),  # .3 was taken by the specific request: skipped
        IPRequest(IPAllocate(**base, name="last")),
    ]


def _seen(ip: IP | NetworkError) -> object:
    if isinstance(ip, NetworkError):
        return ip.kind.name
    return (ip.ipaddress, ip.prefix, ip.name, ip.description, ip.type, ip.tags, ip.networkid, ip.projectid)


def test_a_batch_answers_as_the_same_requests_one_by_one(service: NetworkService, lab: Network) -> None:
    requests = _mixed(service)
    counting = CountingStorage(service.storage)
    batched = NetworkService(counting).allocate_ips(requests)
    assert counting.runs == 1  # the batch itself answered, not the re-run of each request alone
    alone_store = type(service.storage)() if service.storage.name == "memory" else None
    if alone_store is None:
        pytest.skip("the comparison runs on a second in-memory store")
    alone = NetworkService(alone_store)
    alone.create_partition(PartitionCreate(id=PARTITION, name="mini lab"))
    alone.create_project(ProjectCreate(id=PROJECT, name="proposal"))
    alone.create_network(tenant_super())
    one_by_one = []
    for request, specific, acting_for in _mixed(alone):
        one_by_one.append(alone.allocate_ip(request, specific, acting_for=acting_for))
    assert [_seen(r) for r in batched] == [_seen(r) for r in one_by_one]
    assert [r.ipaddress for r in batched if isinstance(r, IP)][:5] == [
        "192.168.7.1", "192.168.7.2", "192.168.8.3", "2001:db8:7::1", "192.168.8.1"]


def test_a_batch_that_runs_out_of_addresses_answers_each_request_alone(service: NetworkService, lab: Network) -> None:
    small = service.create_network(NetworkCreate(id="small", partitionid=PARTITION, projectid=PROJECT,
                                                 prefixes=["192.168.9.0/30"]))
    request = IPAllocate(networkid=small.id, projectid=PROJECT)
    results = service.allocate_ips([IPRequest(request)] * 4)
    assert _addresses(results) == ["192.168.9.1", "192.168.9.2", "REFUSED", "REFUSED"]
    assert "no ips left" in str(results[2])
    assert sorted(ip.ipaddress for ip in service.list_ips() if ip.networkid == small.id) == [
        "192.168.9.1", "192.168.9.2"]


def test_a_batch_never_hands_out_a_reserved_address(service: NetworkService, lab: Network) -> None:
    child = _child(service)
    service.update_network(NetworkUpdate(id=child.id, reservedranges=[
        ReservedRange(first="10.0.0.2", last="10.0.0.4", description="gateways")]))
    request = IPAllocate(networkid=child.id, projectid=PROJECT)
    results = service.allocate_ips([IPRequest(request)] * 3)
    assert _addresses(results) == ["10.0.0.1", "10.0.0.5", "10.0.0.6"]
