"""``NetworkService.pool_usage``: what is left in the private super networks, per family."""

from __future__ import annotations

from metalnet.network import IPAllocate, Network, NetworkAllocate, NetworkCreate, NetworkService, Usage
from tests.network.support import PARTITION, PROJECT


def test_no_pool_without_a_private_super_network(service: NetworkService) -> None:
    service.create_network(NetworkCreate(id="internet", prefixes=["185.1.2.0/24"]))
    assert service.pool_usage() == {}


def test_pool_usage_sums_the_private_super_networks(service: NetworkService, lab: Network) -> None:
    before = service.pool_usage()
    assert set(before) == {"IPv4", "IPv6"}
    assert before["IPv4"] == lab.consumption.ipv4
    assert before["IPv6"] == lab.consumption.ipv6
    child = service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT))
    service.allocate_ip(IPAllocate(networkid=child.id, projectid=PROJECT))  # in the child: not the pool's usage
    after = service.pool_usage()
    assert after["IPv4"].used_prefixes == before["IPv4"].used_prefixes + 1
    assert after["IPv6"].used_prefixes == before["IPv6"].used_prefixes + 1
    assert after["IPv4"].available_prefixes < before["IPv4"].available_prefixes
    assert isinstance(after["IPv4"], Usage)
