"""Read-only views of a prefix for people: an occupancy map of its blocks, the address space its children hold.

The map divides a *block* of a prefix (the prefix itself, or a block inside it a viewer zoomed into) into at
most ``2**MAP_BITS`` equal cells and counts, per cell, the addresses taken and reserved. A prefix holds either
child prefixes or IPs, never both (go-ipam's rule), so a map is in one of two modes:

- ``children``: taken = addresses inside child prefixes (the complement of the free blocks);
- ``addresses``: taken = acquired addresses, reserved = the prefix's own ones (IPv4 network and broadcast
  address, IPv6 network address) while acquired, and the addresses of reserved ranges that are not acquired.

Both come from the structures the allocator decides with (free ranges, free blocks), so the map shows what
the next allocation will see. The cost is one pass over the free ranges or blocks plus one step per cell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

from metalnet.ipam import layout
from metalnet.ipam.addresses import Cidr, cidr_text, parse_cidr
from metalnet.ipam.errors import InvalidInputError, NotFoundError
from metalnet.ipam.free_blocks import FreeBlocks
from metalnet.ipam.free_ranges import reserved_count
from metalnet.ipam.model import Prefix, Usage
from metalnet.ipam.namespaces import ROOT_NAMESPACE
from metalnet.ipam.reservations import Reservations
from metalnet.ipam.rows import PrefixRow
from metalnet.ipam.session import IpamSession
from metalnet.storage.base import Storage

T = TypeVar("T")
#: a map has at most 2**MAP_BITS cells (16 x 16): an IPv4 /16 in /24s, an IPv6 /48 in /56s
MAP_BITS = 8
#: from this many prefixes on, their counters are read in one scan instead of one by one
BATCH_READ = 64
CellState = Literal["free", "partial", "taken", "reserved"]
MapMode = Literal["children", "addresses"]


@dataclass(frozen=True, slots=True)
class Cell:
    """One block of a map: its size and how many of its addresses are taken or reserved."""

    cidr: str
    size: int
    taken: int
    reserved: int

    @property
    def free(self) -> int:
        return self.size - self.taken - self.reserved

    @property
    def state(self) -> CellState:
        """``free`` (nothing used), ``reserved`` (only reserved addresses used), ``taken`` (nothing free),
        else ``partial``."""
        if self.taken == 0:
            return "free" if self.reserved == 0 else "reserved"
        return "taken" if self.free == 0 else "partial"


@dataclass(frozen=True, slots=True)
class Occupancy:
    """The map of ``block`` (inside ``prefix``): ``cells`` in address order, drawn ``columns`` wide."""

    prefix: str
    block: str
    mode: MapMode
    cell_length: int
    columns: int
    cells: list[Cell]
    #: the block one zoom level up (``None`` at the prefix itself)
    parent_block: str | None


@dataclass(frozen=True, slots=True)
class PrefixUse:
    """A prefix with its usage counters, the addresses its child prefixes hold and its ``depth`` below its
    top-level prefix (0 for a top-level one)."""

    prefix: Prefix
    usage: Usage
    size: int
    child_addresses: int
    depth: int
    #: child prefixes left out of the listing (see ``child_limit``)
    hidden_children: int = 0


def _row(session: IpamSession, prefix: Cidr) -> PrefixRow:
    row = session.tx.get(layout.prefix_key(session.namespace, prefix))
    if row is None:
        raise NotFoundError(f"prefix {prefix} not found")
    assert isinstance(row, PrefixRow)
    return row


def _children_taken(session: IpamSession, prefix: Cidr, row: PrefixRow) -> list[tuple[int, int]]:
    """Inclusive ranges inside child prefixes: the gaps between the free blocks."""
    taken, cursor = [], prefix.first
    for block in FreeBlocks(session.tx, session.namespace, prefix).listing(row):
        if block.first > cursor:
            taken.append((cursor, block.first - 1))
        cursor = block.last + 1
    if cursor <= prefix.last:
        taken.append((cursor, prefix.last))
    return taken


def child_addresses(session: IpamSession, cidr: str) -> int:
    """How many addresses of the prefix ``cidr`` lie inside its child prefixes."""
    prefix = parse_cidr(cidr)
    row = _row(session, prefix)
    if not row.children:
        return 0
    return sum(last - first + 1 for first, last in _children_taken(session, prefix, row))


def allocated_ips(session: IpamSession, cidr: str) -> int:
    """Acquired addresses of the prefix ``cidr`` beyond the ones reserved at its creation."""
    prefix = parse_cidr(cidr)
    row = _row(session, prefix)
    return max(0, row.acquired_ips - row.reserved_free - reserved_count(prefix))


def _reserved_points(prefix: Cidr) -> tuple[int, ...]:
    if prefix.version == 4 and prefix.length < 32:
        return (prefix.first, prefix.last)
    return (prefix.first,) if reserved_count(prefix) else ()


def occupancy(session: IpamSession, cidr: str, block: str | None = None) -> Occupancy:
    """The occupancy map of ``block`` (default: the whole prefix ``cidr``).

    Raises:
        NotFoundError: no prefix ``cidr`` in the session's namespace.
        InvalidInputError: ``block`` is not a CIDR inside the prefix.
    """
    prefix = parse_cidr(cidr)
    row = _row(session, prefix)
    window = prefix if block is None else parse_cidr(block)
    if window.version != prefix.version or window.length < prefix.length or not prefix.contains(
        window.version, window.first
    ):
        raise InvalidInputError(f"block {block} is not inside prefix {prefix}")
    cell_length = min(window.length + MAP_BITS, window.width)
    bits = cell_length - window.length
    cell_size = 1 << (window.width - cell_length)
    count = 1 << bits
    taken = [0] * count
    reserved = [0] * count
    mode: MapMode = "children" if row.children else "addresses"
    used = _children_taken(session, prefix, row) if mode == "children" else session.acquired_ip_ranges(str(prefix))
    points = _reserved_points(prefix) if mode == "addresses" else ()
    _count(used, window.first, window.last, cell_size, taken)
    if mode == "addresses" and row.reservations:  # held addresses of reserved ranges: neither free nor taken
        _count(Reservations(session.tx, session.namespace, prefix).held(), window.first, window.last, cell_size,
               reserved)
    for point in points:
        if window.first <= point <= window.last and _inside(used, point):
            index = (point - window.first) // cell_size
            taken[index] -= 1
            reserved[index] += 1
    cells = [
        Cell(cidr_text(Cidr(window.version, window.first + i * cell_size, cell_length)), cell_size, taken[i],
             reserved[i])
        for i in range(count)
    ]
    parent = None
    if window.length > prefix.length:
        up = max(prefix.length, window.length - MAP_BITS)
        parent = cidr_text(Cidr(window.version, window.first & ~((1 << (window.width - up)) - 1), up))
    return Occupancy(str(prefix), cidr_text(window), mode, cell_length, 1 << ((bits + 1) // 2), cells, parent)


def _count(ranges: list[tuple[int, int]], low: int, high: int, cell_size: int, counts: list[int]) -> None:
    """Add the addresses of ``ranges`` within ``low``-``high`` to the counts of the cells they fall in."""
    for first, last in ranges:
        first, last = max(first, low), min(last, high)
        if first > last:
            continue
        index = (first - low) // cell_size
        while first <= last:
            end = min(last, low + (index + 1) * cell_size - 1)
            counts[index] += end - first + 1
            first, index = end + 1, index + 1


def _inside(ranges: list[tuple[int, int]], point: int) -> bool:
    return any(first <= point <= last for first, last in ranges)


def prefix_uses(session: IpamSession, child_limit: int | None = None) -> list[PrefixUse]:
    """Every prefix of the session's namespace with its usage, parents before their children (address order).

    With ``child_limit``, a parent lists at most that many children; its ``hidden_children`` counts the rest,
    and only listed prefixes cost a usage read.
    """
    prefixes = sorted(session.prefixes(), key=lambda p: parse_cidr(p.cidr))
    kids: dict[str, list[Prefix]] = {}
    known = {prefix.cidr for prefix in prefixes}
    roots = []
    for prefix in prefixes:
        if prefix.parent_cidr in known:
            kids.setdefault(prefix.parent_cidr, []).append(prefix)
        else:
            roots.append(prefix)
    listed: list[tuple[Prefix, int, int]] = []

    def walk(prefix: Prefix, depth: int) -> None:
        children = kids.get(prefix.cidr, [])
        shown = children if child_limit is None else children[:child_limit]
        listed.append((prefix, depth, len(children) - len(shown)))
        for child in shown:
            walk(child, depth + 1)

    for prefix in roots:
        walk(prefix, 0)
    # many prefixes: one scan reads every counter more cheaply than a look-up each
    counters = session.all_prefix_counters() if len(listed) > BATCH_READ else None
    result = []
    for prefix, depth, hidden in listed:
        usage = counters[prefix.cidr] if counters is not None else session.prefix_counters(prefix.cidr)
        # only a prefix with children has addresses in them: no second read for the others
        given = child_addresses(session, prefix.cidr) if usage.acquired_prefixes else 0
        result.append(PrefixUse(prefix, usage, parse_cidr(prefix.cidr).size, given, depth, hidden))
    return result


class IpamReader:
    """The read-only views above, each in one read-only transaction of ``storage``."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def _read(self, namespace: str, fn: Callable[[IpamSession], T]) -> T:
        return self.storage.run(lambda tx: fn(IpamSession(tx, namespace)), readonly=True)

    def namespaces(self, child_limit: int | None = None) -> dict[str, list[PrefixUse]]:
        """Every namespace (``root`` first) with its prefixes and their usage (see :func:`prefix_uses`)."""

        def read(session: IpamSession) -> dict[str, list[PrefixUse]]:
            return {name: prefix_uses(IpamSession(session.tx, name), child_limit)
                    for name in session.list_namespaces()}

        return self._read(ROOT_NAMESPACE, read)

    def occupancy(self, cidr: str, block: str | None = None, *, namespace: str = ROOT_NAMESPACE) -> Occupancy:
        return self._read(namespace, lambda session: occupancy(session, cidr, block))
