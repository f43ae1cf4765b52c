"""Bulk allocation: ``count`` IPs of one network, or ``count`` child networks, in one transaction.

All or nothing: when fewer than ``count`` addresses are free nothing is taken and the refusal says how many
are free; a child network that cannot be allocated rolls back the ones before it. Addresses come from the
IPAM core's run operation (:meth:`~metalnet.ipam.session.IpamSession.acquire_ips`), which takes the lowest
free ranges whole, so a bulk of 10,000 costs one prefix-row change per free range crossed, not 10,000.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from metalnet.ipam import model as ipam_model
from metalnet.ipam.errors import IpamError, NoIPAvailableError
from metalnet.ipam.session import MAX_ACQUIRE
from metalnet.network.addresses import cidr_family
from metalnet.network.children import allocate_network
from metalnet.network.errors import NetworkError, conflict, from_ipam, invalid, refused
from metalnet.network.ids import new_ids
from metalnet.network.ips import allocate_ip, allocation_target, default_family, ip_template
from metalnet.network.model import IP, Family, Network, now
from metalnet.network.records import index_key, ip_key, ip_prefix_key, prefix_space
from metalnet.network.requests import IPAllocate, NetworkAllocate
from metalnet.network.work import Work
from metalnet.storage.base import Key, KeyExistsError

#: the most IPs or child networks one bulk request may ask for: the core's limit of one run
MAX_BULK = MAX_ACQUIRE


def check_count(count: object) -> int:
    """``count`` as a positive integer up to :data:`MAX_BULK`; INVALID naming the value and the limit otherwise."""
    if count is None:
        raise invalid(f"count should be given: how many to allocate, 1 to {MAX_BULK}")
    if not isinstance(count, int) or isinstance(count, bool):
        raise invalid(f"count {count!r} is not an integer")
    if not 1 <= count <= MAX_BULK:
        raise invalid(f"count {count} is out of range: expected 1 to {MAX_BULK} (the bulk limit)")
    return count


def allocate_ips(work: Work, request: IPAllocate, count: int, acting_for: str | None = None) -> list[IP]:
    """``POST /v1/ip/allocate/bulk``: the ``count`` lowest free addresses of the network's family, in order.

    The rules of a single allocation apply (:func:`~metalnet.network.ips.allocation_target`); the prefixes
    of the family are filled in the network's order, as the single allocation skips a full prefix.
    """
    check_count(count)
    network, family = allocation_target(work, request, None, acting_for)
    family = family or default_family(network)
    cidrs = [cidr for cidr in network.prefixes if cidr_family(cidr) == family]
    # a child of a super-namespaced network takes its addresses from its project's namespace
    session = work.ipam_in(network.namespace)
    try:
        free = [(cidr, session.free_ip_count(cidr)) for cidr in cidrs]
    except IpamError as exc:
        raise from_ipam(exc, f"cannot allocate ips in network {network.id}") from exc
    available = sum(n for _, n in free)
    if available < count:
        raise refused(
            f"cannot allocate {count} ips in network {network.id}: only {available} {family} addresses are free"
        )
    stamp, result, remaining = now(), [], count
    for cidr, room in free:
        if remaining == 0:
            break
        take = min(remaining, room)
        if take == 0:
            continue
        try:
            acquired = session.acquire_ips(cidr, take)
        except IpamError as exc:
            raise from_ipam(exc, f"cannot allocate ips in prefix {cidr} of network {network.id}") from exc
        result.extend(_store_ips(work, network, request, acquired, stamp))
        remaining -= take
    return result


def _store_ips(
    work: Work, network: Network, request: IPAllocate, acquired: list[ipam_model.IP], stamp: datetime
) -> list[IP]:
    """The records and secondary keys of :func:`~metalnet.network.ips.store_ip`, written with one bulk call each."""
    template = ip_template(network, request, stamp)
    ips = [
        msgspec.structs.replace(template, ipaddress=str(address), prefix=address.parent_prefix, allocationuuid=ident)
        for address, ident in zip(acquired, new_ids(len(acquired)), strict=True)
    ]
    _write_ips(work, network, ips, acquired)
    return ips


def _write_ips(work: Work, network: Network, ips: list[IP], acquired: Sequence[ipam_model.IP]) -> None:
    """Insert ``ips`` (the records of the addresses ``acquired``, in order) and their secondary keys."""
    try:
        work.records.insert_many(ips)
    except KeyExistsError as exc:
        raise conflict(f"ip already allocated: {exc.key[-1]} has a record already") from None
    namespace = network.namespace
    # the keys' leading items, worked out once per prefix and project (ip_prefix_key, index_key)
    by_prefix: dict[str, Key] = {}
    by_project: dict[str, Key] = {}
    entries: list[tuple[Key, str]] = []
    add = entries.append
    for ip, address in zip(ips, acquired, strict=True):
        key = ip_key(namespace, ip.ipaddress)
        prefix_head = by_prefix.get(ip.prefix)
        if prefix_head is None:
            prefix_head = by_prefix[ip.prefix] = ip_prefix_key(prefix_space(namespace, ip.prefix), 0)[:-1]
        project_head = by_project.get(ip.projectid)
        if project_head is None:
            project_head = by_project[ip.projectid] = index_key("ipproject", ip.projectid)
        # the core's address object carries the integer: no re-parse of the text just formatted
        add(((*prefix_head, address.value), key))
        add(((*project_head, key), ""))
    work.tx.put_many(entries)


#: what decides where a next-free allocation takes its address (equal targets share one core call)
_Target = tuple[str | None, str | None, str | None, tuple[str, ...] | None, str | None]


def allocate_next_ips(work: Work, requests: Sequence[tuple[IPAllocate, str | None, str | None]]) -> list[IP]:
    """The IPs of many single allocations (``(request, specific, acting_for)``), in order, in one transaction.

    The result is the one of :func:`~metalnet.network.ips.allocate_ip` for each request in turn: every rule
    is checked for each request (once per distinct target: the network, project, family, network types and
    caller), a specific address is taken as alone, and consecutive next-free requests of one target take
    their addresses with one call of the core (the lowest free ones, in request order: what one call each
    would give) and are written with one storage call per kind of row. A refusal of any request raises it:
    the caller rolls the transaction back and re-runs each request alone for its own answer.
    """
    results: list[IP] = []
    targets: dict[_Target, tuple[Network, Family]] = {}
    run: list[IPAllocate] = []
    run_target: tuple[Network, Family] | None = None
    for request, specific, acting_for in requests:
        if specific:
            results.extend(_next_ips(work, run_target, run))
            run, run_target = [], None
            results.append(allocate_ip(work, request, specific, acting_for))
            continue
        key = (request.networkid, request.projectid, request.addressfamily,
               None if request.networktypes is None else tuple(request.networktypes), acting_for)
        target = targets.get(key)
        if target is None or request.reserved:
            network, family = allocation_target(work, request, None, acting_for)  # raises for "reserved"
            target = targets[key] = (network, family or default_family(network))
        if target is not run_target:
            results.extend(_next_ips(work, run_target, run))
            run, run_target = [], target
        run.append(request)
    results.extend(_next_ips(work, run_target, run))
    return results


def _next_ips(work: Work, target: tuple[Network, Family] | None, requests: list[IPAllocate]) -> list[IP]:
    """The next free addresses for ``requests`` (one each, in order) in the target's network and family."""
    if target is None or not requests:
        return []
    network, family = target
    session = work.ipam_in(network.namespace)
    acquired: list[ipam_model.IP] = []
    for cidr in network.prefixes:
        if len(acquired) == len(requests):
            break
        if cidr_family(cidr) != family:
            continue
        wanted = len(requests) - len(acquired)
        try:
            acquired += session.acquire_ips(cidr, wanted)
            continue
        except NoIPAvailableError:
            pass
        except IpamError as exc:
            raise from_ipam(exc, f"cannot allocate ip in prefix {cidr} of network {network.id}") from exc
        try:  # fewer than wanted are free here: take what there is, the next prefix may have the rest
            room = min(wanted, session.free_ip_count(cidr))
            if room:
                acquired += session.acquire_ips(cidr, room)
        except IpamError as exc:
            raise from_ipam(exc, f"cannot allocate ip in prefix {cidr} of network {network.id}") from exc
    if len(acquired) < len(requests):
        raise refused(f"cannot allocate free ip in ipam, no ips left: no free {family} address in network {network.id}")
    stamp = now()
    ips = [
        msgspec.structs.replace(ip_template(network, request, stamp), ipaddress=str(address),
                                prefix=address.parent_prefix, allocationuuid=ident)
        for request, address, ident in zip(requests, acquired, new_ids(len(requests)), strict=True)
    ]
    _write_ips(work, network, ips, acquired)
    return ips


def allocate_networks(
    work: Work, request: NetworkAllocate, count: int, acting_for: str | None = None
) -> list[Network]:
    """``POST /v1/network/allocate/bulk``: ``count`` child networks, each with its own VRF id and prefixes."""
    check_count(count)
    if request.reservedranges and count > 1:
        raise invalid(f"reservedranges cannot be given for {count} child networks: each gets prefixes of its own "
                      "(reserve in each of them with an update)")
    result = []
    for index in range(count):
        try:
            result.append(allocate_network(work, request, acting_for))
        except NetworkError as exc:
            if index == 0:
                raise
            # the ones before are rolled back with the transaction: say how far it got
            raise NetworkError(
                exc.kind, f"{exc.message} (child network {index + 1} of {count}; only {index} could be allocated)"
            ) from exc
    return result
