"""Child networks: allocate one from the partition's private super network, free it again.

Allocation takes a VRF id and one child prefix per family inside the caller's transaction, so a failure at
any step (the IPv6 child, the record) leaves no IPv4 child, no VRF taken and no record.
"""

from __future__ import annotations

from metalnet.ipam.errors import IpamError
from metalnet.ipam.session import IpamSession
from metalnet.network.access import check_owner
from metalnet.network.addresses import FAMILIES, cidr_family, parse_family
from metalnet.network.errors import invalid, not_found, refused
from metalnet.network.ids import new_id
from metalnet.network.model import NAT_IPV4_MASQ, NAT_NONE, Network, Partition, Project, now
from metalnet.network.networks import check_no_ips, remove_network
from metalnet.network.records import index_key
from metalnet.network.requests import NetworkAllocate
from metalnet.network.reservations import reserve_in_new
from metalnet.network.rules import canonical_cidrs, check_minimum, family_lengths
from metalnet.network.work import NETWORKS_LOCK, Work, network_lock


def allocate_network(work: Work, request: NetworkAllocate, acting_for: str | None = None) -> Network:
    """``POST /v1/network/allocate``: a child network with one prefix per family and a fresh VRF id."""
    work.tx.lock(NETWORKS_LOCK)
    if not request.projectid:
        raise invalid("projectid should not be empty")
    check_owner(acting_for, request.projectid)
    if not request.partitionid:
        raise invalid("partitionid should not be empty")
    work.check_exists(Project, request.projectid)
    work.check_exists(Partition, request.partitionid)
    destinations = canonical_cidrs(request.destinationprefixes or [], "prefix")
    parent = _super_network(work, request.partitionid)
    lengths = child_lengths(parent, request)
    vrf = work.vrfs.acquire_any()
    prefixes = [acquire_child(work.ipam, parent, family, lengths[family]) for family in FAMILIES if family in lengths]
    shared, nat = bool(request.shared), bool(request.nat)
    stamp = now()
    network = Network(
        id=new_id(),
        name=request.name or "",
        description=request.description or "",
        partitionid=parent.partitionid,
        projectid=request.projectid,
        parentnetworkid=parent.id,
        prefixes=prefixes,
        destinationprefixes=destinations,
        shared=shared,
        nat=nat,
        vrf=vrf,
        labels=dict(request.labels or {}),
        networktype="child-shared" if shared else "child",
        nattype=NAT_IPV4_MASQ if nat else NAT_NONE,
        created=stamp,
        changed=stamp,
    )
    reserve_in_new(work.ipam, network, request.reservedranges)
    work.records.insert(network)
    work.link(network)
    return work.with_consumption(network)


def _super_network(work: Work, partitionid: str) -> Network:
    ident = work.tx.get(index_key("super", partitionid))
    if not isinstance(ident, str):
        raise not_found(f'no network found: partition "{partitionid}" has no private super network')
    parent = work.network(ident)
    if not parent.defaultchildprefixlength:
        raise refused(f"supernetwork {parent.id} has no defaultchildprefixlength specified")
    return parent


def child_lengths(parent: Network, request: NetworkAllocate) -> dict[str, int]:
    """Per family: the parent's default child length, overridden by ``length``; one family with
    ``addressfamily``."""
    lengths = dict(parent.defaultchildprefixlength or {})
    lengths.update(family_lengths(request.length or {}, "length"))
    check_minimum(parent, lengths)
    if not request.addressfamily:
        return lengths
    family = parse_family(request.addressfamily)
    if family is None:
        raise invalid(f'addressfamily is invalid given addressfamily:"{request.addressfamily}" is invalid')
    if family not in lengths:
        raise invalid(f"addressfamily {family} specified, but no childprefixlength for this addressfamily")
    return {family: lengths[family]}


def acquire_child(session: IpamSession, parent: Network, family: str, length: int) -> str:
    """The lowest free block (go-ipam's best fit) from the first of the parent's prefixes with room."""
    candidates = [cidr for cidr in parent.prefixes if cidr_family(cidr) == family]
    if not candidates:
        raise refused(
            f"cannot allocate free child prefix in one of the given parent prefixes in ipam: {candidates} "
            f"(network {parent.id} has no {family} prefix)"
        )
    failure: IpamError | None = None
    for cidr in candidates:
        try:
            return session.acquire_child_prefix(cidr, length).cidr
        except IpamError as exc:
            failure = exc
    raise refused(f"cannot allocate free child prefix in ipam: {failure}")


def free_network(work: Work, ident: str, acting_for: str | None = None) -> Network:
    """``DELETE /v1/network/free/{id}``: release the child's prefixes (refused while IPs are in them) and VRF."""
    work.tx.lock(NETWORKS_LOCK)
    work.tx.lock(network_lock(ident))
    network = work.network(ident)
    check_owner(acting_for, network.projectid, network)
    if not network.parentnetworkid:
        raise refused(f'network "{ident}" is not a child network: delete it instead of freeing it')
    for cidr in network.prefixes:
        check_no_ips(work, cidr, "unable to free network", network.namespace)
    return remove_network(work, network)
