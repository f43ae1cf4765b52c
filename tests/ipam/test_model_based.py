"""Stateful property test: random operation sequences on the core agree with the brute-force model."""

from __future__ import annotations

import tempfile
from pathlib import Path

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
    NoPrefixAvailableError,
    NotFoundError,
    layout,
)
from metalnet.ipam.addresses import Cidr, capped, format_address, parse_address, parse_cidr
from metalnet.ipam.free_blocks import FreeBlocks
from metalnet.ipam.free_ranges import FreeRanges
from metalnet.ipam.namespaces import ROOT_NAMESPACE
from metalnet.ipam.rows import PrefixRow
from metalnet.storage import Storage, open_storage
from metalnet.storage.base import Transaction
from tests.strategies import (
    UNIVERSES,
    ModelPrefix,
    best_fit,
    cidrs_in,
    free_blocks,
    has_ips,
    reserved,
    smallest_available,
)


def machine_for(version: int, open_store: callable) -> type[RuleBasedStateMachine]:  # type: ignore[valid-type]
    universe = UNIVERSES[version]

    class IpamMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.store: Storage = open_store()
            self.ipam = Ipamer(storage=self.store)
            self.model: dict[Cidr, ModelPrefix] = {}

        def teardown(self) -> None:
            self.store.close()

        def pick(self, data: st.DataObject) -> ModelPrefix | None:
            if not self.model:
                return None
            return self.model[data.draw(st.sampled_from(sorted(self.model)))]

        def expect(self, error: type[IpamError] | None, call: callable) -> object:  # type: ignore[valid-type]
            if error is None:
                return call()
            with pytest.raises(error):
                call()
            return None

        @rule(cidr=cidrs_in(universe, universe.length))
        def new_prefix(self, cidr: Cidr) -> None:
            clash = any(p.parent is None and p.cidr.overlaps(cidr) for p in self.model.values())
            result = self.expect(ConflictError if clash else None, lambda: self.ipam.new_prefix(str(cidr)))
            if result is not None:
                self.model[cidr] = ModelPrefix(cidr, None, reserved(cidr))

        @precondition(lambda self: self.model)
        @rule(data=st.data())
        def acquire_ip(self, data: st.DataObject) -> None:
            prefix = self.pick(data)
            assert prefix is not None
            free = sorted(set(range(prefix.cidr.first, prefix.cidr.last + 1)) - prefix.acquired)
            error = ConflictError if prefix.children else (None if free else NoIPAvailableError)
            ip = self.expect(error, lambda: self.ipam.acquire_ip(str(prefix.cidr)))
            if ip is not None:
                assert parse_address(str(ip))[1] == free[0]
                prefix.acquired.add(free[0])

        @precondition(lambda self: self.model)
        @rule(data=st.data(), offset=st.integers(0, 2**10))
        def acquire_specific_ip(self, data: st.DataObject, offset: int) -> None:
            prefix = self.pick(data)
            assert prefix is not None
            address = prefix.cidr.first + offset % (prefix.cidr.size + 2)  # sometimes just outside
            text = format_address(version, address)
            if not prefix.cidr.first <= address <= prefix.cidr.last:
                error: type[IpamError] | None = InvalidInputError
            elif prefix.children:
                error = ConflictError
            elif address in prefix.acquired:
                error = AlreadyAllocatedError
            else:
                error = None
            if self.expect(error, lambda: self.ipam.acquire_specific_ip(str(prefix.cidr), text)) is not None:
                prefix.acquired.add(address)

        @precondition(lambda self: self.model)
        @rule(data=st.data(), offset=st.integers(0, 2**10))
        def release_ip(self, data: st.DataObject, offset: int) -> None:
            prefix = self.pick(data)
            assert prefix is not None
            address = prefix.cidr.first + offset % prefix.cidr.size
            error = None if address in prefix.acquired else NotFoundError
            text = format_address(version, address)
            if self.expect(error, lambda: self.ipam.release_ip_from_prefix(str(prefix.cidr), text)) is not None:
                prefix.acquired.discard(address)

        @precondition(lambda self: self.model)
        @rule(data=st.data(), extra=st.integers(0, 8))
        def acquire_child(self, data: st.DataObject, extra: int) -> None:
            prefix = self.pick(data)
            assert prefix is not None
            length = prefix.cidr.length + extra
            expected = best_fit(prefix, length) if extra > 0 and length <= prefix.cidr.width else None
            if extra == 0 or length > prefix.cidr.width:
                error: type[IpamError] | None = InvalidInputError
            elif has_ips(prefix):
                error = ConflictError
            elif expected is None:
                error = NoPrefixAvailableError
            else:
                error = None
            child = self.expect(error, lambda: self.ipam.acquire_child_prefix(str(prefix.cidr), length))
            if child is not None:
                assert expected is not None
                assert parse_cidr(child.cidr) == expected
                self.add_child(prefix, expected)

        @precondition(lambda self: self.model)
        @rule(data=st.data(), wanted=cidrs_in(universe, universe.length + 1))
        def acquire_specific_child(self, data: st.DataObject, wanted: Cidr) -> None:
            prefix = self.pick(data)
            assert prefix is not None
            inside = wanted.length > prefix.cidr.length and prefix.cidr.first <= wanted.first <= prefix.cidr.last
            free = inside and any(
                b.first <= wanted.first and wanted.last <= b.last for b in free_blocks(prefix)
            )
            if not inside:
                error: type[IpamError] | None = InvalidInputError
            elif has_ips(prefix):
                error = ConflictError
            elif not free:
                error = AlreadyAllocatedError
            else:
                error = None
            call = lambda: self.ipam.acquire_specific_child_prefix(str(prefix.cidr), str(wanted))  # noqa: E731
            if self.expect(error, call) is not None:
                self.add_child(prefix, wanted)

        def add_child(self, parent: ModelPrefix, child: Cidr) -> None:
            parent.children.add(child)
            self.model[child] = ModelPrefix(child, parent.cidr, reserved(child))

        @precondition(lambda self: self.model)
        @rule(data=st.data())
        def release_or_delete(self, data: st.DataObject) -> None:
            prefix = self.pick(data)
            assert prefix is not None
            blocked = has_ips(prefix) or bool(prefix.children)
            if prefix.parent is None:
                use_release = data.draw(st.booleans())
                if use_release:
                    self.expect(NotFoundError, lambda: self.ipam.release_child_prefix(str(prefix.cidr)))
                    return
            error = ConflictError if blocked else None
            if self.expect(error, lambda: self.ipam.delete_prefix(str(prefix.cidr))) is not None:
                del self.model[prefix.cidr]
                if prefix.parent is not None:
                    self.model[prefix.parent].children.discard(prefix.cidr)

        @invariant()
        def usage_agrees(self) -> None:
            assert sorted(self.ipam.read_all_prefix_cidrs()) == sorted(str(c) for c in self.model)
            for prefix in self.model.values():
                usage = self.ipam.prefix_usage(str(prefix.cidr))
                listed = [str(b) for b in free_blocks(prefix) if b.length <= prefix.cidr.width - 2]
                assert usage.acquired_ips == len(prefix.acquired)
                assert usage.acquired_prefixes == len(prefix.children)
                assert usage.available_ips == capped(prefix.cidr.size)
                assert usage.available_prefixes == listed
                assert usage.available_smallest_prefixes == smallest_available(prefix)
                assert self.stored_free_ranges(prefix.cidr) == free_runs(prefix)
                assert self.stored_free_blocks(prefix.cidr) == free_blocks(prefix)

        def stored_free_blocks(self, cidr: Cidr) -> list[Cidr]:
            def read(tx: Transaction) -> list[Cidr]:
                row = tx.get(layout.prefix_key(ROOT_NAMESPACE, cidr))
                assert isinstance(row, PrefixRow)
                return FreeBlocks(tx, ROOT_NAMESPACE, cidr).listing(row)

            return self.store.run(read, readonly=True)

        def stored_free_ranges(self, cidr: Cidr) -> list[tuple[int, int]]:
            def read(tx: Transaction) -> list[tuple[int, int]]:
                row = tx.get(layout.prefix_key(ROOT_NAMESPACE, cidr))
                assert isinstance(row, PrefixRow)
                return FreeRanges(tx, ROOT_NAMESPACE, cidr).free(row)

            return self.store.run(read, readonly=True)

    return IpamMachine


