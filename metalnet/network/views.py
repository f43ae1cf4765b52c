"""Read-only views of networks for people: the tree per partition, a network's prefixes and a page of its IPs.

Each view is one read-only transaction. A caller bound to a project passes it as ``acting_for``, and the
views apply :mod:`metalnet.network.access` as every other read does: another project's network is refused
(FORBIDDEN), and lists, trees and pages hold the caller's own project's records only. Figures come from the
same places the allocator's decisions do: consumption from the prefixes' counters, occupancy and child
coverage from :mod:`metalnet.ipam.occupancy`, IPs from the per-prefix index in address order (pages are
ordered seeks, so page 200 of 10,000 IPs costs what page 1 costs).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import msgspec

from metalnet.ipam.addresses import Cidr, parse_address, parse_cidr
from metalnet.ipam.errors import InvalidInputError
from metalnet.ipam.occupancy import Occupancy, allocated_ips, child_addresses, occupancy
from metalnet.ipam.session import IpamSession
from metalnet.network import access
from metalnet.network.addresses import IPV4, IPV6, family_of
from metalnet.network.consumption import consumption
from metalnet.network.errors import invalid, ipam_errors
from metalnet.network.model import IP, Family, Network, Usage
from metalnet.network.records import index_key
from metalnet.network.vrf import DEFAULT_RANGE
from metalnet.network.work import Work
from metalnet.storage.base import Storage, Transaction

#: IPs per page unless the caller asks otherwise, and the most it may ask for
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
#: from this many networks on, the counters of every prefix are read in one scan instead of one by one
BATCH_READ = 64


@dataclass(frozen=True, slots=True)
class FamilyUse:
    """One family of a network: IP usage (used counts the reserved addresses, as metal-api) and, for
    prefixes holding child prefixes, the addresses given to children out of ``size``."""

    family: Family
    usage: Usage
    size: int
    child_addresses: int
    has_children: bool


@dataclass(frozen=True, slots=True)
class TreeRow:
    """A network in tree order: ``depth`` 0 for a top-level one (or one whose parent is not shown)."""

    network: Network
    depth: int
    uses: tuple[FamilyUse, ...]
    #: children of this network left out of the listing (see ``child_limit``)
    hidden_children: int = 0


@dataclass(frozen=True, slots=True)
class PartitionTree:
    """The networks of one partition (``""``: networks without a partition) in tree order."""

    partition: str
    rows: tuple[TreeRow, ...]


@dataclass(frozen=True, slots=True)
class PrefixView:
    cidr: str
    occupancy: Occupancy


@dataclass(frozen=True, slots=True)
class NetworkDetail:
    network: Network
    uses: tuple[FamilyUse, ...]
    prefixes: tuple[PrefixView, ...]
    children: tuple[TreeRow, ...]
    parent_visible: bool
    #: visible children in all, and the position of the first one listed
    children_total: int = 0
    children_from: int = 0


@dataclass(frozen=True, slots=True)
class IPPage:
    """At most ``limit`` IPs of a network in address order; ``total`` is ``None`` when filtered by visibility."""

    ips: tuple[IP, ...]
    has_previous: bool
    has_next: bool
    total: int | None


def matches(network: Network, term: str) -> bool:
    """Whether the search ``term`` finds ``network``: a part of its id, name, project or a prefix (any case),
    an address inside one of its prefixes, or a CIDR overlapping one of them."""
    text = term.strip().lower()
    if not text:
        return True
    fields = (network.id, network.name, network.projectid, *network.prefixes)
    if any(text in field.lower() for field in fields):
        return True
    wanted = _as_cidr(text)
    if wanted is None:
        return False
    return any(wanted.overlaps(parse_cidr(cidr)) for cidr in network.prefixes)


def _as_cidr(text: str) -> Cidr | None:
    try:
        if "/" in text:
            return parse_cidr(text)
        version, value = parse_address(text)
    except InvalidInputError:
        return None
    return Cidr(version, value, 32 if version == 4 else 128)


class NetworkViews:
    """The views above over ``storage`` (the store a :class:`~metalnet.network.NetworkService` uses)."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def _read(self, fn: Callable[[Work], object]) -> object:
        return self.storage.run(lambda tx: fn(_work(tx)), readonly=True)

    def tree(
        self, search: str = "", *, acting_for: str | None = None, child_limit: int | None = None
    ) -> list[PartitionTree]:
        """Every network ``acting_for`` may see matching ``search``, per partition (sorted, ``""`` last), parents before
        their children (as the CLI's ``network list`` draws them; siblings in address order), at most
        ``child_limit`` children below a parent."""

        def read(work: Work) -> list[PartitionTree]:
            shown = [n for n in work.records.all(Network)
                     if access.visible(acting_for, n.projectid) and matches(n, search)]
            rows = _tree_rows(work, shown, child_limit)
            parts: dict[str, list[TreeRow]] = defaultdict(list)
            for row in rows:
                parts[row.network.partitionid].append(row)
            order = sorted(parts, key=lambda name: (name == "", name))
            return [PartitionTree(name, tuple(parts[name])) for name in order]

        result = self._read(read)
        assert isinstance(result, list)
        return result

    def detail(
        self,
        ident: str,
        block: str | None = None,
        *,
        acting_for: str | None = None,
        children_from: int = 0,
        child_limit: int | None = None,
    ) -> NetworkDetail:
        """A network with its uses, the occupancy map of each prefix (of ``block`` for the prefix holding it)
        and its visible children in address order (``child_limit`` of them from the ``children_from``-th).

        Raises:
            NetworkError: not found (also when hidden from the caller), or ``block`` in none of its prefixes.
        """

        def read(work: Work) -> NetworkDetail:
            network = _owned_network(work, ident, acting_for)
            if block is not None and not any(_holds(cidr, block) for cidr in network.prefixes):
                raise invalid(f"block {block!r} is in none of the prefixes of network {ident}")
            network = work.with_consumption(network)
            views = []
            for cidr in _ordered_prefixes(network):
                shown = block if block is not None and _holds(cidr, block) else None
                with ipam_errors(f"cannot read prefix {cidr} from ipam"):
                    views.append(PrefixView(cidr, occupancy(work.ipam, cidr, shown)))
            kids = sorted((
                n for n in (work.records.get(Network, str(key[-1])) for key in work.records.keys_under("child", ident))
                if n is not None and access.visible(acting_for, n.projectid)
            ), key=_order)
            start = max(0, children_from)
            listed = kids[start:] if child_limit is None else kids[start:start + child_limit]
            parent = network.parentnetworkid
            found = work.records.get(Network, parent) if parent is not None else None
            parent_visible = found is not None and access.visible(acting_for, found.projectid)
            return NetworkDetail(network, _uses(work, network), tuple(views), tuple(_tree_rows(work, listed)),
                                 parent_visible, len(kids), start)

        result = self._read(read)
        assert isinstance(result, NetworkDetail)
        return result

    def ips_page(
        self,
        ident: str,
        *,
        acting_for: str | None = None,
        after: str | None = None,
        before: str | None = None,
        limit: int = PAGE_SIZE,
    ) -> IPPage:
        """The IPs of a network after the address ``after`` (or before ``before``), at most ``limit``.

        An unbound caller sees every IP and the total from the prefixes' counters; a caller bound to a project
        sees its project's IPs only (a shared network holds others') and no total (it would count them).

        Raises:
            NetworkError: network not found or hidden, a malformed cursor, a limit outside 1..MAX_PAGE_SIZE.
        """
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise invalid(f"page size {limit} is not between 1 and {MAX_PAGE_SIZE}")
        bound = _cursor(after if before is None else before)

        def read(work: Work) -> IPPage:
            network = _owned_network(work, ident, acting_for)
            prefixes = sorted(parse_cidr(cidr) for cidr in network.prefixes)
            forward = before is None
            found = _take(work, prefixes, bound, forward, acting_for, limit + 1)
            more = len(found) > limit
            found = found[:limit]
            if not forward:
                found.reverse()
            if forward:
                # anything before the first shown (or, on an empty page, up to the cursor itself)
                edge = _value(found[0]) if found else _shifted(bound, 1)
                has_previous = edge is not None and bool(_take(work, prefixes, edge, False, acting_for, 1))
                has_next = more
            else:
                edge = _value(found[-1]) if found else _shifted(bound, -1)
                has_previous = more
                has_next = edge is not None and bool(_take(work, prefixes, edge, True, acting_for, 1))
            total = None
            if acting_for is None:
                with ipam_errors("cannot read prefix counters from ipam"):
                    total = sum(allocated_ips(work.ipam, str(cidr)) for cidr in prefixes)
            return IPPage(tuple(found), has_previous, has_next, total)

        result = self._read(read)
        assert isinstance(result, IPPage)
        return result


