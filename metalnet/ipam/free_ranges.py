"""The free address ranges of one prefix: where its next IP comes from.

The *lowest* free range lives in the prefix row itself (``PrefixRow.lowest_free_first/last``); every other
free range is a key under its *last* address with its first address as value (``layout.range_key``). So the
common operations touch the prefix row alone: taking the lowest free address, and giving back the address
just below the lowest free range (go-ipam's acquire+release loop, and a prefix filling up from the bottom).
A fresh prefix is one row: its one free range is the lowest.

Invariants: the row's range is empty only when the prefix is full (no range keys then); every range key lies
above the row's range, and no two ranges touch (they would have been merged). ``ips_stored`` tells whether
range keys may exist, so that a prefix without gaps costs no look-up; it is cleared again when the row's range
holds every free address, so a prefix that returns to its fresh state is again exactly one fresh row.
"""

from __future__ import annotations

from msgspec.structs import replace

from metalnet.ipam import layout
from metalnet.ipam.addresses import Cidr
from metalnet.ipam.rows import PrefixRow
from metalnet.storage.base import Key, Transaction


def reserved_count(cidr: Cidr) -> int:
    """Addresses reserved at creation: network and broadcast for IPv4 (one for a /32), network for IPv6."""
    return 2 if cidr.version == 4 and cidr.length < 32 else 1


def fresh_range(prefix: Cidr) -> tuple[int, int]:
    """The free address range of a fresh prefix (empty when ``low > high``)."""
    return prefix.first + 1, prefix.last - 1 if prefix.version == 4 else prefix.last


def take_stored(tx: Transaction, space: Key, address: int) -> bool:
    """Take ``address`` out of the ranges stored in ``space`` (each a key under its last address with its first
    address as value; the reserved ranges' held addresses are kept so too); False when none holds it."""
    found = tx.first((*space, address), space)
    if found is None:
        return False
    key, start = found
    assert isinstance(start, int)
    if start > address:
        return False
    if start < address:
        tx.put((*space, address - 1), start)
    if address < int(key[-1]):
        tx.put(key, address + 1)
    else:
        tx.delete(key)
    return True


