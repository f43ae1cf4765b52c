"""Reserved ranges of a network: address ranges of its prefixes that next-free allocation never hands out.

The IPAM core owns the reservations (one set per prefix, :meth:`~metalnet.ipam.session.IpamSession.reserve_range`);
the network record keeps only their number (``Network.reservations``: a network without any reads none), and a
network read gets them back from its prefixes (:func:`read_ranges`). This
module holds the network layer's rules: each range lies inside one of the network's prefixes (both families),
a private super network carries none (its prefixes are given out as child networks, which the core refuses
from a prefix with reservations), and an update replaces the whole set in the update's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from metalnet.ipam.errors import InvalidInputError, IpamError
from metalnet.ipam.session import IpamSession
from metalnet.network.addresses import canonical_address, contains
from metalnet.network.errors import from_ipam, invalid, ipam_errors
from metalnet.network.model import Network, ReservedRange

#: a checked range and the network prefix holding it
Placed = tuple[str, ReservedRange]


def check_ranges(network_id: str, prefixes: Sequence[str], ranges: Sequence[ReservedRange]) -> list[Placed]:
    """Each range in canonical form with the prefix of ``prefixes`` that holds it, in the given order (the
    core checks the rest when it reserves: a first address above the last, the description's length).

    Raises:
        NetworkError: INVALID, naming the range, for an unparsable address or a range that no single prefix of
            the network holds (ends of two families included).
    """
    placed = []
    for given in ranges:
        name = f"{given.first}-{given.last}"
        try:
            first, last = canonical_address(given.first), canonical_address(given.last)
        except InvalidInputError as exc:
            raise invalid(f"reserved range {name} is invalid: {exc}") from None
        cidr = next((c for c in prefixes if contains(c, first) and contains(c, last)), None)
        if cidr is None:
            raise invalid(
                f"reserved range {name} is not within one of the prefixes of network {network_id}: {list(prefixes)}")
        placed.append((cidr, ReservedRange(first=first, last=last, description=given.description)))
    return placed


def check_may_reserve(network_id: str, privatesuper: bool, ranges: Sequence[ReservedRange] | None) -> None:
    """INVALID when ``ranges`` are given for a private super network (its prefixes are split into children)."""
    if ranges and privatesuper:
        raise invalid(
            f"reserved ranges cannot be set on private super network {network_id}: its prefixes are given out "
            "as child networks (reserve addresses in a child network instead)")


def read_placed(session: IpamSession, network: Network) -> list[Placed]:
    """The network's reservations in the core, in prefix order and, within a prefix, in address order (no read
    when its record says it has none)."""
    placed: list[Placed] = []
    if not network.reservations:
        return placed
    for cidr in network.prefixes:
        with ipam_errors(f"cannot read reserved ranges of prefix {cidr} in ipam"):
            found = session.reserved_ranges(cidr)
        placed.extend(
            (cidr, ReservedRange(first=r.first, last=r.last, description=r.description)) for r in found)
    return placed


def read_ranges(session: IpamSession, network: Network) -> list[ReservedRange]:
    """The network's reserved ranges, read back from its prefixes in the core."""
    return [found for _, found in read_placed(session, network)]


def reserve(session: IpamSession, network_id: str, placed: Sequence[Placed], *, keep_acquired: bool = False) -> None:
    """Reserve each range in its prefix; the core refuses (and the caller's transaction rolls back) overlap
    with another reservation and, unless ``keep_acquired``, ranges holding allocated addresses, naming them."""
    for cidr, wanted in placed:
        context = f"cannot reserve {wanted} in network {network_id}"
        try:
            session.reserve_range(cidr, wanted.first, wanted.last, description=wanted.description,
                                  keep_acquired=keep_acquired)
        except InvalidInputError as exc:  # bad input only the core checks (first above last, description length)
            raise invalid(f"{context}: {exc}") from exc
        except IpamError as exc:
            raise from_ipam(exc, context) from exc


def replace_ranges(session: IpamSession, network_id: str, held: Sequence[Placed], wanted: Sequence[Placed],
                   between: Callable[[], None]) -> None:
    """Make ``wanted`` the network's reservations where ``held`` are, running ``between`` (the prefix changes of
    an update) after the ranges no longer wanted are unreserved and before new ones are reserved, so that a
    range of a removed prefix is gone before its prefix and a new range may take the place of one it overlaps.

    A range kept with the same addresses and another description is reserved again keeping its allocated
    addresses (taken as reserved ones, they belong to it); any other new range holding allocated addresses is
    refused by the core, naming them.
    """
    unreserve(session, network_id, [placed for placed in held if placed not in wanted])
    between()
    added = [placed for placed in wanted if placed not in held]
    bounds = {(cidr, found.first, found.last) for cidr, found in held}
    renamed = [(cidr, found) for cidr, found in added if (cidr, found.first, found.last) in bounds]
    reserve(session, network_id, renamed, keep_acquired=True)
    reserve(session, network_id, [placed for placed in added if placed not in renamed])


def unreserve(session: IpamSession, network_id: str, placed: Sequence[Placed]) -> None:
    for cidr, held in placed:
        with ipam_errors(f"cannot unreserve {held} in network {network_id}"):
            session.unreserve_range(cidr, held.first, held.last)


def reserve_in_new(session: IpamSession, network: Network, ranges: Sequence[ReservedRange] | None) -> None:
    """Reserve ``ranges`` in the prefixes of ``network``, a network being created whose prefixes exist in the
    core but whose record is not written yet (a child network: its prefixes are known only now), and set them on
    it as the core holds them, for the event of its create."""
    check_may_reserve(network.id, network.privatesuper, ranges)
    placed = check_ranges(network.id, network.prefixes, ranges or [])
    reserve(session, network.id, placed)
    network.reservations = len(placed)
    network.reservedranges = read_ranges(session, network)
