"""The reserved address ranges of one prefix: addresses kept out of next-free allocation.

A reservation is a key under its *last* address with a :class:`~metalnet.ipam.rows.ReservationRow` (its first
address and description) as value (``layout.reservation_space``), as free ranges are stored: the one that
contains an address is the first key at or above it, one ordered look-up.

Its addresses that are not acquired are *held*: they are in no free range (so next-free allocation, which
only looks at the free ranges, never sees them and pays nothing for them) and stored as held ranges, keys
under their last address with their first address as value (``layout.held_space``). An acquisition that asks
for a reserved address takes it from the held ranges; a release of an address inside a reservation gives it
back to them. Each held range lies inside one reservation, and no two of one reservation touch (they are
merged; those of two adjacent reservations may touch, and stay apart).

The prefix row counts the reservations (``reservations``: while 0, no path looks anything up here) and the
held addresses (``reserved_free``); this module changes no row, the session does.
"""

from __future__ import annotations

from metalnet.ipam import layout
from metalnet.ipam.addresses import Cidr
from metalnet.ipam.free_ranges import take_stored
from metalnet.ipam.rows import ReservationRow
from metalnet.storage.base import Key, Transaction


class Reservations:
    """The reserved ranges of ``prefix`` and their held (not acquired) parts."""

    def __init__(self, tx: Transaction, namespace: str, prefix: Cidr) -> None:
        self.tx = tx
        self.space: Key = layout.reservation_space(namespace, prefix)
        self.held_space: Key = layout.held_space(namespace, prefix)

    def containing(self, address: int) -> tuple[int, int, str] | None:
        """The reservation ``(first, last, description)`` that holds ``address``, if any."""
        return self.overlapping(address, address)

    def overlapping(self, first: int, last: int) -> tuple[int, int, str] | None:
        """The lowest reservation that shares an address with ``first``-``last``, if any."""
        found = self.tx.first((*self.space, first), self.space)
        if found is None:
            return None
        key, row = found
        assert isinstance(row, ReservationRow)
        return (row.first, int(key[-1]), row.description) if row.first <= last else None

    def exact(self, first: int, last: int) -> tuple[int, int, str] | None:
        """The reservation that is exactly ``first``-``last``, if any."""
        row = self.tx.get((*self.space, last))
        if row is None:
            return None
        assert isinstance(row, ReservationRow)
        return (first, last, row.description) if row.first == first else None

    def listing(self) -> list[tuple[int, int, str]]:
        """Every reservation as ``(first, last, description)``, lowest first."""
        result = []
        for key, row in self.tx.scan(self.space):
            assert isinstance(row, ReservationRow)
            result.append((row.first, int(key[-1]), row.description))
        return result

    def add(self, first: int, last: int, description: str, held: list[tuple[int, int]]) -> None:
        """Store a reservation and its ``held`` ranges (inside it, lowest first, none touching)."""
        self.tx.insert((*self.space, last), ReservationRow(first, description))
        for start, end in held:
            self.tx.put((*self.held_space, end), start)

    def remove(self, first: int, last: int) -> list[tuple[int, int]]:
        """Delete the reservation ``first``-``last``; its held ranges (now deleted too), lowest first."""
        self.tx.delete((*self.space, last))
        held = self.held_within(first, last)
        for _, end in held:
            self.tx.delete((*self.held_space, end))
        return held

    def remove_all(self) -> None:
        for space in (self.space, self.held_space):
            for key, _ in self.tx.scan(space):
                self.tx.delete(key)

    def held_within(self, first: int, last: int) -> list[tuple[int, int]]:
        """The held ranges inside ``first``-``last`` (a reservation's bounds: none crosses them), lowest first."""
        held = []
        found = self.tx.first((*self.held_space, first), self.held_space)
        while found is not None:
            key, start = found
            end = int(key[-1])
            assert isinstance(start, int)
            if start > last:
                break
            held.append((start, end))
            found = self.tx.first((*self.held_space, end + 1), self.held_space)
        return held

    def held(self) -> list[tuple[int, int]]:
        """Every held range of the prefix, lowest first."""
        result = []
        for key, start in self.tx.scan(self.held_space):
            assert isinstance(start, int)
            result.append((start, int(key[-1])))
        return result

    def take(self, address: int) -> bool:
        """Acquire the held ``address``; False when it is not held (it is acquired already)."""
        return take_stored(self.tx, self.held_space, address)

    def give_back(self, address: int, first: int, last: int) -> bool:
        """Hold ``address`` of the reservation ``first``-``last`` again (released), merging with its neighbours
        in that reservation; False when it is held already (it was not acquired)."""
        above = self.tx.first((*self.held_space, address), self.held_space)
        if above is not None:
            assert isinstance(above[1], int)
            if above[1] <= address:
                return False
        start = address
        below_key = (*self.held_space, address - 1)
        below = self.tx.get(below_key) if address > first else None
        if below is not None:
            assert isinstance(below, int)
            self.tx.delete(below_key)
            start = below
        if above is not None and above[1] == address + 1 and address < last:
            self.tx.put(above[0], start)
        else:
            self.tx.put((*self.held_space, address), start)
        return True