def _work(tx: Transaction) -> Work:
    return Work.open(tx, IpamSession, DEFAULT_RANGE)


def _owned_network(work: Work, ident: str, acting_for: str | None) -> Network:
    """The network ``ident``: NOT_FOUND when absent, FORBIDDEN for a caller bound to another project."""
    network = work.network(ident)
    access.check_owner(acting_for, network.projectid, network)
    return network


def _holds(cidr: str, block: str) -> bool:
    try:
        inner = parse_cidr(block)
    except InvalidInputError:
        return False
    outer = parse_cidr(cidr)
    return inner.length >= outer.length and outer.contains(inner.version, inner.first)


def _ordered_prefixes(network: Network) -> list[str]:
    return [str(c) for c in sorted(parse_cidr(cidr) for cidr in network.prefixes)]


def _uses(work: Work, network: Network) -> tuple[FamilyUse, ...]:
    """Per family present: the network's consumption and the addresses its prefixes gave to children."""
    sizes: dict[Family, int] = defaultdict(int)
    given: dict[Family, int] = defaultdict(int)
    for cidr in network.prefixes:
        prefix = parse_cidr(cidr)
        family = family_of(prefix.version)
        sizes[family] += prefix.size
        if network.privatesuper:  # only a private super network hands out child networks
            with ipam_errors(f"cannot read prefix {cidr} from ipam"):
                given[family] += child_addresses(work.ipam, cidr)
    pairs: tuple[tuple[Family, Usage | None], ...] = (
        (IPV4, network.consumption.ipv4), (IPV6, network.consumption.ipv6))
    return tuple(FamilyUse(family, usage, sizes[family], given[family], network.privatesuper)
                 for family, usage in pairs if usage is not None)


