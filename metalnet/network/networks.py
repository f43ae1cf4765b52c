"""Network create, update, delete, get and find (metal-api's rules, checks in metal-api's order)."""

from __future__ import annotations

import ipaddress
from uuid import uuid4

import msgspec

from metalnet.ipam.errors import ConflictError, IpamError
from metalnet.ipam.session import IpamSession
from metalnet.network.access import check_owner
from metalnet.network.addresses import FAMILIES, IPV4, IPV6, families, parse_family
from metalnet.network.errors import ErrorKind, Reason, conflict, from_ipam, invalid, ipam_errors, refused
from metalnet.network.ids import check_id
from metalnet.network.meta import changed_labels, check_fresh
from metalnet.network.model import (
    NAT_IPV4_MASQ,
    NAT_NONE,
    Consumption,
    Family,
    Network,
    Partition,
    Project,
    Usage,
    now,
)
from metalnet.network.records import index_key, prefix_space
from metalnet.network.requests import NetworkCreate, NetworkFind, NetworkUpdate, apply_given
from metalnet.network.reservations import (
    check_may_reserve,
    check_ranges,
    read_placed,
    read_ranges,
    replace_ranges,
    reserve,
)
from metalnet.network.rules import (
    canonical_cidrs,
    check_announcable,
    check_prefixes_and_families,
    distinct_prefixes,
    family_lengths,
)
from metalnet.network.work import NETWORKS_LOCK, Work, network_lock


def create_network(work: Work, request: NetworkCreate, acting_for: str | None = None) -> Network:
    """``PUT /v1/network``: validate, create the prefixes in IPAM, take the VRF, store the record."""
    check_owner(acting_for, request.projectid or "")
    work.tx.lock(NETWORKS_LOCK)
    projectid = request.projectid or ""
    if projectid:
        work.check_exists(Project, projectid, Reason.MISSING_REFERENCE)
    if not request.prefixes:
        raise invalid("no prefixes given")
    privatesuper, underlay, nat = bool(request.privatesuper), bool(request.underlay), bool(request.nat)
    lengths = None
    if request.defaultchildprefixlength is not None:
        if not privatesuper:
            raise invalid("defaultchildprefixlength can only be set for privatesuper networks")
        lengths = family_lengths(request.defaultchildprefixlength, "defaultchildprefixlength")
    prefixes = distinct_prefixes(request.prefixes)
    destinations = canonical_cidrs(request.destinationprefixes or [])
    check_prefixes_and_families(prefixes, families(destinations), lengths, privatesuper)
    announcable = check_announcable(request.additional_announcable_cidrs or [], privatesuper)
    ident = check_id(request.id or str(uuid4()), "network")
    check_may_reserve(ident, privatesuper, request.reservedranges)
    placed = check_ranges(ident, prefixes, request.reservedranges or [])
    if work.records.get(Network, ident) is not None:
        raise conflict(f'entity already exists: network with id "{ident}"', Reason.EXISTS, kind="network", id=ident)
    work.ipam.create_namespace(work.ipam.namespace)  # idempotent; the first network creates it
    for cidr in prefixes:
        # a later refusal rolls these back with the rest of the transaction
        new_prefix(work.ipam, cidr)
    reserve(work.ipam, ident, placed)
    partitionid = request.partitionid or ""
    if partitionid:
        _check_partition(work, partitionid, privatesuper=privatesuper, underlay=underlay)
    if (privatesuper or underlay) and nat:
        raise invalid("private super or underlay network is not supposed to NAT")
    vrf = request.vrf or 0
    if vrf:
        work.vrfs.acquire(vrf, shared=bool(request.vrfshared))
    stamp = now()
    network = Network(
        id=ident,
        name=request.name or "",
        description=request.description or "",
        partitionid=partitionid,
        projectid=projectid,
        prefixes=prefixes,
        destinationprefixes=destinations,
        defaultchildprefixlength=dict(lengths) if lengths is not None else None,
        privatesuper=privatesuper,
        underlay=underlay,
        nat=nat,
        vrf=vrf,
        vrfshared=bool(request.vrfshared),
        labels=dict(request.labels or {}),
        additional_announcable_cidrs=announcable,
        networktype="underlay" if underlay else "super" if privatesuper else "external",
        nattype=NAT_IPV4_MASQ if nat else NAT_NONE,
        created=stamp,
        changed=stamp,
    )
    network.reservations = len(placed)
    network.reservedranges = read_ranges(work.ipam, network)  # the create's event shows them as the core holds them
    work.records.insert(network)
    work.link(network)
    return work.with_consumption(network)


