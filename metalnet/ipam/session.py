"""The IPAM operations, run inside one storage transaction.

Each prefix is a :class:`~metalnet.ipam.rows.PrefixRow` with the counters usage is read from, its free
address ranges (:mod:`metalnet.ipam.free_ranges`) and its free child blocks (:mod:`metalnet.ipam.free_blocks`);
``layout`` says where each lives in the key space. This module checks input and state, takes the locks and
raises the errors; every allocation decision is a few ordered seeks in those two structures, so its cost does
not grow with what the prefix already holds. Reserved ranges (:mod:`metalnet.ipam.reservations`) are absent
from the free ranges; a prefix without any never looks them up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

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
)
from metalnet.ipam.errors import (
    AlreadyAllocatedError,
    ConflictError,
    InvalidInputError,
    NoIPAvailableError,
    NoPrefixAvailableError,
    NotFoundError,
    ReservedAddressError,
)
from metalnet.ipam.free_blocks import FreeBlocks
from metalnet.ipam.free_ranges import FreeRanges, fresh_range, reserved_count
from metalnet.ipam.model import IP, Prefix, ReservedRange, Usage, UsageSource
from metalnet.ipam.namespaces import ROOT_NAMESPACE, check_namespace_name
from metalnet.ipam.reservations import Reservations
from metalnet.ipam.rows import NamespaceRow, PrefixRow
from metalnet.storage.base import Transaction

T = TypeVar("T")
#: the most addresses one :meth:`IpamSession.acquire_ips` takes (one transaction holds them all)
MAX_ACQUIRE = 10_000
#: the longest description of a reserved range
MAX_DESCRIPTION = 256
#: how many acquired addresses a refused reservation names before "and N more"
NAMED_CONFLICTS = 10


def _has_ips(row: PrefixRow) -> bool:
    # go-ipam's threshold: more than 2 (IPv4) or 1 (IPv6) acquired addresses, network/broadcast included
    # (held addresses of reserved ranges are not acquired)
    return row.acquired_ips - row.reserved_free > (2 if row.version == 4 else 1)


def cidr_of(row: PrefixRow) -> Cidr:
    return Cidr(row.version, row.first, row.length)


class SessionCall(Generic[T]):
    """``fn`` on a session of ``namespace`` over the transaction it is called with: what
    :class:`~metalnet.ipam.ipamer.Ipamer` hands to ``Storage.run`` (compiled, unlike a lambda there)."""

    def __init__(self, fn: Callable[[IpamSession], T], namespace: str, source: UsageSource) -> None:
        self.fn = fn
        self.namespace = namespace
        self.source = source

    def __call__(self, tx: Transaction) -> T:
        return self.fn(IpamSession(tx, self.namespace, self.source))


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
        self._check_no_ips(parent, row)
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
        self._check_no_ips(parent, row)
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
        row = self._row_for_ips(prefix)
        taken = FreeRanges(self.tx, self.namespace, prefix).take_lowest(row)
        if taken is None:
            raise NoIPAvailableError(
                f"no more ips in prefix: {prefix} left, length of prefix.ips: {row.acquired_ips - row.reserved_free}"
            )
        start, row = taken
        self.tx.put(layout.prefix_key(self.namespace, prefix), row)
        return IP(prefix.version, start, cidr_text(prefix))

    def acquire_ips(self, prefix_cidr: str, count: int) -> list[IP]:
        """The ``count`` lowest free addresses of the prefix, all or nothing (metalnet's extension).

        Raises:
            InvalidInputError: ``count`` is not a positive integer.
            NoIPAvailableError: fewer than ``count`` addresses are free; the message says how many are.
        """
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_ACQUIRE:
            raise InvalidInputError(f"invalid count {count!r}: expected 1 to {MAX_ACQUIRE} (the bulk limit)")
        prefix = parse_cidr(prefix_cidr)
        row = self._row_for_ips(prefix)
        ranges = FreeRanges(self.tx, self.namespace, prefix)
        free = ranges.free_count(row)
        if free < count:
            raise NoIPAvailableError(f"not enough ips in prefix: {prefix}, {count} requested, {free} free")
        runs, row = ranges.take_lowest_run(row, count)
        self.tx.put(layout.prefix_key(self.namespace, prefix), row)
        version, parent = prefix.version, cidr_text(prefix)
        return [IP(version, address, parent) for first, last in runs for address in range(first, last + 1)]

    def free_ip_count(self, prefix_cidr: str) -> int:
        """How many addresses of the prefix are free, uncapped (usage caps its counts as go-ipam does); held
        addresses of reserved ranges are not free."""
        prefix = parse_cidr(prefix_cidr)
        return FreeRanges(self.tx, self.namespace, prefix).free_count(self._row(prefix))

    def acquire_specific_ip(self, prefix_cidr: str, ip: str, reserved: bool = False) -> IP:
        """Acquire ``ip``; inside a reserved range only with ``reserved`` (else :class:`ReservedAddressError`).

        ``reserved`` outside every reserved range changes nothing; an empty ``ip`` is the next free address.
        """
        if not ip:
            return self.acquire_ip(prefix_cidr)
        prefix = parse_cidr(prefix_cidr)
        if self._locks:
            self.tx.lock(layout.prefix_lock(self.namespace, prefix))
        row = self._row(prefix)
        version, address = self._parse_ip_in(prefix, ip)
        if row.children:
            raise ConflictError(f"prefix {prefix} has childprefixes, acquire ip not possible")
        if row.reservations:
            reservations = Reservations(self.tx, self.namespace, prefix)
            found = reservations.containing(address)
            if found is not None:
                text = format_address(version, address)
                if not reserved:
                    raise ReservedAddressError(
                        f"ip {text} is in reserved range {self._range(version, found)}; ask for it with reserved"
                    )
                if not reservations.take(address):
                    raise AlreadyAllocatedError(f"given ip:{text} is already allocated")
                self.tx.put(layout.prefix_key(self.namespace, prefix),
                            replace(row, reserved_free=row.reserved_free - 1))
                return IP(version, address, cidr_text(prefix))
        changed = FreeRanges(self.tx, self.namespace, prefix).take(row, address)
        if changed is None:
            raise AlreadyAllocatedError(f"given ip:{format_address(version, address)} is already allocated")
        self.tx.put(layout.prefix_key(self.namespace, prefix), changed)
        return IP(version, address, cidr_text(prefix))

    def release_ip_from_prefix(self, prefix_cidr: str, ip: str) -> IP:
        prefix = parse_cidr(prefix_cidr)
        if self._locks:
            self.tx.lock(layout.prefix_lock(self.namespace, prefix))
        row = self._row(prefix)
        version, address = parse_address(ip)
        self._release(prefix, row, version, address, ip)
        return IP(version, address, cidr_text(prefix))

    def release_ip(self, ip: IP) -> Prefix:
        prefix = parse_cidr(ip.parent_prefix)
        if self._locks:
            self.tx.lock(layout.prefix_lock(self.namespace, prefix))
        row = self._row(prefix)
        self._release(prefix, row, ip.version, ip.value, ip)
        return self._prefix(prefix, row.parent_cidr or "")

    def _release(self, prefix: Cidr, row: PrefixRow, version: int, address: int, text: object) -> None:
        # ``text``: what the caller gave (a string or an IP), printed only in the error
        if row.reservations and prefix.contains(version, address):
            reservations = Reservations(self.tx, self.namespace, prefix)
            found = reservations.containing(address)
            if found is not None:  # back to its reservation, not to the free ranges
                if not reservations.give_back(address, found[0], found[1]):
                    raise NotFoundError(
                        f"unable to release ip:{text} because it is not allocated in prefix:{prefix}"
                    )
                self.tx.put(layout.prefix_key(self.namespace, prefix),
                            replace(row, reserved_free=row.reserved_free + 1))
                return
        changed = (FreeRanges(self.tx, self.namespace, prefix).give_back(row, address)
                   if prefix.contains(version, address) else None)
        if changed is None:
            raise NotFoundError(f"unable to release ip:{text} because it is not allocated in prefix:{prefix}")
        self.tx.put(layout.prefix_key(self.namespace, prefix), changed)

    def acquired_ip_ranges(self, prefix_cidr: str) -> list[tuple[int, int]]:
        """The acquired addresses of a prefix as inclusive (first, last) ranges: the gaps between free ranges
        (and held ranges of its reservations)."""
        prefix = parse_cidr(prefix_cidr)
        row = self._row(prefix)
        free = FreeRanges(self.tx, self.namespace, prefix).free(row)
        if row.reservations:
            free = sorted(free + Reservations(self.tx, self.namespace, prefix).held())
        acquired, cursor = [], prefix.first
        for start, last in free:
            if start > cursor:
                acquired.append((cursor, start - 1))
            cursor = last + 1
        if cursor <= prefix.last:
            acquired.append((cursor, prefix.last))
        return acquired

    def set_acquired_ips(self, prefix_cidr: str, addresses: list[int]) -> None:
        """Replace the acquired set of a prefix (used by load, before its reservations): free ranges become the
        complement."""
        prefix = parse_cidr(prefix_cidr)
        row = self._row(prefix)
        if row.reservations:
            raise ConflictError(f"prefix {prefix} has reserved ranges, set acquired ips not possible")
        taken = sorted(set(addresses))
        for address in taken:
            if not prefix.first <= address <= prefix.last:
                raise InvalidInputError(f"ip {format_address(prefix.version, address)} is not in {prefix}")
        row = FreeRanges(self.tx, self.namespace, prefix).replace_all(row, taken)
        self.tx.put(layout.prefix_key(self.namespace, prefix), row)

    # -- reserved ranges ------------------------------------------------------------------------

    def reserve_range(self, prefix_cidr: str, first: str, last: str, description: str = "", *,
                      keep_acquired: bool = False) -> ReservedRange:
        """Reserve the addresses ``first``-``last`` of a prefix: next-free allocation skips them from now on.

        The prefix's own network (and IPv4 broadcast) address may lie in the range: taken at creation, it
        stays taken. ``keep_acquired`` (for load): acquired addresses in the range stay acquired instead of
        refusing the range.

        Raises:
            InvalidInputError: an address outside the prefix, ``first`` above ``last``, a long description.
            ConflictError: the prefix has child prefixes, the range overlaps a reserved one, or it holds
                acquired addresses (named).
        """
        prefix = parse_cidr(prefix_cidr)
        if self._locks:
            self.tx.lock(layout.prefix_lock(self.namespace, prefix))
        row = self._row(prefix)
        low, high = self._range_in(prefix, first, last)
        if len(description) > MAX_DESCRIPTION:
            raise InvalidInputError(
                f"description of reserved range {first}-{last} is longer than {MAX_DESCRIPTION} characters"
            )
        wanted = f"{format_address(prefix.version, low)}-{format_address(prefix.version, high)}"
        if row.children:
            raise ConflictError(f"prefix {prefix} has child prefixes, reserve range {wanted} not possible")
        reservations = Reservations(self.tx, self.namespace, prefix)
        clash = reservations.overlapping(low, high) if row.reservations else None
        if clash is not None:
            raise ConflictError(
                f"range {wanted} overlaps reserved range {self._range(prefix.version, clash)} in prefix {prefix}"
            )
        ranges = FreeRanges(self.tx, self.namespace, prefix)
        free = [(max(start, low), min(end, high)) for start, end in ranges.overlapping(row, low, high)]
        if not keep_acquired:
            self._check_none_acquired(prefix, wanted, low, high, free)
        row = ranges.take_span(row, low, high)
        reservations.add(low, high, description, free)
        held = sum(end - start + 1 for start, end in free)
        self.tx.put(layout.prefix_key(self.namespace, prefix),
                    replace(row, reservations=row.reservations + 1, reserved_free=row.reserved_free + held))
        return self._reserved(prefix.version, (low, high, description))

    def unreserve_range(self, prefix_cidr: str, first: str, last: str) -> ReservedRange:
        """Remove the reserved range ``first``-``last`` (exactly); its held addresses become free, its acquired
        ones stay acquired (released later, they become free).

        Raises:
            NotFoundError: the prefix has no reserved range ``first``-``last``.
        """
        prefix = parse_cidr(prefix_cidr)
        if self._locks:
            self.tx.lock(layout.prefix_lock(self.namespace, prefix))
        row = self._row(prefix)
        low, high = self._range_in(prefix, first, last)
        reservations = Reservations(self.tx, self.namespace, prefix)
        found = reservations.exact(low, high) if row.reservations else None
        if found is None:
            message = f"no reserved range {first}-{last} in prefix {prefix}"
            clash = reservations.overlapping(low, high) if row.reservations else None
            if clash is not None:
                message += f", but {self._range(prefix.version, clash)} overlaps it"
            raise NotFoundError(message)
        held = reservations.remove(low, high)
        ranges = FreeRanges(self.tx, self.namespace, prefix)
        for start, end in held:
            changed = ranges.give_back_span(row, start, end)
            assert changed is not None, "a held address was free"
            row = changed
        count = sum(end - start + 1 for start, end in held)
        self.tx.put(layout.prefix_key(self.namespace, prefix),
                    replace(row, reservations=row.reservations - 1, reserved_free=row.reserved_free - count))
        return self._reserved(prefix.version, found)

    def reserved_ranges(self, prefix_cidr: str) -> list[ReservedRange]:
        """The reserved ranges of a prefix, lowest first."""
        prefix = parse_cidr(prefix_cidr)
        if not self._row(prefix).reservations:
            return []
        return [self._reserved(prefix.version, found)
                for found in Reservations(self.tx, self.namespace, prefix).listing()]

    def _range_in(self, prefix: Cidr, first: str, last: str) -> tuple[int, int]:
        """``first`` and ``last`` as addresses inside ``prefix``, ``first`` not above ``last``."""
        _, low = self._parse_ip_in(prefix, first)
        _, high = self._parse_ip_in(prefix, last)
        if low > high:
            raise InvalidInputError(f"invalid range {first}-{last}: {first} is above {last}")
        return low, high

    def _check_none_acquired(self, prefix: Cidr, wanted: str, low: int, high: int,
                             free: list[tuple[int, int]]) -> None:
        """Refuse ``low``-``high`` when it holds acquired addresses (the ones not free), naming them; the
        prefix's own network and broadcast addresses do not count."""
        own = {prefix.first, prefix.last} if prefix.version == 4 else {prefix.first}
        named: list[str] = []
        count, cursor = 0, low
        for start, end in [*free, (high + 1, high + 1)]:
            if start > cursor:  # cursor..start-1 is not free
                gap = start - cursor - sum(1 for point in own if cursor <= point < start)
                count += gap
                address = cursor
                while len(named) < NAMED_CONFLICTS and address < start:
                    if address not in own:
                        named.append(format_address(prefix.version, address))
                    address += 1
            cursor = end + 1
        if count:
            listed = ", ".join(named) + (f" and {count - len(named)} more" if count > len(named) else "")
            raise ConflictError(f"range {wanted} of prefix {prefix} holds acquired ips: {listed}")

    @staticmethod
    def _range(version: int, found: tuple[int, int, str]) -> str:
        return str(IpamSession._reserved(version, found))

    @staticmethod
    def _reserved(version: int, found: tuple[int, int, str]) -> ReservedRange:
        first, last, description = found
        return ReservedRange(format_address(version, first), format_address(version, last), description)

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

    def _row_for_ips(self, prefix: Cidr) -> PrefixRow:
        """The locked row of a prefix IPs are acquired from (refused while it has child prefixes)."""
        if self._locks:
            self.tx.lock(layout.prefix_lock(self.namespace, prefix))
        row = self._row(prefix)
        if row.children:
            raise ConflictError(f"prefix {prefix} has childprefixes, acquire ip not possible")
        return row

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
        if row.reservations:
            Reservations(self.tx, self.namespace, prefix).remove_all()
        if row.blocks_stored:
            FreeBlocks(self.tx, self.namespace, prefix).remove_all(row)
        self.tx.delete(layout.prefix_key(self.namespace, prefix))

    def _check_no_ips(self, parent: Cidr, row: PrefixRow) -> None:
        """A prefix holds IPs or child prefixes, not both (go-ipam's rule): reserved ranges count as IPs."""
        if _has_ips(row):
            raise ConflictError(f"prefix {parent} has ips, acquire child prefix not possible")
        if row.reservations:
            lowest = Reservations(self.tx, self.namespace, parent).overlapping(parent.first, parent.last)
            assert lowest is not None
            raise ConflictError(f"prefix {parent} has reserved range {self._range(parent.version, lowest)},"
                                " acquire child prefix not possible")

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
            acquired_ips=capped(row.acquired_ips - row.reserved_free),
            available_smallest_prefixes=capped(blocks.smallest_free(row)),
            available_prefixes=listed,
            acquired_prefixes=row.children,
            reserved_ips=capped(row.reserved_free),
        )

    @staticmethod
    def _no_room_message(parent: Cidr, free_blocks: list[Cidr], length: int) -> str:
        message = f"no prefix found in {parent} with length:{length}"
        if free_blocks:
            verb = "is" if len(free_blocks) == 1 else "are"
            message += f", but {','.join(str(block) for block in free_blocks)} {verb} available"
        return message
