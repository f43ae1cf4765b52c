"""Prefix rows written before the lowest free range and the free tail were kept in the row still work."""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from metalnet.ipam import Ipamer, IpamError, Prefix, layout
from metalnet.ipam.addresses import parse_cidr
from metalnet.ipam.free_blocks import FreeBlocks, smallest_blocks
from metalnet.ipam.free_ranges import FreeRanges
from metalnet.ipam.namespaces import ROOT_NAMESPACE
from metalnet.storage import Storage
from metalnet.storage.base import Transaction
from metalnet.storage.rows import LEGACY_RANGES, LEGACY_TAIL, PrefixRow

PREFIX = "10.0.0.0/27"


def _free(storage: Storage) -> list[tuple[int, int]]:
    cidr = parse_cidr(PREFIX)

    def read(tx: Transaction) -> list[tuple[int, int]]:
        row = tx.get(layout.prefix_key(ROOT_NAMESPACE, cidr))
        assert isinstance(row, PrefixRow)
        return FreeRanges(tx, ROOT_NAMESPACE, cidr).free(row)

    return storage.run(read, readonly=True)


def _to_legacy(storage: Storage) -> None:
    """Rewrite the prefix as the old layout stored it: every free range a key, nothing in the row."""
    cidr = parse_cidr(PREFIX)
    ranges = _free(storage)

    def rewrite(tx: Transaction) -> None:
        key = layout.prefix_key(ROOT_NAMESPACE, cidr)
        row = tx.get(key)
        assert isinstance(row, PrefixRow)
        FreeRanges(tx, ROOT_NAMESPACE, cidr).remove_all(row)
        fresh = ranges == [(cidr.first + 1, cidr.last - 1)]
        if not fresh:
            for first, last in ranges:
                tx.put(layout.range_key(ROOT_NAMESPACE, cidr, last), first)
        tx.put(key, replace(row, lowest_free_first=LEGACY_RANGES, lowest_free_last=LEGACY_RANGES,
                            ips_stored=not fresh))

    storage.run(rewrite)


def _play(ipam: Ipamer) -> list[str]:
    """A fixed mix of operations; what each returned or raised."""
    outcomes = []
    steps = [
        lambda: ipam.acquire_ip(PREFIX),
        lambda: ipam.acquire_specific_ip(PREFIX, "10.0.0.9"),
        lambda: ipam.release_ip_from_prefix(PREFIX, "10.0.0.3"),
        lambda: ipam.acquire_ip(PREFIX),
        lambda: ipam.acquire_ip(PREFIX),
        lambda: ipam.release_ip_from_prefix(PREFIX, "10.0.0.30"),
        lambda: ipam.acquire_specific_ip(PREFIX, "10.0.0.12"),
    ]
    for step in steps:
        try:
            outcomes.append(str(step()))
        except IpamError as exc:
            outcomes.append(type(exc).__name__)
    return outcomes


@pytest.mark.parametrize(
    "taken", [[], [1, 2, 3, 5, 8], list(range(1, 31)), [4, 30]], ids=["fresh", "gaps", "full", "ends"]
)
def test_a_legacy_row_behaves_as_a_current_one(storage: Storage, taken: list[int]) -> None:
    reference = Ipamer()
    for ipam in (reference, Ipamer(storage=storage)):
        ipam.new_prefix(PREFIX)
        for last in taken:
            ipam.acquire_specific_ip(PREFIX, f"10.0.0.{last}")
    _to_legacy(storage)
    converted = Ipamer(storage=storage)
    assert converted.prefix_from(PREFIX).usage().acquired_ips == len(taken) + 2
    assert _free(storage) == _free(reference.storage)
    assert _play(converted) == _play(reference)
    assert _free(storage) == _free(reference.storage)


PARENT = "10.1.0.0/24"


def _blocks(storage: Storage) -> list[str]:
    cidr = parse_cidr(PARENT)

    def read(tx: Transaction) -> list[str]:
        row = tx.get(layout.prefix_key(ROOT_NAMESPACE, cidr))
        assert isinstance(row, PrefixRow)
        return [str(block) for block in FreeBlocks(tx, ROOT_NAMESPACE, cidr).listing(row)]

    return storage.run(read, readonly=True)