def _check_partition(work: Work, partitionid: str, *, privatesuper: bool, underlay: bool) -> None:
    work.check_exists(Partition, partitionid, Reason.MISSING_REFERENCE)
    if privatesuper and work.tx.get(index_key("super", partitionid)) is not None:
        raise invalid(f'partition with id "{partitionid}" already has a private super network',
                      Reason.SUPER_IN_PARTITION, partition=partitionid)
    if underlay and work.tx.get(index_key("underlay", partitionid)) is not None:
        raise refused(f'partition with id "{partitionid}" already has an underlay network')


def update_network(
    work: Work, request: NetworkUpdate, *, force: bool = False, acting_for: str | None = None
) -> Network:
    """``POST /v1/network``: metal-api's update rules; prefix changes are applied in IPAM."""
    work.tx.lock(NETWORKS_LOCK)
    work.tx.lock(network_lock(request.id))
    old = work.network(request.id)
    check_owner(acting_for, old.projectid, old)
    check_fresh("network", old.id, old.changed, request.fresh)
    session = work.ipam_in(old.namespace)
    held = read_placed(session, old)
    old.reservedranges = [found for _, found in held]  # the event's "before" shows them
    new = msgspec.structs.replace(old, changed=now(), generation=old.generation + 1)
    apply_given(new, request, "name", "description", "labels")
    if request.label_change is not None:
        new.labels = changed_labels(old.labels, request.label_change)
    if request.shared is not None:
        if old.shared and not request.shared:
            raise invalid("once a network is marked as shared it is not possible to unshare it")
        new.shared = request.shared
        if new.shared and old.networktype == "child":
            new.networktype = "child-shared"
    if request.defaultchildprefixlength and not old.privatesuper:
        raise refused("defaultchildprefixlength can only be set on privatesuper", Reason.LENGTHS_ON_NON_SUPER)
    if request.prefixes:
        given = distinct_prefixes(request.prefixes)
        if old.parentnetworkid:
            # a child's prefixes are blocks of its parent's (or of its project's namespace): a change could only
            # make them top-level prefixes of their own; the same ones (in any order) are no change
            if sorted(given) != sorted(old.prefixes):
                raise invalid("cannot change prefixes in child networks")
            given = old.prefixes
        new.prefixes = given
        for cidr in old.prefixes:
            if cidr not in new.prefixes:
                check_no_ips(work, cidr, "unable to update network")
    if request.nattype is not None:
        new.nattype, new.nat = check_nattype(request.nattype, old)
    if request.destinationprefixes:
        new.destinationprefixes = canonical_cidrs(request.destinationprefixes)
    lengths = old.defaultchildprefixlength
    if request.defaultchildprefixlength:
        lengths = family_lengths(request.defaultchildprefixlength, "defaultchildprefixlength")
    check_prefixes_and_families(new.prefixes, families(new.destinationprefixes), lengths, old.privatesuper)
    if request.defaultchildprefixlength:
        _check_lengths_present(new.prefixes, lengths or {})
        new.defaultchildprefixlength = dict(lengths or {})
    if request.minchildprefixlength:
        if not old.privatesuper:
            raise invalid("min child prefix length can only be set on super networks")
        minimum = family_lengths(request.minchildprefixlength, "minchildprefixlength")
        _check_lengths_present(new.prefixes, minimum)
        new.minchildprefixlength = minimum
    if request.reservedranges is not None:
        check_may_reserve(old.id, old.privatesuper, request.reservedranges)
        wanted = check_ranges(old.id, new.prefixes, request.reservedranges)
    else:  # kept, except those of a prefix the update removes: they go with it
        wanted = [placed for placed in held if placed[0] in new.prefixes]
    replace_ranges(session, old.id, held, wanted, lambda: _apply_prefix_changes(work, old.prefixes, new.prefixes))
    new.reservations = len(wanted)
    new.reservedranges = read_ranges(session, new)
    new.additional_announcable_cidrs = check_announcable(
        request.additional_announcable_cidrs or [], old.privatesuper, ErrorKind.REFUSED
    )
    if not force:
        for cidr in old.additional_announcable_cidrs:
            if cidr not in new.additional_announcable_cidrs:
                raise invalid(f'you cannot remove "{cidr}" from additionalannouncablecidrs without force flag set')
    work.records.put(new, previous=old)
    return work.with_consumption(new)


