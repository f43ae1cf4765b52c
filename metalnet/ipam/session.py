"""The IPAM operations, run inside one storage transaction.

State per prefix (see :mod:`metalnet.ipam.layout` for the keys):

- a :class:`~metalnet.storage.rows.PrefixRow` with the counters usage is read from;
- its **free address ranges**, keyed by their last address (value: first address). The next free IP is the
  first range; acquiring it only raises that range's start, so the common case rewrites one value;
- its **free child blocks**: the free part of the prefix (minus acquired children) as maximal aligned CIDR
  blocks, keyed by (length, start), plus a bitmask of the lengths present. Best fit is the largest length
  <= the requested one in the mask (O(1)), then the lowest block of that length (one ordered seek); taking a
  child splits the block buddy-style, releasing one merges buddies back.

Every decision is one or a few ordered seeks, so its cost does not grow with what the prefix holds.
"""

from __future__ import annotations

from msgspec.structs import replace

from metalnet.ipam import layout
from metalnet.ipam.addresses import (
    Cidr,
    capped,
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
from metalnet.ipam.model import IP, Prefix, Usage
from metalnet.ipam.namespaces import ROOT_NAMESPACE, check_namespace_name
from metalnet.storage.base import Key, Transaction
from metalnet.storage.rows import NamespaceRow, PrefixRow, Value


def reserved_count(cidr: Cidr) -> int:
    """Addresses reserved at creation: network and broadcast for IPv4 (one for a /32), network for IPv6."""
    return 2 if cidr.version == 4 and cidr.length < 32 else 1


def _has_ips(row: PrefixRow) -> bool:
    # go-ipam's threshold: more than 2 (IPv4) or 1 (IPv6) acquired addresses, reserved ones included
    return row.acquired_ips > (2 if row.version == 4 else 1)


def _smallest_blocks(cidr: Cidr, block_length: int) -> int:
    """How many (width-2)-length blocks a free block of ``block_length`` holds."""
    smallest = cidr.width - 2
    return 1 << (smallest - block_length) if block_length <= smallest else 0


def _fresh_range(prefix: Cidr) -> tuple[int, int]:
    """The free address range of a fresh prefix (empty when ``low > high``)."""
    return prefix.first + 1, prefix.last - 1 if prefix.version == 4 else prefix.last


def cidr_of(row: PrefixRow) -> Cidr:
    return Cidr(row.version, row.first, row.length)


class IpamSession:
    """go-ipam's operations on one namespace, inside the caller's transaction ``tx``."""

    def __init__(self, tx: Transaction, namespace: str = ROOT_NAMESPACE) -> None:
        check_namespace_name(namespace)
        self.tx = tx
        self.namespace = namespace

    # -- prefixes -------------------------------------------------------------------------------

    def new_prefix(self, cidr: str) -> Prefix:
        prefix = parse_cidr(cidr)
        self._require_namespace()
        self.tx.lock(layout.namespace_lock(self.namespace))
        existing = self._overlapping_top_level(prefix)
        if existing is not None:
            raise ConflictError(f"{prefix} overlaps {existing}")
        self._create(prefix, parent=None)
        self.tx.put(layout.top_key(self.namespace, prefix), prefix.length)
        return self._prefix(prefix, "")

    def delete_prefix(self, cidr: str) -> Prefix:
        prefix = parse_cidr(cidr)
        self.tx.lock(layout.namespace_lock(self.namespace))
        row = self._row(prefix)
        if row.parent_cidr:
            # deleting a child means giving its block back to the parent (go-ipam would leak it)
            return self.release_child_prefix(cidr)
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

    # -- child prefixes -------------------------------------------------------------------------

    def acquire_child_prefix(self, parent_cidr: str, length: int) -> Prefix:
        parent = parse_cidr(parent_cidr)
        if not isinstance(length, int) or isinstance(length, bool):
            raise InvalidInputError(f"invalid child prefix length {length!r}: not an integer")
        self.tx.lock(layout.prefix_lock(self.namespace, parent))
        row = self._row(parent)
        if length <= parent.length or length > parent.width:
            raise InvalidInputError(
                f"given length:{length} must be greater than prefix length:{parent.length}"
                f" and at most {parent.width} (parent {parent})"
            )
        if _has_ips(row):
            raise ConflictError(f"prefix {parent} has ips, acquire child prefix not possible")
        row = self._stored_blocks(parent, row)
        fitting = row.free_lengths & ((1 << (length + 1)) - 1)
        while True:
            if not fitting:
                raise NoPrefixAvailableError(self._no_room_message(parent, row, length))
            block_length = fitting.bit_length() - 1
            space = layout.block_space(self.namespace, parent, block_length)
            found = self.tx.first(space, space)
            if found is not None:
                break
            fitting ^= 1 << block_length
            row = replace(row, free_lengths=row.free_lengths & ~(1 << block_length))
        start = int(found[0][-1])
        child = Cidr(parent.version, start, length)
        row = self._split_block(parent, row, block_length, start, child)
        return self._attach_child(parent, row, child)

    def acquire_specific_child_prefix(self, parent_cidr: str, child_cidr: str) -> Prefix:
        parent = parse_cidr(parent_cidr)
        child = parse_cidr(child_cidr)
        self.tx.lock(layout.prefix_lock(self.namespace, parent))
        row = self._row(parent)
        if child.version != parent.version or child.length <= parent.length or not (
            parent.first <= child.first <= parent.last
        ):
            raise InvalidInputError(f"specific prefix {child_cidr} is not a child prefix of {parent}")
        if _has_ips(row):
            raise ConflictError(f"prefix {parent} has ips, acquire child prefix not possible")
        row = self._stored_blocks(parent, row)
        block = self._free_block_containing(parent, row, child)
        if block is None:
            raise AlreadyAllocatedError(f"specific prefix {child} is not available in prefix {parent}")
        row = self._split_block(parent, row, block.length, block.first, child)
        return self._attach_child(parent, row, child)

    def release_child_prefix(self, child_cidr: str) -> Prefix:
        child = parse_cidr(child_cidr)
        # locks go from the child up to its parent; no operation locks a parent and then a child
        self.tx.lock(layout.prefix_lock(self.namespace, child))
        row = self._row(child)
        if not row.parent_cidr:
            raise NotFoundError(f"prefix {child} is no child prefix")
        parent = parse_cidr(row.parent_cidr)
        self.tx.lock(layout.prefix_lock(self.namespace, parent))
        parent_row = self._row(parent)
        self._check_removable(row, child, "release child prefix")
        self._remove(child, row)
        parent_row = self._free_block(parent, parent_row, child.length, child.first)
        self.tx.put(layout.prefix_key(self.namespace, parent),
                    replace(parent_row, children=parent_row.children - 1))
        return self._prefix(child, str(parent))

    # -- addresses ------------------------------------------------------------------------------

    def acquire_ip(self, prefix_cidr: str) -> IP:
        prefix = parse_cidr(prefix_cidr)
        self.tx.lock(layout.prefix_lock(self.namespace, prefix))
        row = self._row(prefix)
        if row.children:
            raise ConflictError(f"prefix {prefix} has childprefixes, acquire ip not possible")
        if row.ips_stored:
            space = layout.range_space(self.namespace, prefix)
            found = self.tx.first(space, space)
        else:  # a fresh prefix: its one free range is implied, so take its first address straight away
            low, high = _fresh_range(prefix)
            found = ((layout.range_key(self.namespace, prefix, high), low)) if low <= high else None
        if found is None:
            raise NoIPAvailableError(
                f"no more ips in prefix: {prefix} left, length of prefix.ips: {row.acquired_ips}"
            )
        key, start = found
        assert isinstance(start, int)
        if start == key[-1]:
            self.tx.delete(key)
        else:
            self.tx.put(key, start + 1)
        row = replace(row, acquired_ips=row.acquired_ips + 1, ips_stored=True)
        self.tx.put(layout.prefix_key(self.namespace, prefix), row)
        return IP(to_ip_address(prefix.version, start), str(prefix))

    def acquire_specific_ip(self, prefix_cidr: str, ip: str) -> IP:
        if not ip:
            return self.acquire_ip(prefix_cidr)
        prefix = parse_cidr(prefix_cidr)
        self.tx.lock(layout.prefix_lock(self.namespace, prefix))
        row = self._row(prefix)
        version, address = self._parse_ip_in(prefix, ip)
        if row.children:
            raise ConflictError(f"prefix {prefix} has childprefixes, acquire ip not possible")
        row = self._stored_ips(prefix, row)
        space = layout.range_space(self.namespace, prefix)
        found = self.tx.first((*space, address), space)
        if found is None or int(found[1]) > address:  # type: ignore[arg-type]
            raise AlreadyAllocatedError(f"given ip:{format_address(version, address)} is already allocated")
        key, start = found
        assert isinstance(start, int)
        end = int(key[-1])
        if start < address:
            self.tx.put(layout.range_key(self.namespace, prefix, address - 1), start)
        if address < end:
            self.tx.put(key, address + 1)
        else:
            self.tx.delete(key)
        self.tx.put(layout.prefix_key(self.namespace, prefix), replace(row, acquired_ips=row.acquired_ips + 1))
        return IP(to_ip_address(version, address), str(prefix))

    def release_ip_from_prefix(self, prefix_cidr: str, ip: str) -> IP:
        prefix = parse_cidr(prefix_cidr)
        self.tx.lock(layout.prefix_lock(self.namespace, prefix))
        row = self._row(prefix)
        version, address = parse_address(ip)
        self._release(prefix, row, version, address, ip)
        return IP(to_ip_address(version, address), str(prefix))

    def release_ip(self, ip: IP) -> Prefix:
        if not isinstance(ip, IP):
            raise InvalidInputError(f"invalid ip {ip!r}: expected an IP returned by acquire_ip")
        prefix = parse_cidr(ip.parent_prefix)
        self.tx.lock(layout.prefix_lock(self.namespace, prefix))
        row = self._row(prefix)
        self._release(prefix, row, ip.ip.version, int(ip.ip), str(ip))
        return self._prefix(prefix, row.parent_cidr or "")

    def _release(self, prefix: Cidr, row: PrefixRow, version: int, address: int, text: str) -> None:
        """Return ``address`` to the free ranges, merging with the ranges just below and above it."""
        row = self._stored_ips(prefix, row)
        space = layout.range_space(self.namespace, prefix)
        inside = prefix.contains(version, address)
        above = self.tx.first((*space, address), space) if inside else None
        if not inside or (above is not None and int(above[1]) <= address):  # type: ignore[arg-type]
            raise NotFoundError(f"unable to release ip:{text} because it is not allocated in prefix:{prefix}")
        below_key = layout.range_key(self.namespace, prefix, address - 1)
        below_start = self.tx.get(below_key) if address > prefix.first else None
        start = address
        if below_start is not None:
            assert isinstance(below_start, int)
            self.tx.delete(below_key)
            start = below_start
        if above is not None and above[1] == address + 1:
            merged_key = above[0]
        else:
            merged_key = layout.range_key(self.namespace, prefix, address)
        row = replace(row, acquired_ips=row.acquired_ips - 1)
        if row.acquired_ips == reserved_count(prefix) and (start, merged_key[-1]) == _fresh_range(prefix):
            self.tx.delete(merged_key)  # back to the fresh state: the range is implied again
            row = replace(row, ips_stored=False)
        else:
            self.tx.put(merged_key, start)
        self.tx.put(layout.prefix_key(self.namespace, prefix), row)

    def acquired_ip_ranges(self, prefix_cidr: str) -> list[tuple[int, int]]:
        """The acquired addresses of a prefix as inclusive (first, last) ranges: the gaps between free ranges."""
        prefix = parse_cidr(prefix_cidr)
        row = self._row(prefix)
        if row.ips_stored:
            entries = self.tx.scan(layout.range_space(self.namespace, prefix))
            free = [(int(start), int(key[-1])) for key, start in entries]  # type: ignore[arg-type]
        else:
            low, high = _fresh_range(prefix)
            free = [(low, high)] if low <= high else []
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
        if row.ips_stored:
            for key, _ in self.tx.scan(layout.range_space(self.namespace, prefix)):
                self.tx.delete(key)
        cursor = prefix.first
        for address in [*taken, prefix.last + 1]:
            if address > cursor:
                self.tx.put(layout.range_key(self.namespace, prefix, address - 1), cursor)
            cursor = address + 1
        self.tx.put(layout.prefix_key(self.namespace, prefix), replace(row, acquired_ips=len(taken), ips_stored=True))

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
        return Prefix(str(prefix), parent_cidr, self.namespace, self)

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
                existing = Cidr(prefix.version, int(found[0][-1]), int(found[1]))  # type: ignore[arg-type]
                if existing.overlaps(prefix):
                    return existing
        return None

    def _create(self, prefix: Cidr, parent: Cidr | None) -> None:
        """Store a fresh prefix: reserved addresses taken, the rest free for IPs and for children.

        Its free range and free block stay implied (not stored) until an operation changes them.
        """
        reserved = reserved_count(prefix)
        row = PrefixRow(
            namespace=self.namespace,
            version=prefix.version,
            first=prefix.first,
            length=prefix.length,
            parent_cidr=str(parent) if parent else None,
            acquired_ips=reserved,
            children=0,
            free_smallest=_smallest_blocks(prefix, prefix.length),
            free_lengths=1 << prefix.length,
        )
        self.tx.insert(layout.prefix_key(self.namespace, prefix), row)

    def _remove(self, prefix: Cidr, row: PrefixRow) -> None:
        if row.ips_stored:
            for key, _ in self.tx.scan(layout.range_space(self.namespace, prefix)):
                self.tx.delete(key)
        for key, _ in self._free_block_entries(prefix, row):
            self.tx.delete(key)
        self.tx.delete(layout.prefix_key(self.namespace, prefix))

    def _stored_ips(self, prefix: Cidr, row: PrefixRow) -> PrefixRow:
        """Make the implied free range of a fresh prefix a stored key (before changing the ranges)."""
        if row.ips_stored:
            return row
        low, high = _fresh_range(prefix)
        if low <= high:
            self.tx.put(layout.range_key(self.namespace, prefix, high), low)
        return replace(row, ips_stored=True)

    def _stored_blocks(self, prefix: Cidr, row: PrefixRow) -> PrefixRow:
        """Make the implied free block of a fresh prefix a stored key (before changing the blocks)."""
        if row.blocks_stored:
            return row
        self.tx.put(layout.block_key(self.namespace, prefix, prefix.length, prefix.first), 1)
        return replace(row, blocks_stored=True)

    def _check_removable(self, row: PrefixRow, prefix: Cidr, action: str) -> None:
        if _has_ips(row):
            raise ConflictError(f"prefix {prefix} has ips, {action} not possible")
        if row.children:
            raise ConflictError(f"prefix {prefix} has {row.children} child prefixes, {action} not possible")

    def _attach_child(self, parent: Cidr, row: PrefixRow, child: Cidr) -> Prefix:
        self._create(child, parent)
        self.tx.put(layout.prefix_key(self.namespace, parent), replace(row, children=row.children + 1))
        return self._prefix(child, str(parent))

    def _free_block_containing(self, parent: Cidr, row: PrefixRow, child: Cidr) -> Cidr | None:
        lengths = row.free_lengths & ((1 << (child.length + 1)) - 1)
        while lengths:
            length = lengths.bit_length() - 1
            lengths ^= 1 << length
            start = child.first & ~((1 << (parent.width - length)) - 1)
            if self.tx.get(layout.block_key(self.namespace, parent, length, start)) is not None:
                return Cidr(parent.version, start, length)
        return None

    def _split_block(self, parent: Cidr, row: PrefixRow, length: int, start: int, child: Cidr) -> PrefixRow:
        """Take ``child`` out of the free block (length, start); the halves not on its path stay free."""
        row = self._drop_block(parent, row, length, start)
        free_smallest, free_lengths = row.free_smallest, row.free_lengths
        for sub_length in range(length + 1, child.length + 1):
            half = 1 << (parent.width - sub_length)
            on_path = child.first & ~(half - 1)
            self.tx.put(layout.block_key(self.namespace, parent, sub_length, on_path ^ half), 1)
            free_smallest += _smallest_blocks(parent, sub_length)
            free_lengths |= 1 << sub_length
        return replace(row, free_smallest=free_smallest, free_lengths=free_lengths)

    def _free_block(self, parent: Cidr, row: PrefixRow, length: int, start: int) -> PrefixRow:
        """Return the block (length, start) to the free set, merging it with free buddies."""
        while length > parent.length:
            buddy = start ^ (1 << (parent.width - length))
            if self.tx.get(layout.block_key(self.namespace, parent, length, buddy)) is None:
                break
            row = self._drop_block(parent, row, length, buddy)
            start = min(start, buddy)
            length -= 1
        if length == parent.length:  # the whole prefix is free again: back to the implied fresh block
            return replace(row, free_smallest=_smallest_blocks(parent, length), free_lengths=1 << length,
                           blocks_stored=False)
        self.tx.put(layout.block_key(self.namespace, parent, length, start), 1)
        return replace(
            row,
            free_smallest=row.free_smallest + _smallest_blocks(parent, length),
            free_lengths=row.free_lengths | (1 << length),
        )

    def _drop_block(self, parent: Cidr, row: PrefixRow, length: int, start: int) -> PrefixRow:
        # ``free_lengths`` may keep the bit of a length whose last block this was: it is a superset,
        # cleared lazily where a look-up finds the length empty
        self.tx.delete(layout.block_key(self.namespace, parent, length, start))
        return replace(row, free_smallest=row.free_smallest - _smallest_blocks(parent, length))

    def _free_block_entries(self, prefix: Cidr, row: PrefixRow) -> list[tuple[Key, Value]]:
        """The stored free block keys (none while the block is implied)."""
        entries: list[tuple[Key, Value]] = []
        if not row.blocks_stored:
            return entries
        lengths = row.free_lengths
        while lengths:
            length = lengths.bit_length() - 1
            lengths ^= 1 << length
            entries += self.tx.scan(layout.block_space(self.namespace, prefix, length))
        return entries

    def _free_blocks(self, prefix: Cidr, row: PrefixRow) -> list[Cidr]:
        if not row.blocks_stored:
            return [prefix]
        blocks = [Cidr(prefix.version, int(key[-1]), int(key[-2])) for key, _ in self._free_block_entries(prefix, row)]
        return sorted(blocks, key=lambda block: block.first)

    def _usage(self, prefix: Cidr, row: PrefixRow, *, with_blocks: bool) -> Usage:
        listed = []
        if with_blocks:
            # go-ipam lists only blocks that can hold a smallest prefix (/30, /126)
            listed = [str(b) for b in self._free_blocks(prefix, row) if b.length <= prefix.width - 2]
        return Usage(
            available_ips=capped(prefix.size),
            acquired_ips=capped(row.acquired_ips),
            available_smallest_prefixes=capped(row.free_smallest),
            available_prefixes=listed,
            acquired_prefixes=row.children,
        )

    def _no_room_message(self, parent: Cidr, row: PrefixRow, length: int) -> str:
        message = f"no prefix found in {parent} with length:{length}"
        free = [str(block) for block in self._free_blocks(parent, row)]
        if free:
            verb = "is" if len(free) == 1 else "are"
            message += f", but {','.join(free)} {verb} available"
        return message
