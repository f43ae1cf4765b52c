"""Hypothesis strategies and the naive reference model of go-ipam's behaviour, shared by property tests.

The model keeps plain sets of integers and decides everything by brute force, so it is obviously right
for the small prefixes the tests use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

from metalnet.ipam.addresses import Cidr, capped


@dataclass
class ModelPrefix:
    cidr: Cidr
    parent: Cidr | None
    acquired: set[int] = field(default_factory=set)
    children: set[Cidr] = field(default_factory=set)


def reserved(cidr: Cidr) -> set[int]:
    return {cidr.first, cidr.last} if cidr.version == 4 else {cidr.first}


def free_blocks(prefix: ModelPrefix) -> list[Cidr]:
    """The free part (prefix minus children) as maximal aligned blocks, lowest first, by brute force."""
    taken = {a for child in prefix.children for a in range(child.first, child.last + 1)}
    blocks, address = [], prefix.cidr.first
    while address <= prefix.cidr.last:
        if address in taken:
            address += 1
            continue
        length = prefix.cidr.length
        while True:
            size = 1 << (prefix.cidr.width - length)
            if address % size == 0 and all(a not in taken for a in range(address, address + size)) \
                    and address + size - 1 <= prefix.cidr.last:
                break
            length += 1
        blocks.append(Cidr(prefix.cidr.version, address, length))
        address += 1 << (prefix.cidr.width - length)
    return blocks


def best_fit(prefix: ModelPrefix, length: int) -> Cidr | None:
    fitting = [b for b in free_blocks(prefix) if b.length <= length]
    if not fitting:
        return None
    block = min(fitting, key=lambda b: (-b.length, b.first))
    return Cidr(block.version, block.first, length)


def smallest_available(prefix: ModelPrefix) -> int:
    smallest = prefix.cidr.width - 2
    return capped(sum(1 << (smallest - b.length) for b in free_blocks(prefix) if b.length <= smallest))


def has_ips(prefix: ModelPrefix) -> bool:
    return len(prefix.acquired) > (2 if prefix.cidr.version == 4 else 1)


# Universes small enough for brute force: an IPv4 /22 and an IPv6 /118 to carve top-level prefixes from.
UNIVERSES = {4: Cidr(4, 0x0A000000, 22), 6: Cidr(6, 0x20010DB8 << 96, 118)}


def cidrs_in(universe: Cidr, min_length: int) -> st.SearchStrategy[Cidr]:
    """Aligned prefixes inside ``universe`` of length ``min_length`` .. width."""

    def build(length: int, index: int) -> Cidr:
        size = 1 << (universe.width - length)
        count = universe.size // size
        return Cidr(universe.version, universe.first + (index % count) * size, length)

    return st.builds(build, st.integers(min_length, universe.width), st.integers(0, 2**20))