def _check_lengths_present(prefixes: list[str], lengths: dict[str, int]) -> None:
    present = families(prefixes)
    for family, length in lengths.items():
        if family not in present:
            raise refused(f'no addressfamily "{family}" present for defaultchildprefixlength: {length}')


def check_nattype(nattype: str, network: Network) -> tuple[str, bool]:
    """The NAT type ``nattype`` for ``network`` and its ``nat`` flag: none or ipv4-masq; never masquerading
    for a private super network or an underlay (as on create)."""
    if nattype not in (NAT_NONE, NAT_IPV4_MASQ):
        raise invalid(f'given natType:"{nattype}" is invalid')
    nat = nattype == NAT_IPV4_MASQ
    if nat and (network.privatesuper or network.underlay):
        raise invalid("private super or underlay network is not supposed to NAT")
    return nattype, nat


def _apply_prefix_changes(work: Work, old: list[str], new: list[str]) -> None:
    for cidr in old:
        if cidr not in new:
            with ipam_errors(f"unable to update network: cannot delete prefix {cidr} in ipam"):
                work.ipam.delete_prefix(cidr)
    for cidr in new:
        if cidr not in old:
            new_prefix(work.ipam, cidr)


def new_prefix(session: IpamSession, cidr: str) -> None:
    """Create the top-level prefix ``cidr``; refused, naming the stored prefix, when it overlaps one."""
    try:
        session.new_prefix(cidr)
    except ConflictError as exc:
        existing = _overlapped(session.read_all_prefix_cidrs(), cidr)
        if existing is None:
            raise from_ipam(exc) from exc
        raise refused(str(exc), Reason.OVERLAP, prefix=cidr, existing=existing) from exc
    except IpamError as exc:
        raise from_ipam(exc) from exc


def _overlapped(stored: list[str], cidr: str) -> str | None:
    """The widest of ``stored`` that overlaps ``cidr`` (the top-level prefix the core names)."""
    new = ipaddress.ip_network(cidr)
    found = [
        other for other in map(ipaddress.ip_network, stored)
        if other.version == new.version and other.overlaps(new)
    ]
    return str(min(found, key=lambda net: net.prefixlen)) if found else None


def check_no_ips(work: Work, cidr: str, action: str, namespace: str = "") -> None:
    """Refused, naming an IP and counting them, when IPs are allocated in the prefix ``cidr`` (of ``namespace``)."""
    found = work.records.first_under("ipprefix", prefix_space(namespace, cidr))
    if found is not None:
        count = len(work.records.keys_under("ipprefix", prefix_space(namespace, cidr)))
        raise refused(f"{action}: prefix {cidr} has ip {found[1]} in use", Reason.IPS_IN_PREFIX,
                      prefix=cidr, count=count, ip=found[1])


def delete_network(work: Work, ident: str, acting_for: str | None = None) -> Network:
    """``DELETE /v1/network/{id}``: refused while children or IPs exist; prefixes and VRF are released."""
    work.tx.lock(NETWORKS_LOCK)
    work.tx.lock(network_lock(ident))
    network = work.network(ident)
    check_owner(acting_for, network.projectid, network)
    if work.records.first_under("child", ident) is not None:
        raise refused(f'network cannot be deleted because there are children of this network: "{ident}"',
                      Reason.HAS_CHILDREN, id=ident)
    for cidr in network.prefixes:
        check_no_ips(work, cidr, "unable to delete network", network.namespace)
    return remove_network(work, network)


