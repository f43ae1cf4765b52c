"""Prefix rows written before the lowest free range was kept in the row still work (converted on first use)."""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from metalnet.ipam import Ipamer, IpamError, layout
from metalnet.ipam.addresses import parse_cidr
from metalnet.ipam.free_ranges import FreeRanges
from metalnet.ipam.namespaces import ROOT_NAMESPACE
from metalnet.storage import Storage
from metalnet.storage.base import Transaction
from metalnet.storage.rows import LEGACY_RANGES, PrefixRow

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