def _tree_rows(work: Work, shown: list[Network], child_limit: int | None = None) -> list[TreeRow]:
    """``shown`` in tree order, each with consumption and uses; a network whose parent is not shown is a root.

    With ``child_limit``, a parent lists at most that many children; the row of the parent counts the rest
    (``hidden_children``), and only listed networks cost a usage read.
    """
    ids = {n.id for n in shown}
    kids: dict[str, list[Network]] = defaultdict(list)
    roots = []
    for network in shown:
        parent = network.parentnetworkid
        if parent and parent in ids and parent != network.id:
            kids[parent].append(network)
        else:
            roots.append(network)
    order: list[tuple[Network, int, int]] = []
    done: set[str] = set()

    def walk(network: Network, depth: int) -> None:
        if network.id in done:  # a parent cycle in broken data must not loop
            return
        done.add(network.id)
        children = sorted(kids.get(network.id, ()), key=_order)
        listed = children if child_limit is None else children[:child_limit]
        order.append((network, depth, len(children) - len(listed)))
        for kid in listed:
            walk(kid, depth + 1)
        for kid in children[len(listed):]:
            hide(kid)

    def hide(network: Network) -> None:
        """Leave out ``network`` and everything below it (counted on its parent's row)."""
        if network.id not in done:
            done.add(network.id)
            for kid in kids.get(network.id, ()):
                hide(kid)

    for network in sorted(roots, key=_order):
        walk(network, 0)
    for network in sorted(shown, key=_order):  # anything a cycle kept from the roots
        if network.id not in done:
            walk(network, 0)
    counters = None
    if len(order) > BATCH_READ:
        with ipam_errors("cannot read prefix counters from ipam"):
            counters = work.ipam.all_prefix_counters()
    rows = []
    for network, depth, hidden in order:
        full = msgspec.structs.replace(network, consumption=consumption(work.ipam, network, counters))
        rows.append(TreeRow(full, depth, _uses(work, full), hidden))
    return rows


def _order(network: Network) -> tuple[str, list[Cidr], str]:
    """Partition, then address order of the prefixes (children as they lie in their parent), then id."""
    return network.partitionid, sorted(parse_cidr(cidr) for cidr in network.prefixes), network.id


def _cursor(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        return parse_address(text)
    except InvalidInputError:
        raise invalid(f"page cursor {text!r} is not an IP address") from None


def _shifted(bound: tuple[int, int] | None, step: int) -> tuple[int, int] | None:
    return None if bound is None else (bound[0], bound[1] + step)


def _value(ip: IP) -> tuple[int, int]:
    return parse_address(ip.ipaddress)


def _take(
    work: Work, prefixes: list[Cidr], bound: tuple[int, int] | None, forward: bool, acting_for: str | None,
    count: int,
) -> list[IP]:
    """Up to ``count`` IPs ``acting_for`` may see strictly after (``forward``) or before ``bound``, nearest
    first."""
    found: list[IP] = []
    for address in _addresses(work, prefixes, bound, forward):
        ip = work.records.get(IP, address)
        if ip is not None and access.visible(acting_for, ip.projectid):
            found.append(ip)
            if len(found) == count:
                break
    return found


def _addresses(
    work: Work, prefixes: list[Cidr], bound: tuple[int, int] | None, forward: bool
) -> Iterator[str]:
    """Addresses from the IP index of ``prefixes`` (sorted, disjoint), beyond ``bound``, one seek each."""
    tx = work.tx
    for prefix in prefixes if forward else reversed(prefixes):
        within = index_key("ipprefix", str(prefix))
        if forward:
            low = prefix.first
            if bound is not None:
                if (prefix.version, prefix.last) <= bound:
                    continue
                if bound[0] == prefix.version:
                    low = max(low, bound[1] + 1)
            while True:
                found = tx.first((*within, low), within)
                if found is None:
                    break
                yield str(found[1])
                low = int(found[0][-1]) + 1
        else:
            high = prefix.last
            if bound is not None:
                if (prefix.version, prefix.first) >= bound:
                    continue
                if bound[0] == prefix.version:
                    high = min(high, bound[1] - 1)
            while high >= 0:
                found = tx.last((*within, high), within)
                if found is None:
                    break
                yield str(found[1])
                high = int(found[0][-1]) - 1