def remove_network(work: Work, network: Network) -> Network:
    """Give back the network's prefixes (a child's to its parent; their reserved ranges go with them) and VRF;
    delete the record."""
    session = work.ipam_in(network.namespace)
    held = read_placed(session, network)  # for the event's "before" only
    for cidr in network.prefixes:
        with ipam_errors(f"cannot release prefix {cidr} of network {network.id} in ipam"):
            session.delete_prefix(cidr)
    # a super-namespaced network's copies in its projects' namespaces go with it (its children are gone)
    for key in work.records.keys_under(NAMESPACE_COPIES, network.id):
        copies = work.ipam_in(str(key[-1]))
        present = set(copies.read_all_prefix_cidrs())
        for cidr in network.prefixes:
            if cidr in present:
                with ipam_errors(f"cannot delete prefix {cidr} of namespace {key[-1]} in ipam"):
                    copies.delete_prefix(cidr)
        work.tx.delete(key)
    if network.vrf:
        work.vrfs.release(network.vrf)
    work.unlink(network)
    work.records.delete(Network, network.id,
                        previous=msgspec.structs.replace(network, reservedranges=[found for _, found in held]))
    return msgspec.structs.replace(network, consumption=Consumption())


#: ("netidx/nscopy", super network, project) → "": the project namespaces holding a copy of its prefixes
NAMESPACE_COPIES = "nscopy"


def get_network(work: Work, ident: str) -> Network:
    return work.with_consumption(work.network(ident))


def list_networks(work: Work) -> list[Network]:
    return [work.with_consumption(network) for network in work.records.all(Network)]


def find_networks(work: Work, query: NetworkFind) -> list[Network]:
    """Networks matching every given filter (metal-api's find), with consumption."""
    prefixes = canonical_cidrs(query.prefixes or [])
    destinations = canonical_cidrs(query.destinationprefixes or [])
    wanted: tuple[str, ...] = ()
    if query.addressfamily:
        family = parse_family(query.addressfamily)
        if family is None and query.addressfamily != "dual-stack":
            raise refused(f'given addressfamily:"{query.addressfamily}" is invalid')
        wanted = (family,) if family is not None else FAMILIES
    result = []
    for network in _candidates(work, query):
        if (
            _flags_match(network, query)
            and all(cidr in network.prefixes for cidr in prefixes)
            and all(cidr in network.destinationprefixes for cidr in destinations)
            and all(family in families(network.prefixes) for family in wanted)
        ):
            result.append(work.with_consumption(network))
    return result


def pool_usage(work: Work) -> dict[Family, Usage]:
    """Usage per family summed over the private super networks: the pools child networks are allocated from."""
    totals: dict[Family, Usage] = {}
    for network in find_networks(work, NetworkFind(privatesuper=True)):
        for family, usage in ((IPV4, network.consumption.ipv4), (IPV6, network.consumption.ipv6)):
            if usage is not None:
                totals[family] = totals[family] + usage if family in totals else usage
    return totals


def _candidates(work: Work, query: NetworkFind) -> list[Network]:
    # the narrowest index the query allows, so that a find by id or partition does not read every network
    if query.id is not None:
        network = work.records.get(Network, query.id)
        return [network] if network is not None else []
    for kind, value in (("partition", query.partitionid), ("project", query.projectid),
                        ("child", query.parentnetworkid)):
        if value:
            found = (work.records.get(Network, str(key[-1])) for key in work.records.keys_under(kind, value))
            return [network for network in found if network is not None]
    return work.records.all(Network)


def _flags_match(network: Network, query: NetworkFind) -> bool:
    expected = {
        "name": query.name,
        "partitionid": query.partitionid,
        "projectid": query.projectid,
        "parentnetworkid": query.parentnetworkid,
        "vrf": query.vrf,
        "nat": query.nat,
        "privatesuper": query.privatesuper,
        "underlay": query.underlay,
        "description": query.description,
        "networktype": query.networktype,
        "nattype": query.nattype,
        "namespace": query.namespace,
    }
    if any(value is not None and _field(network, name) != value for name, value in expected.items()):
        return False
    labels = query.labels or {}
    return all(network.labels.get(key) == value for key, value in labels.items())


def _field(network: Network, name: str) -> object:
    value = getattr(network, name)
    # a network without parent has parentnetworkid None; a filter of "" asks for exactly those
    return "" if value is None else value
