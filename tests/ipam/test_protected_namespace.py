"""The network layer's namespace can be read through ``Ipamer`` but never written: its prefixes change with networks."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from metalnet.ipam import Ipamer
from metalnet.ipam.errors import ProtectedNamespaceError
from metalnet.ipam.namespaces import NETWORK_NAMESPACE
from metalnet.network import NetworkCreate, NetworkService
from metalnet.storage import Storage
from tests.network.support import snapshot

NS = NETWORK_NAMESPACE

WRITES: list[tuple[str, Callable[[Ipamer], object]]] = [
    ("new_prefix", lambda i: i.new_prefix("172.16.0.0/12", namespace=NS)),
    ("delete_prefix", lambda i: i.delete_prefix("10.0.0.0/16", namespace=NS)),
    ("acquire_child_prefix", lambda i: i.acquire_child_prefix("10.0.0.0/16", 24, namespace=NS)),
    ("acquire_specific_child_prefix",
     lambda i: i.acquire_specific_child_prefix("10.0.0.0/16", "10.0.5.0/24", namespace=NS)),
    ("release_child_prefix", lambda i: i.release_child_prefix("10.0.0.0/16", namespace=NS)),
    ("acquire_ip", lambda i: i.acquire_ip("10.0.0.0/16", namespace=NS)),
    ("acquire_specific_ip", lambda i: i.acquire_specific_ip("10.0.0.0/16", "10.0.0.9", namespace=NS)),
    ("release_ip_from_prefix", lambda i: i.release_ip_from_prefix("10.0.0.0/16", "10.0.0.1", namespace=NS)),
    ("release_ip", lambda i: i.release_ip(i.acquire_ip("192.168.0.0/24"), namespace=NS)),
    ("load", lambda i: i.load(i.dump(namespace=NS), namespace=NS)),
    ("create_namespace", lambda i: i.create_namespace(NS)),
    ("delete_namespace", lambda i: i.delete_namespace(NS)),
]


@pytest.fixture
def with_network(storage: Storage) -> Ipamer:
    """A store with one /v1-style network (its prefix lives in the network layer's namespace)."""
    NetworkService(storage).create_network(NetworkCreate(id="internet", prefixes=["10.0.0.0/16"]))
    ipam = Ipamer(storage)
    ipam.new_prefix("192.168.0.0/24")  # root stays the user's
    return ipam


@pytest.mark.parametrize(("name", "write"), WRITES, ids=[name for name, _ in WRITES])
def test_every_write_is_refused_and_changes_nothing(
    storage: Storage, with_network: Ipamer, name: str, write: Callable[[Ipamer], object]
) -> None:
    before = snapshot(storage)
    with pytest.raises(ProtectedNamespaceError, match=NS):
        write(with_network)
    after = snapshot(storage)
    if name == "release_ip":  # the refused call's own argument was acquired in root first
        after = [entry for entry in after if entry not in before]
        assert all(NS not in str(key) for key, _ in after)
    else:
        assert after == before


def test_reads_are_allowed(with_network: Ipamer) -> None:
    assert with_network.read_all_prefix_cidrs(namespace=NS) == ["10.0.0.0/16"]
    assert with_network.prefix_from("10.0.0.0/16", namespace=NS).cidr == "10.0.0.0/16"
    assert with_network.prefix_usage("10.0.0.0/16", namespace=NS).acquired_ips == 2
    assert NS in with_network.list_namespaces()
    assert "10.0.0.0/16" in with_network.dump(namespace=NS)


def test_the_network_layer_still_writes_it(storage: Storage, with_network: Ipamer) -> None:
    service = NetworkService(storage)
    service.create_network(NetworkCreate(id="other", prefixes=["10.1.0.0/16"]))
    assert with_network.read_all_prefix_cidrs(namespace=NS) == ["10.0.0.0/16", "10.1.0.0/16"]
    service.delete_network("other")
    assert with_network.read_all_prefix_cidrs(namespace=NS) == ["10.0.0.0/16"]
