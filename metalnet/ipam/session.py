"""The IPAM operations, run inside one storage transaction.

Each prefix is a :class:`~metalnet.ipam.rows.PrefixRow` with the counters usage is read from, its free
address ranges (:mod:`metalnet.ipam.free_ranges`) and its free child blocks (:mod:`metalnet.ipam.free_blocks`);
``layout`` says where each lives in the key space. This module checks input and state, takes the locks and
raises the errors; every allocation decision is a few ordered seeks in those two structures, so its cost does
not grow with what the prefix already holds.
"""

from __future__ import annotations

from msgspec.structs import replace
from mypy_extensions import mypyc_attr

from metalnet.ipam import layout
from metalnet.ipam.addresses import (
    Cidr,
    capped,
    cidr_text,
    format_address,
    parse_address,
    parse_cidr,
    to_ip_address,
)
from metalnet.ipam.errors import (
    AlreadyAllocatedError,
    ConflictError,
    InvalidInputError,
    NoIPAvailableError,
    NoPrefixAvailableError,
    NotFoundError,
)
from metalnet.ipam.free_blocks import FreeBlocks
from metalnet.ipam.free_ranges import FreeRanges, fresh_range, reserved_count
from metalnet.ipam.model import IP, Prefix, Usage, UsageSource
from metalnet.ipam.namespaces import ROOT_NAMESPACE, check_namespace_name
from metalnet.ipam.rows import NamespaceRow, PrefixRow
from metalnet.storage.base import Transaction


def _has_ips(row: PrefixRow) -> bool:
    # go-ipam's threshold: more than 2 (IPv4) or 1 (IPv6) acquired addresses, reserved ones included
    return row.acquired_ips > (2 if row.version == 4 else 1)


def cidr_of(row: PrefixRow) -> Cidr:
    return Cidr(row.version, row.first, row.length)


