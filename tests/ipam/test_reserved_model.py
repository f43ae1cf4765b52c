"""Stateful property test of reserved ranges: random reserve/unreserve/acquire/release sequences on one prefix
agree with a brute-force model (a set of acquired addresses and a set of reserved ranges)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from metalnet.ipam import (
    AlreadyAllocatedError,
    ConflictError,
    InvalidInputError,
    Ipamer,
    IpamError,
    NoIPAvailableError,
    NotFoundError,
    ReservedAddressError,
    ReservedRange,
    layout,
)
from metalnet.ipam.addresses import Cidr, format_address, parse_address, parse_cidr
from metalnet.ipam.free_ranges import FreeRanges
from metalnet.ipam.namespaces import ROOT_NAMESPACE
from metalnet.ipam.reservations import Reservations
from metalnet.ipam.rows import PrefixRow
from metalnet.storage import Storage
from metalnet.storage.base import Transaction
from tests.ipam.test_model_based import memory_store, sqlite_store

PREFIXES = {4: "10.0.0.0/27", 6: "2001:db8::/123"}


def runs(addresses: set[int]) -> list[tuple[int, int]]:
    """``addresses`` as maximal runs (first, last), lowest first."""
    result: list[tuple[int, int]] = []
    for address in sorted(addresses):
        if result and result[-1][1] == address - 1:
            result[-1] = (result[-1][0], address)
        else:
            result.append((address, address))
    return result


def machine_for(version: int, open_store: callable) -> type[RuleBasedStateMachine]:  # type: ignore[valid-type]
    cidr: Cidr = parse_cidr(PREFIXES[version])
    text = PREFIXES[version]
    own = {cidr.first, cidr.last} if version == 4 else {cidr.first}
    offsets = st.integers(-1, cidr.size)  # sometimes just outside the prefix

    class ReservedMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.store: Storage = open_store()
            self.ipam = Ipamer(storage=self.store)
            self.ipam.new_prefix(text)
            self.acquired: set[int] = set(own)
            self.ranges: dict[tuple[int, int], str] = {}

        def teardown(self) -> None:
            self.store.close()

        # -- the model ----------------------------------------------------------------------------

        def reservation_of(self, address: int) -> tuple[int, int] | None:
            return next((r for r in self.ranges if r[0] <= address <= r[1]), None)

        def reserved(self) -> set[int]:
            return {a for first, last in self.ranges for a in range(first, last + 1)}

        def free(self) -> list[int]:
            return sorted(set(range(cidr.first, cidr.last + 1)) - self.acquired - self.reserved())

        def expect(self, error: type[IpamError] | None, call: callable) -> object:  # type: ignore[valid-type]
            if error is None:
                return call()
            with pytest.raises(error):
                call()
            return None

        # -- rules ----------------------------------------------------------------------------------

        @rule(a=offsets, b=offsets, description=st.sampled_from(["", "gw", "dhcp pool"]))
        def reserve(self, a: int, b: int, description: str) -> None:
            first, last = cidr.first + a, cidr.first + b
            inside = cidr.first <= first <= cidr.last and cidr.first <= last <= cidr.last
            if not inside or first > last:
                error: type[IpamError] | None = InvalidInputError
            elif any(f <= last and first <= e for f, e in self.ranges) or any(
                first <= x <= last for x in self.acquired - own
            ):
                error = ConflictError  # overlaps a reservation, or holds acquired addresses
            else:
                error = None
            call = lambda: self.ipam.reserve_range(  # noqa: E731
                text, format_address(version, first), format_address(version, last), description=description)
            if self.expect(error, call) is not None:
                self.ranges[(first, last)] = description

        @precondition(lambda self: self.ranges)
        @rule(data=st.data(), above=st.booleans(), length=st.integers(0, 3))
        def reserve_next_to(self, data: st.DataObject, above: bool, length: int) -> None:
            # adjacent reservations: their held addresses must never merge across the boundary
            first, last = data.draw(st.sampled_from(sorted(self.ranges)))
            if above:
                self.reserve(last + 1 - cidr.first, last + 1 + length - cidr.first, "next")
            else:
                self.reserve(first - 1 - length - cidr.first, first - 1 - cidr.first, "next")

        @precondition(lambda self: self.ranges)
        @rule(data=st.data(), at_last=st.booleans())
        def acquire_reserved_edge(self, data: st.DataObject, at_last: bool) -> None:
            first, last = data.draw(st.sampled_from(sorted(self.ranges)))
            self.acquire_specific((last if at_last else first) - cidr.first, True)

        @rule(data=st.data(), exact=st.booleans())
        def unreserve(self, data: st.DataObject, exact: bool) -> None:
            if exact and self.ranges:
                first, last = data.draw(st.sampled_from(sorted(self.ranges)))
            else:
                first = cidr.first + data.draw(st.integers(0, cidr.size - 1))
                last = first + data.draw(st.integers(0, cidr.last - first))
            error = None if (first, last) in self.ranges else NotFoundError
            call = lambda: self.ipam.unreserve_range(  # noqa: E731
                text, format_address(version, first), format_address(version, last))
            if self.expect(error, call) is not None:
                del self.ranges[(first, last)]

        @rule()
        def acquire_ip(self) -> None:
            free = self.free()
            ip = self.expect(None if free else NoIPAvailableError, lambda: self.ipam.acquire_ip(text))
            if ip is not None:
                assert parse_address(str(ip))[1] == free[0]
                self.acquired.add(free[0])

        @rule(count=st.integers(1, 12))
        def acquire_ips(self, count: int) -> None:
            free = self.free()
            error = None if len(free) >= count else NoIPAvailableError
            ips = self.expect(error, lambda: self.ipam.acquire_ips(text, count))
            if ips is not None:
                assert isinstance(ips, list)
                assert [parse_address(str(ip))[1] for ip in ips] == free[:count]
                self.acquired.update(free[:count])

        @rule(offset=offsets, flag=st.booleans())
        def acquire_specific(self, offset: int, flag: bool) -> None:
            address = cidr.first + offset
            if not cidr.first <= address <= cidr.last:
                error: type[IpamError] | None = InvalidInputError
            elif self.reservation_of(address) is not None and not flag:
                error = ReservedAddressError
            elif address in self.acquired:
                error = AlreadyAllocatedError
            else:
                error = None
            call = lambda: self.ipam.acquire_specific_ip(text, format_address(version, address),  # noqa: E731
                                                         reserved=flag)
            if self.expect(error, call) is not None:
                self.acquired.add(address)

        @rule(offset=st.integers(0, cidr.size - 1), acquired=st.booleans())
        def release(self, offset: int, acquired: bool) -> None:
            if acquired and self.acquired:  # mostly release what is acquired
                address = sorted(self.acquired)[offset % len(self.acquired)]
            else:
                address = cidr.first + offset
            error = None if address in self.acquired else NotFoundError
            call = lambda: self.ipam.release_ip_from_prefix(text, format_address(version, address))  # noqa: E731
            if self.expect(error, call) is not None:
                self.acquired.discard(address)

        @rule()
        def dump_and_load(self) -> None:
            dump = self.ipam.dump()
            copy = Ipamer()
            copy.load(dump)
            assert copy.dump() == dump
            assert copy.prefix_usage(text) == self.ipam.prefix_usage(text)
            assert copy.reserved_ranges(text) == self.ipam.reserved_ranges(text)

        # -- invariants -----------------------------------------------------------------------------

        @invariant()
        def agrees_with_the_model(self) -> None:
            held = self.reserved() - self.acquired
            usage = self.ipam.prefix_usage(text)
            assert (usage.acquired_ips, usage.reserved_ips) == (len(self.acquired), len(held))
            assert self.ipam.reserved_ranges(text) == [
                ReservedRange(format_address(version, first), format_address(version, last), description)
                for (first, last), description in sorted(self.ranges.items())
            ]
            free, stored_held = self.stored()
            assert free == runs(set(self.free()))
            # held ranges: merged within each reservation, never across two
            assert stored_held == sorted(
                run for first, last in self.ranges for run in runs({a for a in held if first <= a <= last})
            )

        def stored(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
            def read(tx: Transaction) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
                row = tx.get(layout.prefix_key(ROOT_NAMESPACE, cidr))
                assert isinstance(row, PrefixRow)
                assert row.reservations == len(self.ranges)
                return (FreeRanges(tx, ROOT_NAMESPACE, cidr).free(row),
                        Reservations(tx, ROOT_NAMESPACE, cidr).held())

            return self.store.run(read, readonly=True)

    return ReservedMachine


_fast = settings(max_examples=200, stateful_step_count=50, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])
_sqlite = settings(max_examples=25, stateful_step_count=30, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow])

TestReservedIpv4Memory = machine_for(4, memory_store).TestCase
TestReservedIpv4Memory.settings = _fast
TestReservedIpv6Memory = machine_for(6, memory_store).TestCase
TestReservedIpv6Memory.settings = _fast
TestReservedIpv4Sqlite = pytest.mark.sqlite(machine_for(4, sqlite_store).TestCase)
TestReservedIpv4Sqlite.settings = _sqlite
