"""Property test: random allocations, frees and reservation updates on one network, compared with a model.

Next-free allocation hands out the lowest address that is neither taken nor reserved; a specific reserved
address is refused (naming its range) unless it is meant; an update that would reserve a taken address is
refused and changes nothing; consumption counts reserved addresses apart from used ones. Memory backend only
(as tests/network/test_properties.py: the backend-parametrised tests show the backends agree).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import TypeVar

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from metalnet.network import (
    ErrorKind,
    IPAllocate,
    NetworkCreate,
    NetworkError,
    NetworkService,
    NetworkUpdate,
    ProjectCreate,
    ReservedRange,
)
from metalnet.storage import MemoryStorage

T = TypeVar("T")
PREFIX = ipaddress.ip_network("10.3.0.0/27")
HOSTS = list(range(1, PREFIX.num_addresses - 1))  # offsets; 0 and the broadcast address are never handed out


def attempt(call: Callable[[], T]) -> tuple[T | None, NetworkError | None]:
    try:
        return call(), None
    except NetworkError as exc:
        return None, exc


def address(offset: int) -> str:
    return str(PREFIX.network_address + offset)


@st.composite
def range_sets(draw: st.DrawFn) -> list[tuple[int, int, str]]:
    """Up to three disjoint ranges of host offsets, each with a description."""
    cuts = sorted(draw(st.sets(st.sampled_from(HOSTS), max_size=6)))
    pairs = list(zip(cuts[::2], cuts[1::2], strict=False))[: draw(st.integers(0, 3))]
    return [(a, b, draw(st.sampled_from(["", "gw", "dhcp"]))) for a, b in pairs]


class ReservationMachine(RuleBasedStateMachine):
    @initialize(ranges=range_sets())
    def setup(self, ranges: list[tuple[int, int, str]]) -> None:
        self.service = NetworkService(MemoryStorage())
        self.service.create_project(ProjectCreate(id="p"))
        self.ranges = ranges
        self.taken: set[int] = set()
        self.service.create_network(NetworkCreate(id="n", prefixes=[str(PREFIX)], reservedranges=self._wire(ranges)))

    @staticmethod
    def _wire(ranges: list[tuple[int, int, str]]) -> list[ReservedRange]:
        return [ReservedRange(first=address(a), last=address(b), description=d) for a, b, d in ranges]

    def reserved(self) -> set[int]:
        return {offset for a, b, _ in self.ranges for offset in range(a, b + 1)}

    @rule()
    def allocate_next(self) -> None:
        free = [o for o in HOSTS if o not in self.taken and o not in self.reserved()]
        got, error = attempt(lambda: self.service.allocate_ip(IPAllocate(networkid="n", projectid="p")))
        if error is not None:
            assert not free, error
            assert error.kind is ErrorKind.REFUSED
            return
        assert got is not None
        assert free, got
        assert got.ipaddress == address(free[0])
        self.taken.add(free[0])

    @rule(offset=st.sampled_from(HOSTS), meant=st.booleans())
    def allocate_specific(self, offset: int, meant: bool) -> None:
        request = IPAllocate(networkid="n", projectid="p", reserved=meant or None)
        _, error = attempt(lambda: self.service.allocate_ip(request, address(offset)))
        if error is not None:
            if offset in self.taken:  # a reserved one may be refused as reserved before it is found taken
                assert error.kind is ErrorKind.CONFLICT or (offset in self.reserved() and not meant), error
            else:
                assert offset in self.reserved(), error
                assert not meant, error
                assert error.kind is ErrorKind.RESERVED
                holder = next((a, b) for a, b, _ in self.ranges if a <= offset <= b)
                assert f"{address(holder[0])}-{address(holder[1])}" in error.message
            return
        assert offset not in self.taken
        assert meant or offset not in self.reserved()
        self.taken.add(offset)

    @rule(data=st.data())
    def free(self, data: st.DataObject) -> None:
        if not self.taken:
            return
        offset = data.draw(st.sampled_from(sorted(self.taken)))
        self.service.free_ip(address(offset))
        self.taken.discard(offset)

    @rule(ranges=range_sets())
    def replace_ranges(self, ranges: list[tuple[int, int, str]]) -> None:
        wanted = {offset for a, b, _ in ranges for offset in range(a, b + 1)}
        # a range kept with the same addresses (whatever its description) keeps the ones taken as reserved
        bounds = {(a, b) for a, b, _ in self.ranges}
        kept = {offset for a, b, _ in ranges if (a, b) in bounds for offset in range(a, b + 1)}
        _, error = attempt(lambda: self.service.update_network(
            NetworkUpdate(id="n", reservedranges=self._wire(ranges))))
        if error is not None:
            assert error.kind is ErrorKind.REFUSED
            assert (wanted - kept) & self.taken, error
            return
        assert not (wanted - kept) & self.taken
        self.ranges = ranges

    @invariant()
    def agrees(self) -> None:
        network = self.service.get_network("n")
        assert network.reservedranges == self._wire(sorted(self.ranges))
        usage = network.consumption.ipv4
        assert usage is not None
        assert usage.used_ips == 2 + len(self.taken)
        assert usage.reserved_ips == len(self.reserved() - self.taken)


TestReservations = ReservationMachine.TestCase
TestReservations.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
