"""Bulk allocation: many IPs or child networks in one transaction, all or nothing."""

from __future__ import annotations

import pytest

from metalnet.network import ErrorKind, IPAllocate, Network, NetworkAllocate, NetworkCreate, NetworkService
from metalnet.network.bulk import MAX_BULK
from metalnet.storage import Storage
from tests.network.support import PARTITION, PROJECT, refused, unchanged

INVALID, REFUSED = ErrorKind.INVALID, ErrorKind.REFUSED


@pytest.fixture
def small(service: NetworkService, lab: Network) -> Network:
    """A network of two small IPv4 prefixes (6 + 14 usable addresses) and one IPv6 prefix."""
    return service.create_network(NetworkCreate(
        id="small", partitionid=PARTITION, prefixes=["192.168.0.0/29", "192.168.1.0/28", "2001:db8:9::/120"],
    ))


def _ips(count: int, **fields: object) -> tuple[IPAllocate, int]:
    base: dict[str, object] = {"networkid": "small", "projectid": PROJECT}
    return IPAllocate(**{**base, **fields}), count  # type: ignore[arg-type]


def test_bulk_takes_the_lowest_free_addresses_across_prefixes(service: NetworkService, small: Network) -> None:
    service.allocate_ip(IPAllocate(networkid="small", projectid=PROJECT), "192.168.0.2")
    request, count = _ips(8, name="rack", tags=["a=b"], type="static")
    ips = service.allocate_ip_bulk(request, count)
    assert [ip.ipaddress for ip in ips] == [
        "192.168.0.1", "192.168.0.3", "192.168.0.4", "192.168.0.5", "192.168.0.6", "192.168.1.1", "192.168.1.2",
        "192.168.1.3",
    ]
    assert {(ip.name, ip.type, tuple(ip.tags), ip.networkid) for ip in ips} == {("rack", "static", ("a=b",), "small")}
    assert len({ip.allocationuuid for ip in ips}) == 8
    # every one is a normal IP: found, and freed one by one
    assert service.get_ip("192.168.1.3").prefix == "192.168.1.0/28"
    service.free_ip("192.168.0.4")
    assert service.allocate_ip(IPAllocate(networkid="small", projectid=PROJECT)).ipaddress == "192.168.0.4"


def test_bulk_of_the_other_family(service: NetworkService, small: Network) -> None:
    request, count = _ips(3, addressfamily="IPv6")
    assert [ip.ipaddress for ip in service.allocate_ip_bulk(request, count)] == [
        "2001:db8:9::1", "2001:db8:9::2", "2001:db8:9::3"]


def test_too_few_free_allocates_nothing_and_says_how_many(
    service: NetworkService, storage: Storage, small: Network
) -> None:
    service.allocate_ip(IPAllocate(networkid="small", projectid=PROJECT))
    request, _ = _ips(1)
    unchanged(storage, REFUSED, "cannot allocate 20 ips in network small: only 19 IPv4 addresses are free",
              lambda: service.allocate_ip_bulk(request, 20))
    assert len(service.allocate_ip_bulk(request, 19)) == 19


@pytest.mark.parametrize("count", [0, -1, MAX_BULK + 1, True, "3"])
def test_count_is_bounded(service: NetworkService, storage: Storage, small: Network, count: object) -> None:
    request, _ = _ips(1)
    named = repr(count) if isinstance(count, (bool, str)) else str(count)
    unchanged(storage, INVALID, named, lambda: service.allocate_ip_bulk(request, count))  # type: ignore[arg-type]
    with refused(INVALID, str(MAX_BULK)):
        service.allocate_ip_bulk(request, MAX_BULK + 1)


def test_rules_of_the_single_allocation_apply(service: NetworkService, storage: Storage, small: Network) -> None:
    unchanged(storage, ErrorKind.NOT_FOUND, "nope",
              lambda: service.allocate_ip_bulk(IPAllocate(networkid="small", projectid="nope"), 2))
    unchanged(storage, ErrorKind.FORBIDDEN, "",
              lambda: service.allocate_ip_bulk(IPAllocate(networkid="small", projectid=PROJECT), 2, acting_for="o"))


def test_bulk_child_networks_each_get_a_vrf(service: NetworkService, lab: Network) -> None:
    children = service.allocate_networks(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT, name="n"), 4)
    assert len({child.vrf for child in children}) == 4
    assert len({tuple(child.prefixes) for child in children}) == 4
    assert all(child.name == "n" and child.projectid == PROJECT for child in children)


def test_bulk_child_networks_all_or_nothing(service: NetworkService, storage: Storage, lab: Network) -> None:
    # tenant-super's 10.0.0.0/16 holds two /17 children: the third fails and takes the first two back
    request = NetworkAllocate(partitionid=PARTITION, projectid=PROJECT, addressfamily="IPv4", length={"IPv4": 17})
    unchanged(storage, REFUSED, "child network 3 of 3; only 2", lambda: service.allocate_networks(request, 3))
    unchanged(storage, INVALID, str(MAX_BULK), lambda: service.allocate_networks(request, MAX_BULK + 1))
    assert len(service.allocate_networks(request, 2)) == 2
