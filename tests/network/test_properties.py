"""Property test: random allocate/free sequences keep the network layer's invariants.

It runs on the memory backend only: it checks the layer's logic over many generated sequences, which the
backend-parametrised tests above already show to behave the same on every backend; hypothesis examples
over a per-test PostgreSQL database would cost minutes.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Callable
from typing import TypeVar

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from metalnet.network import (
    ErrorKind,
    IPAllocate,
    NetworkAllocate,
    NetworkCreate,
    NetworkError,
    NetworkService,
    PartitionCreate,
    ProjectCreate,
)
from metalnet.storage import MemoryStorage

RESERVED = {"IPv4": 2, "IPv6": 1}
PARENTS = {"IPv4": ["10.0.0.0/22", "10.9.0.0/23"], "IPv6": ["fd00::/62"]}
VRF_IDS = 12
T = TypeVar("T")


def _attempt(call: Callable[[], T]) -> tuple[T | None, NetworkError | None]:
    try:
        return call(), None
    except NetworkError as exc:
        return None, exc


def _has_room(parents: list[str], taken: list[str], length: int) -> bool:
    """Whether some aligned block of ``length`` in the parents overlaps none of the ``taken`` children."""
    children = [ipaddress.ip_network(cidr) for cidr in taken]
    return any(not any(block.overlaps(child) for child in children)
               for parent in parents for block in ipaddress.ip_network(parent).subnets(new_prefix=length))


class NetworkMachine(RuleBasedStateMachine):
    """A model of which children and IPs exist, compared with what the service reports."""

    @initialize()
    def setup(self) -> None:
        self.service = NetworkService(MemoryStorage(), vrf_range=(1, VRF_IDS))
        self.service.create_partition(PartitionCreate(id="p"))
        self.service.create_project(ProjectCreate(id="x"))
        self.service.create_network(NetworkCreate(
            id="super", partitionid="p", prefixes=[*PARENTS["IPv4"], *PARENTS["IPv6"]],
            privatesuper=True, defaultchildprefixlength={"IPv4": 24, "IPv6": 64}))
        self.children: dict[str, list[str]] = {}
        self.ips: dict[str, str] = {}  # address -> network id

    @rule(family=st.sampled_from([None, "IPv4", "IPv6"]), length=st.sampled_from([None, 24, 25, 26]))
    def allocate_child(self, family: str | None, length: int | None) -> None:
        request = NetworkAllocate(partitionid="p", projectid="x", addressfamily=family,
                                  length={"IPv4": length} if length else None)
        child, error = _attempt(lambda: self.service.allocate_network(request))
        lengths = {"IPv4": length or 24, "IPv6": 64}
        taken = [cidr for prefixes in self.children.values() for cidr in prefixes]
        exhausted = len(self.children) == VRF_IDS or any(
            not _has_room(PARENTS[f], taken, lengths[f]) for f in ([family] if family else list(PARENTS)))
        if child is None:
            assert error is not None
            assert error.kind is ErrorKind.REFUSED, error
            assert exhausted, error  # refused only when the VRF pool or a family's parents are full
            return
        assert not exhausted
        self.children[child.id] = child.prefixes

    @rule(data=st.data())
    def free_child(self, data: st.DataObject) -> None:
        if not self.children:
            return
        ident = data.draw(st.sampled_from(list(self.children)))  # insertion order: ids are random
        has_ips = ident in self.ips.values()
        freed, error = _attempt(lambda: self.service.free_network(ident))
        if freed is None:
            assert has_ips, error
            assert error is not None
            assert error.kind is ErrorKind.REFUSED, error
            return
        assert not has_ips
        del self.children[ident]

    @rule(data=st.data(), family=st.sampled_from([None, "IPv4", "IPv6"]))
    def allocate_ip(self, data: st.DataObject, family: str | None) -> None:
        if not self.children:
            return
        ident = data.draw(st.sampled_from(list(self.children)))  # insertion order: ids are random
        ip, error = _attempt(
            lambda: self.service.allocate_ip(IPAllocate(networkid=ident, projectid="x", addressfamily=family)))
        if ip is None:
            assert error is not None
            assert error.kind is ErrorKind.INVALID, error
            assert family is not None, error  # the default family always has room here
            assert all((":" in p) != (family == "IPv6") for p in self.children[ident]), error  # family absent
            return
        assert ip.ipaddress not in self.ips
        assert any(ipaddress.ip_address(ip.ipaddress) in ipaddress.ip_network(p) for p in self.children[ident])
        self.ips[ip.ipaddress] = ident

    @rule(data=st.data())
    def free_ip(self, data: st.DataObject) -> None:
        if self.ips:
            address = data.draw(st.sampled_from(sorted(self.ips)))
            self.service.free_ip(address)
            del self.ips[address]

    @invariant()
    def children_are_disjoint_and_vrfs_unique(self) -> None:
        if not hasattr(self, "service"):
            return
        networks = {n.id: n for n in self.service.list_networks()}
        assert set(networks) == {"super", *self.children}
        blocks = [ipaddress.ip_network(p) for prefixes in self.children.values() for p in prefixes]
        for a, b in itertools.combinations(blocks, 2):
            assert not a.overlaps(b), (a, b)
        vrfs = [networks[ident].vrf for ident in self.children]
        assert len(set(vrfs)) == len(vrfs)

    @invariant()
    def consumption_matches_the_model(self) -> None:
        if not hasattr(self, "service"):
            return
        parent = self.service.get_network("super").consumption
        for family, usage in (("IPv4", parent.ipv4), ("IPv6", parent.ipv6)):
            assert usage is not None
            held = [p for prefixes in self.children.values() for p in prefixes if (":" in p) == (family == "IPv6")]
            assert usage.used_prefixes == len(held)
        for ident, prefixes in self.children.items():
            consumption = self.service.get_network(ident).consumption
            for family, usage in (("IPv4", consumption.ipv4), ("IPv6", consumption.ipv6)):
                mine = [p for p in prefixes if (":" in p) == (family == "IPv6")]
                if not mine:
                    assert usage is None
                    continue
                assert usage is not None
                ips = [a for a, n in self.ips.items() if n == ident and (":" in a) == (family == "IPv6")]
                assert usage.used_ips == RESERVED[family] * len(mine) + len(ips)


NetworkMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
TestNetworkMachine = NetworkMachine.TestCase
