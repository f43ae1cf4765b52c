"""The free child blocks of one prefix: where its next child prefix comes from.

The part of the prefix not taken by children is, as a set of blocks, its maximal aligned CIDR blocks. They
are kept in two parts:

- the *free tail*: everything from ``PrefixRow.free_tail`` to the end of the prefix is free. It is kept in the
  row alone; its blocks follow from its size (one block per set bit, smallest first). A fresh prefix is all
  tail, and children taken one after the other from the bottom (the usual way a prefix fills) only move the
  tail's start: acquire and the matching release touch the prefix row and nothing else.
- every other free block, stored by (length, start) (``layout.block_key``), with ``PrefixRow.free_lengths`` a
  bitmask of the lengths that may be present (a superset, cleared lazily) and ``free_smallest`` the number of
  (width-2)-length blocks they hold.

Invariant: the address just below the tail is taken (or the tail is the whole prefix), so no maximal block
crosses the tail's start and the two parts together are exactly the maximal blocks. Best fit is the
smallest free block that holds the child (lowest first): the largest stored length not above the requested
one (O(1) on the mask, one seek) against the tail's smallest fitting block (arithmetic). Taking a child
splits its block buddy-style, releasing one merges buddies back, or moves the tail's start: O(address width).
"""

from __future__ import annotations

from msgspec.structs import replace

from metalnet.ipam import layout
from metalnet.ipam.addresses import Cidr
from metalnet.ipam.rows import PrefixRow
from metalnet.storage.base import Key, Transaction
from metalnet.storage.rows import Value

