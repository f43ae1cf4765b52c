"""The dual-stack proposal end to end, at library level."""

from __future__ import annotations

import msgspec

from metalnet.network import IPAllocate, Network, NetworkAllocate, NetworkService, Usage
from metalnet.storage import Storage
from tests.network.support import PARTITION, PROJECT, SUPER_ID, load_yaml, snapshot


def _allocate(service: NetworkService) -> Network:
    return service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT, name="my-node-network"))


def test_tenant_super_network_is_created_as_in_the_file(lab: Network) -> None:
    document = load_yaml("tenant-super.yaml")
    assert lab.id == document["id"] == SUPER_ID
    assert lab.prefixes == document["prefixes"]
    assert lab.defaultchildprefixlength == document["defaultchildprefixlength"]
    assert (lab.privatesuper, lab.networktype, lab.nattype) == (True, "super", "none")
    assert lab.consumption.ipv4 == Usage(available_ips=65536, used_ips=2, available_prefixes=16384, used_prefixes=0)
    assert lab.consumption.ipv6 == Usage(
        available_ips=2**31 - 1, used_ips=1, available_prefixes=2**31 - 1, used_prefixes=0
    )


def test_allocation_matches_the_proposal(service: NetworkService, lab: Network) -> None:
    expected = load_yaml("expected-allocation.yaml")
    child = _allocate(service)
    got = msgspec.to_builtins(child)
    for usage in got["consumption"].values():
        assert usage.pop("reserved_ips") == 0  # metalnet's: the example has no reserved ranges
    for field, value in expected.items():
        if field not in ("id", "vrf"):
            assert got[field] == value, field
    assert 1 <= child.vrf <= 131072
    assert child.networktype == "child"
    assert service.get_network(child.id) == child


def test_proposal_round_trip_restores_the_store(service: NetworkService, storage: Storage, lab: Network) -> None:
    before = snapshot(storage)
    child = _allocate(service)
    parent = service.get_network(SUPER_ID).consumption
    assert parent.ipv4 is not None
    assert parent.ipv6 is not None
    assert (parent.ipv4.used_prefixes, parent.ipv4.available_prefixes) == (1, 16384 - 256)
    assert parent.ipv6.used_prefixes == 1

    ipv4 = service.allocate_ip(IPAllocate(networkid=child.id, projectid=PROJECT))
    ipv6 = service.allocate_ip(IPAllocate(networkid=child.id, projectid=PROJECT, addressfamily="IPv6"))
    assert (ipv4.ipaddress, ipv4.prefix, ipv4.type) == ("10.0.0.1", "10.0.0.0/22", "ephemeral")
    assert (ipv6.ipaddress, ipv6.prefix) == ("2001:db8:0:10::1", "2001:db8:0:10::/96")
    used = service.get_network(child.id).consumption
    assert used.ipv4 is not None
    assert used.ipv6 is not None
    assert (used.ipv4.used_ips, used.ipv6.used_ips) == (3, 2)
    assert (used.ipv4.available_ips, used.ipv4.available_prefixes) == (1024, 256)

    assert service.free_ip(ipv4.ipaddress) == ipv4
    assert service.free_ip(ipv6.ipaddress) == ipv6
    freed = service.free_network(child.id)
    assert freed.id == child.id
    assert (freed.consumption.ipv4, freed.consumption.ipv6) == (None, None)
    assert service.get_network(SUPER_ID) == lab
    assert snapshot(storage) == before
