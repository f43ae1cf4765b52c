"""Fault injection: when any step of an operation fails, the store is exactly as before."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest

from metalnet.ipam import model as ipam_model
from metalnet.ipam.errors import NoPrefixAvailableError
from metalnet.ipam.model import Prefix
from metalnet.ipam.session import IpamSession
from metalnet.network import (
    ErrorKind,
    IPAllocate,
    Network,
    NetworkAllocate,
    NetworkService,
    NetworkUpdate,
)
from metalnet.storage import Key, Storage, Transaction
from metalnet.storage.rows import Value
from tests.network.support import PARTITION, PROJECT, SUPER_ID, refused, snapshot

T = TypeVar("T")


class InjectedFaultError(Exception):
    """Stands for a crash or driver failure in the middle of an operation."""


class FailingIPv6Session(IpamSession):
    """An IPAM session whose IPv6 steps fail (after the IPv4 steps of the same operation succeeded)."""

    error: Exception = InjectedFaultError("IPv6 step failed")

    def acquire_child_prefix(self, parent_cidr: str, length: int) -> Prefix:
        if ":" in parent_cidr:
            raise self.error
        return super().acquire_child_prefix(parent_cidr, length)

    def delete_prefix(self, cidr: str) -> Prefix:
        if ":" in cidr:
            raise self.error
        return super().delete_prefix(cidr)

    def acquire_ip(self, prefix_cidr: str) -> ipam_model.IP:
        raise self.error


class ExhaustedIPv6Session(FailingIPv6Session):
    error = NoPrefixAvailableError("no prefix found in 2001:db8:0:10::/64 with length:96")


class FailingRecords(Transaction):
    """A transaction that fails when a key of the given kind ("network", "netidx", "vrf", …) is written."""

    def __init__(self, inner: Transaction, kind: str) -> None:
        self.inner = inner
        self.kind = kind

    def _check(self, key: Key) -> None:
        if str(key[0]).split("/")[0] == self.kind:
            raise InjectedFaultError(f"write of {key!r} failed")

    def get(self, key: Key) -> Value | None:
        return self.inner.get(key)

    def put(self, key: Key, value: Value) -> None:
        self._check(key)
        self.inner.put(key, value)

    def insert(self, key: Key, value: Value) -> None:
        self._check(key)
        self.inner.insert(key, value)

    def delete(self, key: Key) -> None:
        self._check(key)
        self.inner.delete(key)

    def first(self, low: Key, within: Key) -> tuple[Key, Value] | None:
        return self.inner.first(low, within)

    def last(self, high: Key, within: Key) -> tuple[Key, Value] | None:
        return self.inner.last(high, within)

    def scan(self, within: Key) -> list[tuple[Key, Value]]:
        return self.inner.scan(within)

    def lock(self, name: str) -> None:
        self.inner.lock(name)


class FailingStorage(Storage):
    """The wrapped storage, with every transaction failing on writes of one key kind."""

    def __init__(self, inner: Storage, kind: str) -> None:
        self.inner = inner
        self.kind = kind

    def run(self, fn: Callable[[Transaction], T], *, readonly: bool = False, deadline: float | None = None) -> T:
        return self.inner.run(lambda tx: fn(FailingRecords(tx, self.kind)), readonly=readonly, deadline=deadline)


def _allocate(service: NetworkService) -> Network:
    return service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT, name="n"))


@pytest.mark.parametrize("session", [FailingIPv6Session, ExhaustedIPv6Session])
def test_failed_ipv6_child_leaves_no_ipv4_child_no_vrf_no_record(
    storage: Storage, lab: Network, session: type[IpamSession]
) -> None:
    before = snapshot(storage)
    failing = NetworkService(storage, sessions=session)
    if session is ExhaustedIPv6Session:
        with refused(ErrorKind.REFUSED, "cannot allocate free child prefix in ipam: no prefix found"):
            _allocate(failing)
    else:
        with pytest.raises(InjectedFaultError):
            _allocate(failing)
    assert snapshot(storage) == before
    # the IPv4-only allocation does not touch the failing step and goes through
    assert failing.allocate_network(
        NetworkAllocate(partitionid=PARTITION, projectid=PROJECT, addressfamily="IPv4")).prefixes == ["10.0.0.0/22"]


@pytest.mark.parametrize("kind", ["network", "netidx", "vrf"])
def test_failed_write_after_ipam_steps_leaves_nothing(storage: Storage, lab: Network, kind: str) -> None:
    before = snapshot(storage)
    with pytest.raises(InjectedFaultError):
        _allocate(NetworkService(FailingStorage(storage, kind)))
    assert snapshot(storage) == before
    assert _allocate(NetworkService(storage)).prefixes == ["10.0.0.0/22", "2001:db8:0:10::/96"]


def test_failed_ip_record_leaves_the_address_free(service: NetworkService, storage: Storage, lab: Network) -> None:
    child = _allocate(service)
    before = snapshot(storage)
    with pytest.raises(InjectedFaultError):
        NetworkService(FailingStorage(storage, "ip")).allocate_ip(IPAllocate(networkid=child.id, projectid=PROJECT))
    assert snapshot(storage) == before
    assert service.allocate_ip(IPAllocate(networkid=child.id, projectid=PROJECT)).ipaddress == "10.0.0.1"


def test_failed_free_and_update_change_nothing(service: NetworkService, storage: Storage, lab: Network) -> None:
    child = _allocate(service)
    before = snapshot(storage)
    failing = NetworkService(storage, sessions=FailingIPv6Session)
    with pytest.raises(InjectedFaultError):
        failing.free_network(child.id)  # the IPv4 prefix was released first, then IPv6 failed
    with pytest.raises(InjectedFaultError):
        failing.update_network(NetworkUpdate(id=SUPER_ID, prefixes=["10.0.0.0/16"]))
    with pytest.raises(InjectedFaultError):
        failing.allocate_ip(IPAllocate(networkid=child.id, projectid=PROJECT))
    with pytest.raises(InjectedFaultError):
        NetworkService(FailingStorage(storage, "vrf")).free_network(child.id)
    assert snapshot(storage) == before
    service.free_network(child.id)