# callers may wrap the session by subclassing it (the network layer's tests inject faults that way)
@mypyc_attr(allow_interpreted_subclasses=True)
class IpamSession:
    """go-ipam's operations on one namespace, inside the caller's transaction ``tx``.

    Its arguments have the types the signatures say (the compiled build checks them, with a TypeError):
    :class:`~metalnet.ipam.ipamer.Ipamer` is the edge that takes anything a library user passes.
    Their values (cidr and address notation, lengths in range) are checked here.
    """

    def __init__(self, tx: Transaction, namespace: str = ROOT_NAMESPACE, source: UsageSource | None = None) -> None:
        if namespace != ROOT_NAMESPACE:
            check_namespace_name(namespace)
        self.tx = tx
        self.namespace = namespace
        #: what the prefixes handed out read their usage through (this session unless given, e.g. an Ipamer)
        self.source: UsageSource = self if source is None else source
        # on a serial store lock() is a no-op: the hot paths skip the call
        self._locks = not tx.serial

    # -- prefixes -------------------------------------------------------------------------------

    def new_prefix(self, cidr: str) -> Prefix:
        prefix = parse_cidr(cidr)
        self._require_namespace()
        if self._locks:
            self.tx.lock(layout.namespace_lock(self.namespace))
        existing = self._overlapping_top_level(prefix)
        if existing is not None:
            raise ConflictError(f"{prefix} overlaps {existing}")
        self._create(prefix, None)
        self.tx.put(layout.top_key(self.namespace, prefix), prefix.length)
        return self._prefix(prefix, "")

    def delete_prefix(self, cidr: str) -> Prefix:
        prefix = parse_cidr(cidr)
        if self._locks:
            self.tx.lock(layout.namespace_lock(self.namespace))
        row = self._row(prefix)
        if row.parent_cidr:
            # deleting a child means giving its block back to the parent (go-ipam would leak it)
            return self.release_child_prefix(cidr)
        if self._locks:  # read again under the prefix's lock (a serial store cannot have changed it)
            self.tx.lock(layout.prefix_lock(self.namespace, prefix))
            row = self._row(prefix)
        self._check_removable(row, prefix, "delete prefix")
        self.tx.delete(layout.top_key(self.namespace, prefix))
        self._remove(prefix, row)
        return self._prefix(prefix, "")

    def prefix_from(self, cidr: str) -> Prefix:
        prefix = parse_cidr(cidr)
        row = self._row(prefix)
        return self._prefix(prefix, row.parent_cidr or "")

    def read_all_prefix_cidrs(self) -> list[str]:
        self._require_namespace()
        return [prefix.cidr for prefix in self.prefixes()]

    def prefixes(self) -> list[Prefix]:
        self._require_namespace()
        result = []
        for space in layout.prefix_spaces(self.namespace):
            for _, row in self.tx.scan(space):
                assert isinstance(row, PrefixRow)
                result.append(self._prefix(cidr_of(row), row.parent_cidr or ""))
        return result

    def prefix_usage(self, cidr: str) -> Usage:
        """Usage including the list of free blocks (costs a scan of the free blocks)."""
        prefix = parse_cidr(cidr)
        return self._usage(prefix, self._row(prefix), with_blocks=True)

    def prefix_counters(self, cidr: str) -> Usage:
        """Usage from the counters alone, O(1); ``available_prefixes`` is left empty."""
        prefix = parse_cidr(cidr)
        return self._usage(prefix, self._row(prefix), with_blocks=False)

    def all_prefix_counters(self) -> dict[str, Usage]:
        """:meth:`prefix_counters` of every prefix of the namespace, from one scan per family (for views
        that show many prefixes: cheaper than a look-up each)."""
        self._require_namespace()
        result = {}
        for space in layout.prefix_spaces(self.namespace):
            for _, row in self.tx.scan(space):
                assert isinstance(row, PrefixRow)
                prefix = cidr_of(row)
                result[cidr_text(prefix)] = self._usage(prefix, row, with_blocks=False)
        return result

    # -- child prefixes -------------------------------------------------------------------------

    def acquire_child_prefix(self, parent_cidr: str, length: int) -> Prefix:
        parent = parse_cidr(parent_cidr)
        if self._locks:
            self.tx.lock(layout.prefix_lock(self.namespace, parent))
        row = self._row(parent)
        if length <= parent.length or length > parent.width:
            raise InvalidInputError(
                f"given length:{length} must be greater than prefix length:{parent.length}"
                f" and at most {parent.width} (parent {parent})"
            )
        if _has_ips(row):
            raise ConflictError(f"prefix {parent} has ips, acquire child prefix not possible")
        blocks = FreeBlocks(self.tx, self.namespace, parent)
        taken = blocks.take_best(row, length)
        if taken is None:
            raise NoPrefixAvailableError(self._no_room_message(parent, blocks.listing(row), length))
        child, row = taken
        return self._attach_child(parent, row, child)

    def acquire_specific_child_prefix(self, parent_cidr: str, child_cidr: str) -> Prefix:
        parent = parse_cidr(parent_cidr)
        child = parse_cidr(child_cidr)
        if self._locks:
            self.tx.lock(layout.prefix_lock(self.namespace, parent))
        row = self._row(parent)
        if child.version != parent.version or child.length <= parent.length or not (
            parent.first <= child.first <= parent.last
        ):
            raise InvalidInputError(f"specific prefix {child_cidr} is not a child prefix of {parent}")
        if _has_ips(row):
            raise ConflictError(f"prefix {parent} has ips, acquire child prefix not possible")
        blocks = FreeBlocks(self.tx, self.namespace, parent)
        found = blocks.containing(row, child)
        if found is None:
            raise AlreadyAllocatedError(f"specific prefix {child} is not available in prefix {parent}")
        block, row = found
        row = blocks.split(row, block, child)
        return self._attach_child(parent, row, child)

    def release_child_prefix(self, child_cidr: str) -> Prefix:
        child = parse_cidr(child_cidr)
        # locks go from the child up to its parent; no operation locks a parent and then a child
        if self._locks:
            self.tx.lock(layout.prefix_lock(self.namespace, child))
        row = self._row(child)
        if not row.parent_cidr:
            raise NotFoundError(f"prefix {child} is no child prefix")
        parent = parse_cidr(row.parent_cidr)
        if self._locks:
            self.tx.lock(layout.prefix_lock(self.namespace, parent))
        parent_row = self._row(parent)
        self._check_removable(row, child, "release child prefix")
        self._remove(child, row)
        parent_row = FreeBlocks(self.tx, self.namespace, parent).give_back(parent_row, child)
        self.tx.put(layout.prefix_key(self.namespace, parent),
                    replace(parent_row, children=parent_row.children - 1))
        return self._prefix(child, cidr_text(parent))

    # -- addresses ------------------------------------------------------------------------------

    def acquire_ip(self, prefix_cidr: str) -> IP:
        prefix = parse_cidr(prefix_cidr)
        if self._locks:
            self.tx.lock(layout.prefix_lock(self.namespace, prefix))
        row = self._row(prefix)
        if row.children:
            raise ConflictError(f"prefix {prefix} has childprefixes, acquire ip not possible")
        taken = FreeRanges(self.tx, self.namespace, prefix).take_lowest(row)
        if taken is None:
            raise NoIPAvailableError(
                f"no more ips in prefix: {prefix} left, length of prefix.ips: {row.acquired_ips}"
            )
        start, row = taken
        self.tx.put(layout.prefix_key(self.namespace, prefix), row)
        return IP(to_ip_address(prefix.version, start), cidr_text(prefix))

    def acquire_specific_ip(self, prefix_cidr: str, ip: str) -> IP:
        if not ip:
            return self.acquire_ip(prefix_cidr)
        prefix = parse_cidr(prefix_cidr)
        if self._locks:
            self.tx.lock(layout.prefix_lock(self.namespace, prefix))
        row = self._row(prefix)
        version, address = self._parse_ip_in(prefix, ip)
        if row.children:
            raise ConflictError(f"prefix {prefix} has childprefixes, acquire ip not possible")
        changed = FreeRanges(self.tx, self.namespace, prefix).take(row, address)
        if changed is None:
            raise AlreadyAllocatedError(f"given ip:{format_address(version, address)} is already allocated")
        self.tx.put(layout.prefix_key(self.namespace, prefix), changed)
        return IP(to_ip_address(version, address), cidr_text(prefix))

    def release_ip_from_prefix(self, prefix_cidr: str, ip: str) -> IP:
        prefix = parse_cidr(prefix_cidr)
        if self._locks:
            self.tx.lock(layout.prefix_lock(self.namespace, prefix))
        row = self._row(prefix)
        version, address = parse_address(ip)
        self._release(prefix, row, version, address, ip)
        return IP(to_ip_address(version, address), cidr_text(prefix))

    def release_ip(self, ip: IP) -> Prefix:
        prefix = parse_cidr(ip.parent_prefix)
        if self._locks:
            self.tx.lock(layout.prefix_lock(self.namespace, prefix))
        row = self._row(prefix)
        self._release(prefix, row, ip.ip.version, int(ip.ip), ip)
        return self._prefix(prefix, row.parent_cidr or "")

    def _release(self, prefix: Cidr, row: PrefixRow, version: int, address: int, text: object) -> None:
        # ``text``: what the caller gave (a string or an IP), printed only in the error
        changed = (FreeRanges(self.tx, self.namespace, prefix).give_back(row, address)
                   if prefix.contains(version, address) else None)
        if changed is None:
            raise NotFoundError(f"unable to release ip:{text} because it is not allocated in prefix:{prefix}")
        self.tx.put(layout.prefix_key(self.namespace, prefix), changed)

    def acquired_ip_ranges(self, prefix_cidr: str) -> list[tuple[int, int]]:
        """The acquired addresses of a prefix as inclusive (first, last) ranges: the gaps between free ranges."""
        prefix = parse_cidr(prefix_cidr)
        free = FreeRanges(self.tx, self.namespace, prefix).free(self._row(prefix))
        acquired, cursor = [], prefix.first
        for start, last in free:
            if start > cursor:
                acquired.append((cursor, start - 1))
            cursor = last + 1
        if cursor <= prefix.last:
            acquired.append((cursor, prefix.last))
        return acquired

    def set_acquired_ips(self, prefix_cidr: str, addresses: list[int]) -> None:
        """Replace the acquired set of a prefix (used by load): free ranges become the complement."""
        prefix = parse_cidr(prefix_cidr)
        row = self._row(prefix)
        taken = sorted(set(addresses))
        for address in taken:
            if not prefix.first <= address <= prefix.last:
                raise InvalidInputError(f"ip {format_address(prefix.version, address)} is not in {prefix}")
        row = FreeRanges(self.tx, self.namespace, prefix).replace_all(row, taken)
        self.tx.put(layout.prefix_key(self.namespace, prefix), row)

    # -- namespaces -----------------------------------------------------------------------------

    def create_namespace(self, name: str) -> None:
        check_namespace_name(name)
        if name != ROOT_NAMESPACE:
            self.tx.put(layout.namespace_key(name), NamespaceRow(name))

    def list_namespaces(self) -> list[str]:
        names = [str(key[1]) for key, _ in self.tx.scan(layout.namespace_space())]
        return [ROOT_NAMESPACE, *names]

    def delete_namespace(self, name: str) -> None:
        check_namespace_name(name)
        if name == ROOT_NAMESPACE:
            raise ConflictError(f"namespace {name} cannot be deleted")
        if self.tx.get(layout.namespace_key(name)) is None:
            raise NotFoundError(f"namespace {name} does not exist")
        self.tx.lock(layout.namespace_lock(name))
        if any(self.tx.first(space, space) is not None for space in layout.prefix_spaces(name)):
            raise ConflictError(f"cannot delete namespace {name} with allocated prefixes")
        self.tx.delete(layout.namespace_key(name))

    # -- internals ------------------------------------------------------------------------------

    def _require_namespace(self) -> None:
        if self.namespace != ROOT_NAMESPACE and self.tx.get(layout.namespace_key(self.namespace)) is None:
            raise NotFoundError(f"namespace {self.namespace} does not exist")

    def _row(self, prefix: Cidr) -> PrefixRow:
        row = self.tx.get(layout.prefix_key(self.namespace, prefix))
        if row is None:
            self._require_namespace()
            raise NotFoundError(f"prefix {prefix} not found")
        assert isinstance(row, PrefixRow)
        return row

    def _prefix(self, prefix: Cidr, parent_cidr: str) -> Prefix:
        return Prefix(cidr_text(prefix), parent_cidr, self.namespace, self.source)

    def usage_of(self, prefix: Prefix) -> Usage:
        """Usage of a prefix this session returned (valid while the session's transaction runs)."""
        return IpamSession(self.tx, prefix.namespace).prefix_usage(prefix.cidr)

    def _parse_ip_in(self, prefix: Cidr, ip: str) -> tuple[int, int]:
        version, address = parse_address(ip)
        if not prefix.contains(version, address):
            raise InvalidInputError(f"given ip:{ip} is not in {prefix}")
        return version, address

    def _overlapping_top_level(self, prefix: Cidr) -> Cidr | None:
        # top-level prefixes never overlap each other, so only the neighbours by start can overlap
        space = layout.top_space(self.namespace, prefix.version)
        at = layout.top_key(self.namespace, prefix)
        for found in (self.tx.last(at, space), self.tx.first(at, space)):
            if found is not None:
                first, length = found[0][-1], found[1]
                assert isinstance(first, int)
                assert isinstance(length, int)
                existing = Cidr(prefix.version, first, length)
                if existing.overlaps(prefix):
                    return existing
        return None

    def _create(self, prefix: Cidr, parent_cidr: str | None) -> None:
        """Store a fresh prefix: reserved addresses taken, the rest free for IPs and for children.

        Its free range and its free tail (the whole prefix) are kept in the row: nothing else is stored.
        """
        reserved = reserved_count(prefix)
        low, high = fresh_range(prefix)
        row = PrefixRow(
            namespace=self.namespace,
            version=prefix.version,
            first=prefix.first,
            length=prefix.length,
            parent_cidr=parent_cidr,
            acquired_ips=reserved,
            children=0,
            free_smallest=0,
            free_lengths=0,
            lowest_free_first=low,
            lowest_free_last=high,
            free_tail=prefix.first,
        )
        self.tx.insert(layout.prefix_key(self.namespace, prefix), row)

    def _remove(self, prefix: Cidr, row: PrefixRow) -> None:
        if row.ips_stored:  # a prefix without gaps (the common case) is its row alone
            FreeRanges(self.tx, self.namespace, prefix).remove_all(row)
        if row.blocks_stored:
            FreeBlocks(self.tx, self.namespace, prefix).remove_all(row)
        self.tx.delete(layout.prefix_key(self.namespace, prefix))

    def _check_removable(self, row: PrefixRow, prefix: Cidr, action: str) -> None:
        if _has_ips(row):
            raise ConflictError(f"prefix {prefix} has ips, {action} not possible")
        if row.children:
            raise ConflictError(f"prefix {prefix} has {row.children} child prefixes, {action} not possible")

    def _attach_child(self, parent: Cidr, row: PrefixRow, child: Cidr) -> Prefix:
        parent_cidr = cidr_text(parent)
        self._create(child, parent_cidr)
        self.tx.put(layout.prefix_key(self.namespace, parent), replace(row, children=row.children + 1))
        return self._prefix(child, parent_cidr)

    def _usage(self, prefix: Cidr, row: PrefixRow, *, with_blocks: bool) -> Usage:
        listed = []
        blocks = FreeBlocks(self.tx, self.namespace, prefix)
        if with_blocks:
            # go-ipam lists only blocks that can hold a smallest prefix (/30, /126)
            listed = [str(block) for block in blocks.listing(row) if block.length <= prefix.width - 2]
        return Usage(
            available_ips=capped(prefix.size),
            acquired_ips=capped(row.acquired_ips),
            available_smallest_prefixes=capped(blocks.smallest_free(row)),
            available_prefixes=listed,
            acquired_prefixes=row.children,
        )

    @staticmethod
    def _no_room_message(parent: Cidr, free_blocks: list[Cidr], length: int) -> str:
        message = f"no prefix found in {parent} with length:{length}"
        if free_blocks:
            verb = "is" if len(free_blocks) == 1 else "are"
            message += f", but {','.join(str(block) for block in free_blocks)} {verb} available"
        return message