#: go-ipam's "smallest prefix" holds four addresses (/30, /126)
_SMALLEST_SIZE_BITS = 2


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

    # -- reading ----------------------------------------------------------------------------------

    def smallest_free(self, row: PrefixRow) -> int:
        """Free (width-2)-length blocks, tail included (go-ipam's ``available_smallest_prefixes``)."""
        return row.free_smallest + ((self.prefix.last + 1 - row.free_tail) >> _SMALLEST_SIZE_BITS)

    def listing(self, row: PrefixRow) -> list[Cidr]:
        """Every free block, lowest address first."""
        stored = [Cidr(self.prefix.version, int(key[-1]), int(key[-2])) for key, _ in self._entries(row)]
        return sorted(stored + self._tail_blocks(row.free_tail), key=lambda block: block.first)

    def take_best(self, row: PrefixRow, length: int) -> tuple[Cidr, PrefixRow] | None:
        """Acquire a /``length`` at the start of the smallest free block that holds one (lowest first);
        ``None`` when none does. A stored block is taken out with a single pop."""
        width, version = self.prefix.width, self.prefix.version
        tail, left = row.free_tail, self.prefix.last + 1 - row.free_tail
        fitting_tail = left & -(1 << (width - length))
        tail_block = fitting_tail & -fitting_tail
        fitting = row.free_lengths & _up_to(length)
        while fitting:
            block_length = fitting.bit_length() - 1
            if tail_block and 1 << (width - block_length) > tail_block:
                break  # the tail has a smaller fitting block
            found = self.tx.pop_first(layout.block_space(self.namespace, self.prefix, block_length))
            if found is not None:
                start = found[0][-1]
                assert isinstance(start, int)
                block, child = Cidr(version, start, block_length), Cidr(version, start, length)
                row = replace(row, free_smallest=row.free_smallest - smallest_blocks(self.prefix, block_length))
                return child, self.split(row, block, child, removed=True)
            fitting ^= 1 << block_length  # a stale bit of the mask: clear it
            row = replace(row, free_lengths=row.free_lengths & ~(1 << block_length))
        if not tail_block:
            return None
        # tail blocks lie smallest first, so the chosen one starts after the smaller ones
        start = tail + (left & (tail_block - 1))
        child = Cidr(version, start, length)
        return child, self.split(row, Cidr(version, start, width - tail_block.bit_length() + 1), child)

    def containing(self, row: PrefixRow, child: Cidr) -> tuple[Cidr, PrefixRow] | None:
        """The free block that holds all of ``child``; ``None`` when part of it is taken."""
        if child.first >= row.free_tail:
            for block in self._tail_blocks(row.free_tail):
                if block.first <= child.first <= block.last:
                    return (block, row) if child.length >= block.length else None
            return None
        lengths = row.free_lengths & _up_to(child.length)
        while lengths:
            length = lengths.bit_length() - 1
            lengths ^= 1 << length
            start = child.first & ~((1 << (self.prefix.width - length)) - 1)
            if self.tx.get(layout.block_key(self.namespace, self.prefix, length, start)) is not None:
                return Cidr(self.prefix.version, start, length), row
        return None

    # -- changing ---------------------------------------------------------------------------------

    def split(self, row: PrefixRow, block: Cidr, child: Cidr, *, removed: bool = False) -> PrefixRow:
        """Take ``child`` out of the free ``block`` (from :meth:`take_best` or :meth:`containing`);
        ``removed``: the block's key is gone already, and its blocks counted off."""
        free_smallest, free_lengths, stored = row.free_smallest, row.free_lengths, row.blocks_stored
        in_tail = block.first >= row.free_tail
        if removed:
            pass
        elif not in_tail:
            self.tx.delete(layout.block_key(self.namespace, self.prefix, block.length, block.first))
            free_smallest -= smallest_blocks(self.prefix, block.length)
        elif block.first > row.free_tail:
            # the tail's blocks below this one stay free but are no longer part of the tail
            for below in self._tail_blocks(row.free_tail):
                if below.first >= block.first:
                    break
                self.tx.put(layout.block_key(self.namespace, self.prefix, below.length, below.first), 1)
                free_smallest += smallest_blocks(self.prefix, below.length)
                free_lengths |= 1 << below.length
                stored = True
        # halves beside the path down to the child stay free: stored, except those above the child inside
        # a tail block, which are the new tail (all of them when the child starts the block)
        if not in_tail or child.first != block.first:
            for length in range(block.length + 1, child.length + 1):
                half = 1 << (self.prefix.width - length)
                buddy = (child.first & ~(half - 1)) ^ half
                if in_tail and buddy > child.first:
                    continue
                self.tx.put(layout.block_key(self.namespace, self.prefix, length, buddy), 1)
                free_smallest += smallest_blocks(self.prefix, length)
                free_lengths |= 1 << length
                stored = True
        tail = child.last + 1 if in_tail else row.free_tail
        return replace(row, free_tail=tail, free_smallest=free_smallest, free_lengths=free_lengths,
                       blocks_stored=stored)

    def give_back(self, row: PrefixRow, child: Cidr) -> PrefixRow:
        """Return ``child``'s block to the free set: it joins the tail, or merges with free buddies."""
        if child.last + 1 == row.free_tail:
            return self._absorb(replace(row, free_tail=child.first))
        length, start = child.length, child.first
        while length > self.prefix.length:
            buddy = start ^ (1 << (self.prefix.width - length))
            if self.tx.get(layout.block_key(self.namespace, self.prefix, length, buddy)) is None:
                break
            row = self._drop(row, length, buddy)
            start = min(start, buddy)
            length -= 1
        self.tx.put(layout.block_key(self.namespace, self.prefix, length, start), 1)
        return replace(
            row,
            free_smallest=row.free_smallest + smallest_blocks(self.prefix, length),
            free_lengths=row.free_lengths | (1 << length),
            blocks_stored=True,
        )

    def remove_all(self, row: PrefixRow) -> None:
        for key, _ in self._entries(row):
            self.tx.delete(key)

    # -- internals --------------------------------------------------------------------------------

    def _tail_blocks(self, tail: int) -> list[Cidr]:
        """The maximal blocks of the tail from ``tail`` to the prefix's end, lowest (and smallest) first."""
        blocks, left = [], self.prefix.last + 1 - tail
        while left:
            size = left & -left
            blocks.append(Cidr(self.prefix.version, tail, self.prefix.width - size.bit_length() + 1))
            tail += size
            left ^= size
        return blocks

    def _absorb(self, row: PrefixRow) -> PrefixRow:
        """Grow the tail down over stored blocks that end just below it, restoring the invariant."""
        tail, width, first = row.free_tail, self.prefix.width, self.prefix.first
        while tail > first:
            aligned = (tail - first) & -(tail - first)  # a block ending below the tail is at most this big
            lengths = row.free_lengths & ~((1 << (width - aligned.bit_length() + 1)) - 1)
            while lengths:
                length = lengths & -lengths
                lengths ^= length
                block_length = length.bit_length() - 1
                start = tail - (1 << (width - block_length))
                if self.tx.get(layout.block_key(self.namespace, self.prefix, block_length, start)) is not None:
                    row = self._drop(row, block_length, start)
                    tail = start
                    break
            else:
                break
        if tail == first:  # all free: the whole prefix is the tail and nothing is stored
            return replace(row, free_tail=tail, free_smallest=0, free_lengths=0, blocks_stored=False)
        return replace(row, free_tail=tail)

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