def free_runs(prefix: ModelPrefix) -> list[tuple[int, int]]:
    """The free addresses as maximal runs (first, last), lowest first: what the stored ranges must be."""
    runs: list[tuple[int, int]] = []
    for address in range(prefix.cidr.first, prefix.cidr.last + 1):
        if address in prefix.acquired:
            continue
        if runs and runs[-1][1] == address - 1:
            runs[-1] = (runs[-1][0], address)
        else:
            runs.append((address, address))
    return runs


def memory_store() -> Storage:
    return open_storage("memory://")


def sqlite_store() -> Storage:
    return open_storage(f"sqlite:///{Path(tempfile.mkdtemp()) / 'model.db'}")


_fast = settings(max_examples=150, stateful_step_count=40, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])
_sqlite = settings(max_examples=25, stateful_step_count=30, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow])

TestIpv4Memory = machine_for(4, memory_store).TestCase
TestIpv4Memory.settings = _fast
TestIpv6Memory = machine_for(6, memory_store).TestCase
TestIpv6Memory.settings = _fast
TestIpv4Sqlite = pytest.mark.sqlite(machine_for(4, sqlite_store).TestCase)
TestIpv4Sqlite.settings = _sqlite
TestIpv6Sqlite = pytest.mark.sqlite(machine_for(6, sqlite_store).TestCase)
TestIpv6Sqlite.settings = _sqlite
