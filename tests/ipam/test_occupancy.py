"""The occupancy map, child coverage and per-namespace usage of :mod:`metalnet.ipam.occupancy`."""

from __future__ import annotations

import ipaddress
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metalnet.ipam import InvalidInputError, Ipamer, IpamSession, NoPrefixAvailableError, NotFoundError
from metalnet.ipam.occupancy import MAP_BITS, IpamReader, Occupancy, allocated_ips
from metalnet.storage import MemoryStorage, Storage


def reader(ipam: Ipamer) -> IpamReader:
    return IpamReader(ipam.storage)


def brute(cidr: str, block: str, cells: int, acquired: set[int]) -> list[int]:
    """Acquired addresses per cell, counted address by address."""
    net = ipaddress.ip_network(block)
    size = net.num_addresses // cells
    first = int(net.network_address)
    return [sum(1 for a in range(first + i * size, first + (i + 1) * size) if a in acquired) for i in range(cells)]


def test_ipv4_16_has_256_cells_of_24(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/16")
    found = reader(ipam).occupancy("10.0.0.0/16")
    assert (len(found.cells), found.cell_length, found.columns, found.mode) == (256, 24, 16, "addresses")
    assert found.cells[0].cidr == "10.0.0.0/24"
    assert found.cells[-1].cidr == "10.0.255.0/24"
    # the network address and the broadcast address are reserved; nothing else is used
    assert [c.state for c in found.cells].count("free") == 254
    assert (found.cells[0].state, found.cells[0].reserved, found.cells[-1].reserved) == ("reserved", 1, 1)
    assert found.parent_block is None


def test_ipv6_48_has_256_cells_of_56(ipam: Ipamer) -> None:
    ipam.new_prefix("2001:db8::/48")
    found = reader(ipam).occupancy("2001:db8::/48")
    assert (len(found.cells), found.cell_length) == (256, 56)
    assert found.cells[1].cidr == "2001:db8:0:100::/56"
    assert found.cells[0].reserved == 1
    assert found.cells[-1].reserved == 0


def test_addresses_are_counted_per_cell_and_zoom_goes_down_to_single_addresses(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/16")
    for _ in range(300):
        ipam.acquire_ip("10.0.0.0/16")
    view = reader(ipam)
    top = view.occupancy("10.0.0.0/16")
    assert [c.taken for c in top.cells[:3]] == [255, 45, 0]
    assert [c.state for c in top.cells[:3]] == ["taken", "partial", "free"]
    zoomed = view.occupancy("10.0.0.0/16", "10.0.1.0/24")
    assert (zoomed.cell_length, len(zoomed.cells), zoomed.parent_block) == (32, 256, "10.0.0.0/16")
    assert [c.state for c in zoomed.cells[44:47]] == ["taken", "free", "free"]
    assert sum(c.taken for c in zoomed.cells) == 45
    first = view.occupancy("10.0.0.0/16", "10.0.0.0/24")
    assert first.cells[0].state == "reserved"
    assert first.cells[1].state == "taken"


def test_children_mode_counts_child_prefixes(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/16")
    ipam.acquire_child_prefix("10.0.0.0/16", 22)
    ipam.acquire_specific_child_prefix("10.0.0.0/16", "10.0.128.0/25")
    view = reader(ipam)
    found = view.occupancy("10.0.0.0/16")
    assert found.mode == "children"
    assert [c.state for c in found.cells[:5]] == ["taken"] * 4 + ["free"]
    assert (found.cells[128].state, found.cells[128].taken) == ("partial", 128)
    assert sum(c.reserved for c in found.cells) == 0
    uses = {use.prefix.cidr: use for use in view.namespaces()["root"]}
    assert uses["10.0.0.0/16"].child_addresses == 1024 + 128
    assert uses["10.0.0.0/16"].usage.acquired_prefixes == 2
    assert list(uses) == ["10.0.0.0/16", "10.0.0.0/22", "10.0.128.0/25"]  # parents before children
    assert [use.depth for use in uses.values()] == [0, 1, 1]


def test_small_prefix_has_one_cell_per_address(ipam: Ipamer) -> None:
    ipam.new_prefix("192.168.0.0/30")
    found = reader(ipam).occupancy("192.168.0.0/30")
    assert [c.state for c in found.cells] == ["reserved", "free", "free", "reserved"]
    assert found.columns == 2


def test_namespaces_are_listed_with_their_prefixes(ipam: Ipamer) -> None:
    ipam.create_namespace("tenant-a")
    ipam.new_prefix("172.16.0.0/24", namespace="tenant-a")
    found = reader(ipam).namespaces()
    assert list(found) == ["root", "tenant-a"]
    assert [u.prefix.cidr for u in found["tenant-a"]] == ["172.16.0.0/24"]
    assert found["tenant-a"][0].usage.acquired_ips == 2
    assert found["tenant-a"][0].size == 256


def test_bad_blocks_and_unknown_prefixes_are_refused(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/16")
    view = reader(ipam)
    with pytest.raises(InvalidInputError, match=re.escape("10.1.0.0/24")):
        view.occupancy("10.0.0.0/16", "10.1.0.0/24")
    with pytest.raises(InvalidInputError, match=re.escape("10.0.0.0/8")):
        view.occupancy("10.0.0.0/16", "10.0.0.0/8")
    with pytest.raises(NotFoundError, match=re.escape("10.9.0.0/16")):
        view.occupancy("10.9.0.0/16")


def _check_against_brute(found: Occupancy, acquired: set[int], reserved: set[int]) -> None:
    taken = brute("10.0.0.0/24", found.block, len(found.cells), acquired - reserved)
    kept = brute("10.0.0.0/24", found.block, len(found.cells), acquired & reserved)
    assert [c.taken for c in found.cells] == taken
    assert [c.reserved for c in found.cells] == kept


@settings(max_examples=40, deadline=None)
@given(ops=st.lists(st.tuples(st.booleans(), st.integers(1, 254)), max_size=60))
def test_map_matches_the_acquired_addresses(ops: list[tuple[bool, int]]) -> None:
    """Any sequence of acquires and releases: every cell counts exactly the acquired addresses in it."""
    storage: Storage = MemoryStorage()
    ipam = Ipamer(storage)
    ipam.new_prefix("10.0.0.0/24")
    base = int(ipaddress.ip_address("10.0.0.0"))
    acquired = {base, base + 255}
    for take, offset in ops:
        address = str(ipaddress.ip_address(base + offset))
        if take and base + offset not in acquired:
            ipam.acquire_specific_ip("10.0.0.0/24", address)
            acquired.add(base + offset)
        elif not take and base + offset in acquired:
            ipam.release_ip_from_prefix("10.0.0.0/24", address)
            acquired.discard(base + offset)
    view = IpamReader(storage)
    _check_against_brute(view.occupancy("10.0.0.0/24"), acquired, {base, base + 255})
    _check_against_brute(view.occupancy("10.0.0.0/24", "10.0.0.64/26"), acquired, {base, base + 255})


@settings(max_examples=30, deadline=None)
@given(lengths=st.lists(st.integers(18, 28), max_size=12), release=st.sets(st.integers(0, 11)))
def test_map_matches_the_child_prefixes(lengths: list[int], release: set[int]) -> None:
    storage: Storage = MemoryStorage()
    ipam = Ipamer(storage)
    ipam.new_prefix("10.0.0.0/16")
    children = []
    for length in lengths:
        try:
            children.append(ipam.acquire_child_prefix("10.0.0.0/16", length).cidr)
        except NoPrefixAvailableError:  # the prefix is full: the map is checked all the same
            continue
    for i in sorted(release):
        if i < len(children):
            ipam.release_child_prefix(children[i])
    kept = [c for i, c in enumerate(children) if i not in release]
    found = IpamReader(storage).occupancy("10.0.0.0/16")
    covered = [0] * (1 << MAP_BITS)
    for cidr in kept:
        net = ipaddress.ip_network(cidr)
        for i, cell in enumerate(found.cells):
            overlap = ipaddress.ip_network(cell.cidr)
            if net.overlaps(overlap):
                covered[i] += min(net.num_addresses, overlap.num_addresses)
    assert [c.taken for c in found.cells] == covered
    assert sum(u.child_addresses for u in IpamReader(storage).namespaces()["root"][:1]) == sum(covered)


def test_all_prefix_counters_equal_each_prefix_counters(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/16")
    ipam.acquire_child_prefix("10.0.0.0/16", 24)
    ipam.new_prefix("2001:db8::/64")
    ipam.acquire_ip("2001:db8::/64")
    found = ipam.storage.run(lambda tx: IpamSession(tx).all_prefix_counters(), readonly=True)
    assert list(found) == ["10.0.0.0/16", "10.0.0.0/24", "2001:db8::/64"]
    for cidr, usage in found.items():
        assert usage == ipam.storage.run(lambda tx, cidr=cidr: IpamSession(tx).prefix_counters(cidr), readonly=True)


def test_child_limit_lists_the_first_child_prefixes(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/16")
    for _ in range(5):
        ipam.acquire_child_prefix("10.0.0.0/16", 24)
    uses = reader(ipam).namespaces(child_limit=2)["root"]
    assert [(u.prefix.cidr, u.depth, u.hidden_children) for u in uses] == [
        ("10.0.0.0/16", 0, 3), ("10.0.0.0/24", 1, 0), ("10.0.1.0/24", 1, 0)]


@pytest.mark.parametrize("count", [3, 70])
def test_uses_read_one_by_one_or_in_one_scan_agree(ipam: Ipamer, count: int) -> None:
    ipam.new_prefix("10.0.0.0/16")
    for i in range(count):
        child = ipam.acquire_child_prefix("10.0.0.0/16", 26).cidr
        for _ in range(i % 4):
            ipam.acquire_ip(child)
    for use in reader(ipam).namespaces()["root"]:
        assert use.usage == ipam.storage.run(
            lambda tx, cidr=use.prefix.cidr: IpamSession(tx).prefix_counters(cidr), readonly=True)


def test_reserved_ranges_show_as_reserved_until_acquired(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/16")
    ipam.reserve_range("10.0.0.0/16", "10.0.1.0", "10.0.2.255", description="dhcp")
    ipam.acquire_specific_ip("10.0.0.0/16", "10.0.1.7", reserved=True)
    ipam.acquire_ip("10.0.0.0/16")
    found = reader(ipam).occupancy("10.0.0.0/16")
    assert [(c.taken, c.reserved, c.state) for c in found.cells[:4]] == [
        (1, 1, "partial"), (1, 255, "taken"), (0, 256, "reserved"), (0, 0, "free")]
    zoomed = reader(ipam).occupancy("10.0.0.0/16", "10.0.1.0/24")
    assert [c.state for c in zoomed.cells[6:9]] == ["reserved", "taken", "reserved"]
    assert ipam.storage.run(lambda tx: allocated_ips(IpamSession(tx), "10.0.0.0/16"), readonly=True) == 2