class FreeRanges:
    """Ordered free ranges of ``prefix``; every method takes the prefix row and returns it changed."""

    def __init__(self, tx: Transaction, namespace: str, prefix: Cidr) -> None:
        self.tx = tx
        self.namespace = namespace
        self.prefix = prefix

    @property
    def space(self) -> Key:
        """The bucket of the stored ranges (the common operations never need it, so it is not kept)."""
        return layout.range_space(self.namespace, self.prefix)

    def take_lowest(self, row: PrefixRow) -> tuple[int, PrefixRow] | None:
        """Acquire the lowest free address; ``None`` when the prefix is full."""
        low, high = row.lowest_free_first, row.lowest_free_last
        if low < high or (low == high and not row.ips_stored):
            return low, replace(row, acquired_ips=row.acquired_ips + 1, lowest_free_first=low + 1)
        if low > high:
            return None
        # the row's range runs empty: the lowest stored range takes its place (one look-up, one delete)
        found = self.tx.pop_first(self.space)
        if found is None:
            return low, replace(row, acquired_ips=row.acquired_ips + 1, lowest_free_first=low + 1,
                                ips_stored=False)
        key, start = found
        last = key[-1]
        assert isinstance(last, int)
        assert isinstance(start, int)
        acquired = row.acquired_ips + 1
        # no range key left when the promoted range holds every free address (as _tidy, inline: hot path)
        stored = last - start + 1 != (1 << ((32 if row.version == 4 else 128) - row.length)) - acquired
        return low, replace(row, acquired_ips=acquired, lowest_free_first=start, lowest_free_last=last,
                            ips_stored=stored)

    def take_lowest_run(self, row: PrefixRow, count: int) -> tuple[list[tuple[int, int]], PrefixRow]:
        """Acquire the ``count`` lowest free addresses as inclusive (first, last) runs, lowest first.

        Each free range is taken whole or in part with one row change (and one ``pop_first`` when the next
        stored range moves into the row), so the cost grows with the number of ranges crossed, not with
        ``count``. Fewer than ``count`` addresses are taken only when the prefix runs full: the caller checks
        :meth:`free_count` first when it needs all or nothing.
        """
        runs: list[tuple[int, int]] = []
        while count > 0:
            low, high = row.lowest_free_first, row.lowest_free_last
            if low > high:
                break
            taken = min(count, high - low + 1)
            runs.append((low, low + taken - 1))
            count -= taken
            row = self._promote(replace(row, acquired_ips=row.acquired_ips + taken, lowest_free_first=low + taken))
        return runs, row

    def free_count(self, row: PrefixRow) -> int:
        """How many addresses of the prefix are free (uncapped; reserved ones count as acquired)."""
        return self.prefix.size - row.acquired_ips

    def take(self, row: PrefixRow, address: int) -> PrefixRow | None:
        """Acquire ``address`` (inside the prefix); ``None`` when it is taken already."""
        low, high = row.lowest_free_first, row.lowest_free_last
        if address < low or low > high:
            return None  # below the lowest free address everything is taken
        if address <= high:
            row = replace(row, acquired_ips=row.acquired_ips + 1)
            if address == low:
                return self._promote(replace(row, lowest_free_first=low + 1))
            if address < high:  # the part above the address becomes a stored range
                self.tx.put((*self.space, high), address + 1)
                row = replace(row, ips_stored=True)
            return replace(row, lowest_free_last=address - 1)
        if not row.ips_stored or not take_stored(self.tx, self.space, address):
            return None
        return self._tidy(replace(row, acquired_ips=row.acquired_ips + 1))

    def give_back(self, row: PrefixRow, address: int) -> PrefixRow | None:
        """Release ``address`` (inside the prefix), merging with its neighbours; ``None`` when it is free."""
        low = row.lowest_free_first
        if address == low - 1 and low <= row.lowest_free_last:  # the hot case, inline: just below the lowest
            return replace(row, acquired_ips=row.acquired_ips - 1, lowest_free_first=address)
        return self.give_back_span(row, address, address)

    def give_back_span(self, row: PrefixRow, first: int, last: int) -> PrefixRow | None:
        """Make ``first``-``last`` (inside the prefix) free, merging with its neighbours; ``None`` (and nothing
        changed) when an address of it is free already."""
        low, high = row.lowest_free_first, row.lowest_free_last
        row = replace(row, acquired_ips=row.acquired_ips - (last - first + 1))
        if low > high:  # the prefix was full: the span is its only free range now
            return replace(row, lowest_free_first=first, lowest_free_last=last)
        if last < low - 1:  # a new lowest range; the old one becomes a stored range
            self.tx.put((*self.space, high), low)
            return replace(row, lowest_free_first=first, lowest_free_last=last, ips_stored=True)
        if last == low - 1:
            return replace(row, lowest_free_first=first)
        if first <= high:
            return None
        # the first stored range at or above the span: it overlaps the span, or it is the range just above
        above = self.tx.first((*self.space, first), self.space) if row.ips_stored else None
        above_start = above[1] if above is not None else None
        assert above_start is None or isinstance(above_start, int)
        if above_start is not None and above_start <= last:
            return None
        joins_above = above_start == last + 1
        if first == high + 1:  # grows the lowest range, which may now reach the range above
            if above is not None and joins_above:
                self.tx.delete(above[0])
                return self._tidy(replace(row, lowest_free_last=int(above[0][-1])))
            return replace(row, lowest_free_last=last)
        start = first
        below_key = (*self.space, first - 1)
        below_start = self.tx.get(below_key) if row.ips_stored else None
        if below_start is not None:
            assert isinstance(below_start, int)
            self.tx.delete(below_key)
            start = below_start
        merged_key = above[0] if above is not None and joins_above else (*self.space, last)
        self.tx.put(merged_key, start)
        return replace(row, ips_stored=True)

    def overlapping(self, row: PrefixRow, first: int, last: int) -> list[tuple[int, int]]:
        """The free ranges sharing an address with ``first``-``last``, whole (not clipped), lowest first; one
        seek per stored range."""
        low, high = row.lowest_free_first, row.lowest_free_last
        found: list[tuple[int, int]] = []
        if low <= high and low <= last and first <= high:
            found.append((low, high))
        if not row.ips_stored or last <= high:
            return found
        entry = self.tx.first((*self.space, max(first, high + 1)), self.space)
        while entry is not None:
            key, start = entry
            end = int(key[-1])
            assert isinstance(start, int)
            if start > last:
                break
            found.append((start, end))
            entry = self.tx.first((*self.space, end + 1), self.space) if end < last else None
        return found

    def take_span(self, row: PrefixRow, first: int, last: int) -> PrefixRow:
        """Take every free address in ``first``-``last`` out of the free ranges (counted in ``acquired_ips``)."""
        low, high = row.lowest_free_first, row.lowest_free_last
        taken = 0
        for start, end in self.overlapping(row, first, last):
            taken += min(end, last) - max(start, first) + 1
            if start == low:  # the row's range: what is left below stays, what is left above is stored
                if low < first:
                    if last < high:
                        self.tx.put((*self.space, high), last + 1)
                        row = replace(row, ips_stored=True)
                    row = replace(row, lowest_free_last=first - 1)
                else:
                    row = replace(row, lowest_free_first=min(last, high) + 1)
                continue
            self.tx.delete((*self.space, end))
            if start < first:
                self.tx.put((*self.space, first - 1), start)
            if end > last:
                self.tx.put((*self.space, end), last + 1)
        return self._tidy(self._promote(replace(row, acquired_ips=row.acquired_ips + taken)))

    def free(self, row: PrefixRow) -> list[tuple[int, int]]:
        """The free ranges as inclusive (first, last) pairs, lowest first."""
        low, high = row.lowest_free_first, row.lowest_free_last
        if low > high:
            return []
        return [(low, high), *(self._stored() if row.ips_stored else ())]

    def replace_all(self, row: PrefixRow, taken: list[int]) -> PrefixRow:
        """Make exactly ``taken`` (sorted, distinct, inside the prefix) the acquired addresses."""
        self.remove_all(row)
        ranges, cursor = [], self.prefix.first
        for address in [*taken, self.prefix.last + 1]:
            if address > cursor:
                ranges.append((cursor, address - 1))
            cursor = address + 1
        low, high = ranges[0] if ranges else (1, 0)
        for start, last in ranges[1:]:
            self.tx.put((*self.space, last), start)
        return replace(row, acquired_ips=len(taken), lowest_free_first=low, lowest_free_last=high,
                       ips_stored=len(ranges) > 1)

    def remove_all(self, row: PrefixRow) -> None:
        if row.ips_stored:
            for key, _ in self.tx.scan(self.space):
                self.tx.delete(key)

    def _stored(self) -> list[tuple[int, int]]:
        ranges = []
        for key, start in self.tx.scan(self.space):
            last = key[-1]
            assert isinstance(start, int)
            assert isinstance(last, int)
            ranges.append((start, last))
        return ranges

    def _promote(self, row: PrefixRow) -> PrefixRow:
        """If the row's range ran empty, move the lowest stored range into the row."""
        if row.lowest_free_first <= row.lowest_free_last or not row.ips_stored:
            return row
        found = self.tx.pop_first(self.space)
        if found is None:
            return replace(row, ips_stored=False)
        key, start = found
        assert isinstance(start, int)
        return self._tidy(replace(row, lowest_free_first=start, lowest_free_last=int(key[-1])))

    def _tidy(self, row: PrefixRow) -> PrefixRow:
        """Clear ``ips_stored`` once the row's range holds every free address (no range key is left)."""
        in_row = max(0, row.lowest_free_last - row.lowest_free_first + 1)
        if row.ips_stored and in_row == self.prefix.size - row.acquired_ips:
            return replace(row, ips_stored=False)
        return row
