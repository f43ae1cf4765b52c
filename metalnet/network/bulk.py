"""Bulk allocation: ``count`` IPs of one network, or ``count`` child networks, in one transaction.

All or nothing: when fewer than ``count`` addresses are free nothing is taken and the refusal says how many
are free; a child network that cannot be allocated rolls back the ones before it. Addresses come from the
IPAM core's run operation (:meth:`~metalnet.ipam.session.IpamSession.acquire_ips`), which takes the lowest
free ranges whole, so a bulk of 10,000 costs one prefix-row change per free range crossed, not 10,000.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from metalnet.ipam import model as ipam_model
from metalnet.ipam.errors import IpamError
from metalnet.ipam.session import MAX_ACQUIRE
from metalnet.network.addresses import cidr_family
from metalnet.network.children import allocate_network
from metalnet.network.errors import NetworkError, conflict, from_ipam, invalid, refused
from metalnet.network.ids import new_id
from metalnet.network.ips import allocation_target, default_family, ip_template
from metalnet.network.model import IP, Network, now
from metalnet.network.records import index_key, ip_key, ip_prefix_key, prefix_space
from metalnet.network.requests import IPAllocate, NetworkAllocate
from metalnet.network.work import Work
from metalnet.storage.base import KeyExistsError

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
        msgspec.structs.replace(template, ipaddress=str(address), prefix=address.parent_prefix,
                                allocationuuid=new_id())
        for address in acquired
    ]
    try:
        work.records.insert_many(ips)
    except KeyExistsError as exc:
        raise conflict(f"ip already allocated: {exc.key[-1]} has a record already") from None
    projectid, namespace = template.projectid, network.namespace
    work.tx.put_many([
        entry
        for ip, address in zip(ips, acquired, strict=True)
        for key in (ip_key(namespace, ip.ipaddress),)
        for entry in ((ip_prefix_key(prefix_space(namespace, ip.prefix), address.value), key),
                      (index_key("ipproject", projectid, key), ""))
    ])
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
