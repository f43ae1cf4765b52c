"""The free child blocks of one prefix: where its next child prefix comes from.

The part of the prefix not taken by children is kept as its maximal aligned CIDR blocks, stored by
(length, start) (``layout.block_key``), with ``PrefixRow.free_lengths`` a bitmask of the lengths that may be
present. Best fit is the largest free length not above the requested one (O(1) on the mask) and the lowest
block of it (one seek); taking a child splits that block buddy-style, releasing one merges buddies back, so
each costs O(address width). A fresh prefix stores no block: its one free block (the prefix itself) is
implied by ``PrefixRow.blocks_stored == False``, as again when the last child is released.
"""

from __future__ import annotations

from msgspec.structs import replace

from metalnet.ipam import layout
from metalnet.ipam.addresses import Cidr
from metalnet.storage.base import Key, Transaction
from metalnet.storage.rows import PrefixRow, Value


def smallest_blocks(cidr: Cidr, block_length: int) -> int:
    """How many (width-2)-length blocks (go-ipam's "smallest prefixes") a free block of ``block_length`` holds."""
    smallest = cidr.width - 2
    return 1 << (smallest - block_length) if block_length <= smallest else 0


def _up_to(length: int) -> int:
    return (1 << (length + 1)) - 1


class FreeBlocks:
    """Free aligned blocks of ``prefix``; every changing method returns the prefix row with counters moved."""

    def __init__(self, tx: Transaction, namespace: str, prefix: Cidr) -> None:
        self.tx = tx
        self.namespace = namespace
        self.prefix = prefix

    def best_fit(self, row: PrefixRow, length: int) -> tuple[Cidr, PrefixRow] | None:
        """The smallest free block that holds a /``length`` (lowest first); ``None`` when none does."""
        row = self._stored(row)
        fitting = row.free_lengths & _up_to(length)
        while fitting:
            block_length = fitting.bit_length() - 1
            space = layout.block_space(self.namespace, self.prefix, block_length)
            found = self.tx.first(space, space)
            if found is not None:
                return Cidr(self.prefix.version, int(found[0][-1]), block_length), row
            fitting ^= 1 << block_length  # a stale bit of the mask: clear it
            row = replace(row, free_lengths=row.free_lengths & ~(1 << block_length))
        return None

    def containing(self, row: PrefixRow, child: Cidr) -> tuple[Cidr, PrefixRow] | None:
        """The free block that holds all of ``child``; ``None`` when part of it is taken."""
        row = self._stored(row)
        lengths = row.free_lengths & _up_to(child.length)
        while lengths:
            length = lengths.bit_length() - 1
            lengths ^= 1 << length
            start = child.first & ~((1 << (self.prefix.width - length)) - 1)
            if self.tx.get(layout.block_key(self.namespace, self.prefix, length, start)) is not None:
                return Cidr(self.prefix.version, start, length), row
        return None

    def split(self, row: PrefixRow, block: Cidr, child: Cidr) -> PrefixRow:
        """Take ``child`` out of the free ``block``; the halves not on the way down to it stay free."""
        row = self._drop(row, block.length, block.first)
        free_smallest, free_lengths = row.free_smallest, row.free_lengths
        for length in range(block.length + 1, child.length + 1):
            half = 1 << (self.prefix.width - length)
            on_path = child.first & ~(half - 1)
            self.tx.put(layout.block_key(self.namespace, self.prefix, length, on_path ^ half), 1)
            free_smallest += smallest_blocks(self.prefix, length)
            free_lengths |= 1 << length
        return replace(row, free_smallest=free_smallest, free_lengths=free_lengths)

    def give_back(self, row: PrefixRow, child: Cidr) -> PrefixRow:
        """Return ``child``'s block to the free set, merging it with free buddies."""
        length, start = child.length, child.first
        while length > self.prefix.length:
            buddy = start ^ (1 << (self.prefix.width - length))
            if self.tx.get(layout.block_key(self.namespace, self.prefix, length, buddy)) is None:
                break
            row = self._drop(row, length, buddy)
            start = min(start, buddy)
            length -= 1
        if length == self.prefix.length:  # the whole prefix is free again: back to the implied block
            return replace(row, free_smallest=smallest_blocks(self.prefix, length), free_lengths=1 << length,
                           blocks_stored=False)
        self.tx.put(layout.block_key(self.namespace, self.prefix, length, start), 1)
        return replace(
            row,
            free_smallest=row.free_smallest + smallest_blocks(self.prefix, length),
            free_lengths=row.free_lengths | (1 << length),
        )

    def listing(self, row: PrefixRow) -> list[Cidr]:
        """Every free block, lowest address first."""
        if not row.blocks_stored:
            return [self.prefix]
        blocks = [Cidr(self.prefix.version, int(key[-1]), int(key[-2])) for key, _ in self._entries(row)]
        return sorted(blocks, key=lambda block: block.first)

    def remove_all(self, row: PrefixRow) -> None:
        for key, _ in self._entries(row):
            self.tx.delete(key)

    def _entries(self, row: PrefixRow) -> list[tuple[Key, Value]]:
        entries: list[tuple[Key, Value]] = []
        if not row.blocks_stored:
            return entries
        lengths = row.free_lengths
        while lengths:
            length = lengths.bit_length() - 1
            lengths ^= 1 << length
            entries += self.tx.scan(layout.block_space(self.namespace, self.prefix, length))
        return entries

    def _drop(self, row: PrefixRow, length: int, start: int) -> PrefixRow:
        # ``free_lengths`` may keep the bit of a length whose last block this was: it is a superset,
        # cleared lazily where a look-up finds the length empty
        self.tx.delete(layout.block_key(self.namespace, self.prefix, length, start))
        return replace(row, free_smallest=row.free_smallest - smallest_blocks(self.prefix, length))

    def _stored(self, row: PrefixRow) -> PrefixRow:
        """Make the implied block of a fresh prefix a stored key, before changing the blocks."""
        if row.blocks_stored:
            return row
        self.tx.put(layout.block_key(self.namespace, self.prefix, self.prefix.length, self.prefix.first), 1)
        return replace(row, blocks_stored=True)