def _blocks_to_legacy(storage: Storage) -> None:
    """Rewrite the parent as the old layout stored it: every free block a key (or none while fresh)."""
    cidr = parse_cidr(PARENT)
    blocks = [parse_cidr(text) for text in _blocks(storage)]

    def rewrite(tx: Transaction) -> None:
        key = layout.prefix_key(ROOT_NAMESPACE, cidr)
        row = tx.get(key)
        assert isinstance(row, PrefixRow)
        FreeBlocks(tx, ROOT_NAMESPACE, cidr).remove_all(row)
        fresh = blocks == [cidr]
        lengths = 0
        if not fresh:
            for block in blocks:
                tx.put(layout.block_key(ROOT_NAMESPACE, cidr, block.length, block.first), 1)
                lengths |= 1 << block.length
        tx.put(key, replace(row, free_tail=LEGACY_TAIL, blocks_stored=not fresh,
                            free_lengths=1 << cidr.length if fresh else lengths,
                            free_smallest=sum(smallest_blocks(cidr, block.length) for block in blocks)))

    storage.run(rewrite)


def _play_children(ipam: Ipamer) -> list[str]:
    outcomes = []
    steps = [
        lambda: ipam.acquire_child_prefix(PARENT, 26),
        lambda: ipam.acquire_child_prefix(PARENT, 28),
        lambda: ipam.acquire_specific_child_prefix(PARENT, "10.1.0.224/27"),
        lambda: ipam.release_child_prefix("10.1.0.64/26"),
        lambda: ipam.acquire_child_prefix(PARENT, 25),
        lambda: ipam.prefix_from(PARENT).usage().available_smallest_prefixes,
        lambda: ipam.release_child_prefix("10.1.0.0/26"),
        lambda: ipam.acquire_child_prefix(PARENT, 30),
        lambda: ipam.prefix_from(PARENT).usage().available_prefixes,
    ]
    for step in steps:
        try:
            outcome = step()
            outcomes.append(outcome.cidr if isinstance(outcome, Prefix) else str(outcome))
        except IpamError as exc:
            outcomes.append(type(exc).__name__)
    return outcomes


@pytest.mark.parametrize(
    "children", [[], ["10.1.0.0/26", "10.1.0.64/26"], ["10.1.0.128/25"], ["10.1.0.0/26", "10.1.0.192/26"]],
    ids=["fresh", "bottom", "top", "ends"],
)
def test_a_legacy_parent_behaves_as_a_current_one(storage: Storage, children: list[str]) -> None:
    reference = Ipamer()
    for ipam in (reference, Ipamer(storage=storage)):
        ipam.new_prefix(PARENT)
        for child in children:
            ipam.acquire_specific_child_prefix(PARENT, child)
    _blocks_to_legacy(storage)
    converted = Ipamer(storage=storage)
    assert _blocks(storage) == _blocks(reference.storage)
    usage, expected = converted.prefix_from(PARENT).usage(), reference.prefix_from(PARENT).usage()
    assert usage == expected
    assert _play_children(converted) == _play_children(reference)
    assert _blocks(storage) == _blocks(reference.storage)


def test_a_refusal_on_a_legacy_parent_lists_the_free_blocks_it_has(storage: Storage) -> None:
    # the free /26 at the top is absorbed into the free tail when the row is converted; the refusal of a
    # /25 must still name it, as it does on a current row
    reference = Ipamer()
    for ipam in (reference, Ipamer(storage=storage)):
        ipam.new_prefix(PARENT)
        for child in ("10.1.0.0/26", "10.1.0.64/26", "10.1.0.128/26"):
            ipam.acquire_specific_child_prefix(PARENT, child)
    _blocks_to_legacy(storage)
    messages = []
    for ipam in (Ipamer(storage=storage), reference):
        with pytest.raises(IpamError) as refused:
            ipam.acquire_child_prefix(PARENT, 25)
        messages.append(str(refused.value))
    assert messages[0] == messages[1]
    assert "10.1.0.192/26" in messages[0]
