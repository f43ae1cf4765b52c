"""Consumption of a network: per family, the sum of its prefixes' usage counters (O(1) per prefix)."""

from __future__ import annotations

from collections.abc import Mapping

from metalnet.ipam.errors import IpamError
from metalnet.ipam.model import Usage as IpamUsage
from metalnet.ipam.session import IpamSession
from metalnet.network.addresses import IPV4, IPV6, cidr_family
from metalnet.network.errors import from_ipam
from metalnet.network.model import Consumption, Network, Usage


def prefix_consumption(session: IpamSession, cidr: str, *, blocks: bool = False) -> Usage:
    """metal-api's mapping of go-ipam's usage: used_ips counts the network (and broadcast) address too; the
    addresses of reserved ranges that are not allocated are counted apart, in reserved_ips (metalnet's).

    ``blocks``: ``available_prefixes`` is the number of free blocks (metal-stack v2's meaning, a scan of the
    free blocks) rather than the number of smallest prefixes that fit (v1's, O(1)).
    """
    if blocks:
        try:
            full = session.prefix_usage(cidr)
        except IpamError as exc:
            raise from_ipam(exc, f"cannot read usage of prefix {cidr} in ipam") from exc
        return Usage(available_ips=full.available_ips, used_ips=full.acquired_ips,
                     available_prefixes=len(full.available_prefixes), used_prefixes=full.acquired_prefixes,
                     reserved_ips=full.reserved_ips)
    # a plain try (free when nothing is raised) rather than a context manager: this runs for every prefix
    # of every network read
    try:
        counters = session.prefix_counters(cidr)
    except IpamError as exc:
        raise from_ipam(exc, f"cannot read usage of prefix {cidr} in ipam") from exc
    return usage_of(counters)


def usage_of(counters: IpamUsage) -> Usage:
    """The network layer's usage of one prefix from the core's counters."""
    return Usage(
        available_ips=counters.available_ips,
        used_ips=counters.acquired_ips,
        available_prefixes=counters.available_smallest_prefixes,
        used_prefixes=counters.acquired_prefixes,
        reserved_ips=counters.reserved_ips,
    )


def consumption(
    session: IpamSession, network: Network, counters: Mapping[str, IpamUsage] | None = None, *, blocks: bool = False
) -> Consumption:
    """Per family the sum of the network's prefixes' usage; ``counters`` (all of the namespace, read in one
    go) saves a look-up per prefix where many networks are read; ``blocks``: see :func:`prefix_consumption`."""
    totals: dict[str, Usage] = {}
    for cidr in network.prefixes:
        family = cidr_family(cidr)
        found = counters.get(cidr) if counters is not None and not blocks else None
        usage = usage_of(found) if found is not None else prefix_consumption(session, cidr, blocks=blocks)
        totals[family] = totals[family] + usage if family in totals else usage
    return Consumption(ipv4=totals.get(IPV4), ipv6=totals.get(IPV6))
