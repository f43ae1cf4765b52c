"""The core's value types (Cidr, IP) and the Ipamer's change path, on both builds."""

from __future__ import annotations

import ipaddress

import pytest

from metalnet.ipam import Ipamer
from metalnet.ipam.addresses import Cidr, cidr_text, parse_cidr
from metalnet.ipam.errors import InvalidInputError, ProtectedNamespaceError
from metalnet.ipam.model import IP
from metalnet.ipam.namespaces import NETWORK_NAMESPACE
from metalnet.storage.base import StorageError
from metalnet.storage.memory import MemoryStorage


def test_cidr_is_a_value_ordered_as_its_key() -> None:
    texts = ["10.0.0.0/16", "2001:db8::/32", "10.0.0.0/8", "9.0.0.0/8"]
    cidrs = [parse_cidr(text) for text in texts]
    assert [str(c) for c in sorted(cidrs)] == ["9.0.0.0/8", "10.0.0.0/8", "10.0.0.0/16", "2001:db8::/32"]
    assert sorted(cidrs) == sorted(cidrs, key=Cidr.key)
    a, b = Cidr(4, 0x0A000000, 8), parse_cidr("10.1.2.3/8")
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    assert a != Cidr(4, 0x0A000000, 9)
    assert a != (4, 0x0A000000, 8)
    assert (a.width, a.last, a.size, a.host_bits) == (32, 0x0AFFFFFF, 1 << 24, 24)
    assert repr(a) == f"Cidr(version=4, first={0x0A000000}, length=8)"
    assert cidr_text(a) == str(a) == "10.0.0.0/8"
    assert a <= b
    assert a >= b
    assert not a < b
    assert Cidr(4, 0, 8) < a < Cidr(6, 0, 8)


def test_acquired_ip_builds_its_ipaddress_on_demand() -> None:
    ipam = Ipamer()
    ipam.new_prefix("2001:db8::/120")
    ip = ipam.acquire_ip("2001:db8::/120")
    assert (ip.version, ip.value, ip.parent_prefix, str(ip)) == (6, int(ipaddress.IPv6Address("2001:db8::1")),
                                                                 "2001:db8::/120", "2001:db8::1")
    assert ip.ip == ipaddress.IPv6Address("2001:db8::1")
    assert ip.ip is ip.ip
    same = IP(6, ip.value, "2001:db8::/120")
    assert same == ip
    assert hash(same) == hash(ip)
    assert same != IP(6, ip.value, "2001:db8::/121")
    assert ipam.release_ip(same).cidr == "2001:db8::/120"
    assert ipam.acquire_ip("2001:db8::/120") == ip  # released: the same address again


def test_change_path_checks_the_namespace() -> None:
    ipam = Ipamer()
    with pytest.raises(InvalidInputError, match="invalid namespace 7"):
        ipam.new_prefix("10.0.0.0/24", namespace=7)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="invalid namespace"):
        ipam.new_prefix("10.0.0.0/24", namespace="")
    with pytest.raises(ProtectedNamespaceError):
        ipam.new_prefix("10.0.0.0/24", namespace=NETWORK_NAMESPACE)
    with pytest.raises(InvalidInputError, match="invalid cidr 5"):
        ipam.new_prefix(5)  # type: ignore[arg-type]


def test_read_only_memory_transaction_refuses_writes() -> None:
    store = MemoryStorage()
    with pytest.raises(StorageError, match=r"put of .* in a read-only transaction"):
        store.run(lambda tx: tx.put(("x", 1), 1), readonly=True)
    with pytest.raises(StorageError, match="pop_first"):
        store.run(lambda tx: tx.pop_first(("x",)), readonly=True)
    assert store.run(lambda tx: tx.get(("x", 1)), readonly=True) is None
