"""The free address ranges of one prefix: where its next IP comes from.

A range is stored under its *last* address with its first address as value
(``layout.range_key``), so the lowest free address is the first key of the bucket and taking it rewrites one
value. A fresh prefix stores no range: its one free range (all but the reserved addresses) is implied by
``PrefixRow.ips_stored == False`` and becomes a key when something changes it, and again implied when a
release brings the prefix back to its fresh state.
"""

from __future__ import annotations

from msgspec.structs import replace

from metalnet.ipam import layout
from metalnet.ipam.addresses import Cidr
from metalnet.storage.base import Transaction
from metalnet.storage.rows import PrefixRow


def reserved_count(cidr: Cidr) -> int:
    """Addresses reserved at creation: network and broadcast for IPv4 (one for a /32), network for IPv6."""
    return 2 if cidr.version == 4 and cidr.length < 32 else 1


def fresh_range(prefix: Cidr) -> tuple[int, int]:
    """The free address range of a fresh prefix (empty when ``low > high``)."""
    return prefix.first + 1, prefix.last - 1 if prefix.version == 4 else prefix.last


class FreeRanges:
    """Ordered free ranges of ``prefix``; every method returns the prefix row with its counters moved."""

    def __init__(self, tx: Transaction, namespace: str, prefix: Cidr) -> None:
        self.tx = tx
        self.prefix = prefix
        self.space = layout.range_space(namespace, prefix)

    def take_lowest(self, row: PrefixRow) -> tuple[int, PrefixRow] | None:
        """Acquire the lowest free address; ``None`` when the prefix is full."""
        if row.ips_stored:
            found = self.tx.first(self.space, self.space)
        else:  # the implied range: take its first address straight away
            low, high = fresh_range(self.prefix)
            found = ((*self.space, high), low) if low <= high else None
        if found is None:
            return None
        key, start = found
        assert isinstance(start, int)
        if start == key[-1]:
            self.tx.delete(key)
        else:
            self.tx.put(key, start + 1)
        return start, replace(row, acquired_ips=row.acquired_ips + 1, ips_stored=True)

    def take(self, row: PrefixRow, address: int) -> PrefixRow | None:
        """Acquire ``address`` (inside the prefix); ``None`` when it is taken already."""
        row = self._stored(row)
        found = self.tx.first((*self.space, address), self.space)
        if found is None or int(found[1]) > address:  # type: ignore[arg-type]
            return None
        key, start = found
        assert isinstance(start, int)
        if start < address:
            self.tx.put((*self.space, address - 1), start)
        if address < int(key[-1]):
            self.tx.put(key, address + 1)
        else:
            self.tx.delete(key)
        return replace(row, acquired_ips=row.acquired_ips + 1)

    def give_back(self, row: PrefixRow, address: int) -> PrefixRow | None:
        """Release ``address`` (inside the prefix), merging with its neighbours; ``None`` when it is free."""
        row = self._stored(row)
        above = self.tx.first((*self.space, address), self.space)
        if above is not None and int(above[1]) <= address:  # type: ignore[arg-type]
            return None
        start = address
        if address > self.prefix.first:
            below_key = (*self.space, address - 1)
            below_start = self.tx.get(below_key)
            if below_start is not None:
                assert isinstance(below_start, int)
                self.tx.delete(below_key)
                start = below_start
        merged_key = above[0] if above is not None and above[1] == address + 1 else (*self.space, address)
        row = replace(row, acquired_ips=row.acquired_ips - 1)
        if row.acquired_ips == reserved_count(self.prefix) and (start, merged_key[-1]) == fresh_range(self.prefix):
            self.tx.delete(merged_key)  # back to the fresh state: the range is implied again
            return replace(row, ips_stored=False)
        self.tx.put(merged_key, start)
        return row

    def free(self, row: PrefixRow) -> list[tuple[int, int]]:
        """The free ranges as inclusive (first, last) pairs, lowest first."""
        if not row.ips_stored:
            low, high = fresh_range(self.prefix)
            return [(low, high)] if low <= high else []
        return [(int(start), int(key[-1])) for key, start in self.tx.scan(self.space)]  # type: ignore[arg-type]

    def replace_all(self, row: PrefixRow, taken: list[int]) -> PrefixRow:
        """Make exactly ``taken`` (sorted, distinct, inside the prefix) the acquired addresses."""
        self.remove_all(row)
        cursor = self.prefix.first
        for address in [*taken, self.prefix.last + 1]:
            if address > cursor:
                self.tx.put((*self.space, address - 1), cursor)
            cursor = address + 1
        return replace(row, acquired_ips=len(taken), ips_stored=True)

    def remove_all(self, row: PrefixRow) -> None:
        if row.ips_stored:
            for key, _ in self.tx.scan(self.space):
                self.tx.delete(key)

    def _stored(self, row: PrefixRow) -> PrefixRow:
        """Make the implied range of a fresh prefix a stored key, before changing the ranges."""
        if row.ips_stored:
            return row
        low, high = fresh_range(self.prefix)
        if low <= high:
            self.tx.put((*self.space, high), low)
        return replace(row, ips_stored=True)
