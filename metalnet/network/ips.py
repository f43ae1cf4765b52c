"""IP allocation, update, free, get and find (metal-api's rules, checks in metal-api's order)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from metalnet.ipam import model as ipam_model
from metalnet.ipam.errors import (
    AlreadyAllocatedError,
    InvalidInputError,
    IpamError,
    NoIPAvailableError,
    ReservedAddressError,
)
from metalnet.ipam.session import IpamSession
from metalnet.network.access import check_network_use, check_owner
from metalnet.network.addresses import (
    IPV4,
    address_value,
    canonical_address,
    canonical_cidr,
    cidr_family,
    contains,
    families,
    parse_family,
)
from metalnet.network.errors import (
    Reason,
    conflict,
    forbidden,
    from_ipam,
    invalid,
    ipam_errors,
    not_found,
    refused,
    reserved,
)
from metalnet.network.ids import new_id
from metalnet.network.meta import changed_labels, check_fresh, labels_of_tags, tags_of_labels
from metalnet.network.model import IP, MACHINE_TAG, Family, IPType, Network, Project, now
from metalnet.network.networks import NAMESPACE_COPIES
from metalnet.network.records import index_key, ip_key, ip_prefix_key, prefix_space
from metalnet.network.requests import IPAllocate, IPFind, IPUpdate, apply_given
from metalnet.network.work import Work, ip_lock, network_lock, project_lock
from metalnet.storage.base import KeyExistsError


def machine_tag(machineid: str) -> str:
    return f"{MACHINE_TAG}={machineid}"


def allocate_ip(work: Work, request: IPAllocate, specific: str | None = None, acting_for: str | None = None) -> IP:
    """``POST /v1/ip/allocate[/{ip}]``: the next free address of the chosen family, or ``specific``.

    ``acting_for``: the project a bound caller acts for (see :mod:`metalnet.network.access`).
    """
    network, family = allocation_target(work, request, specific, acting_for)
    # a child of a super-namespaced network takes its addresses from its project's namespace
    if specific:
        acquired = _acquire_specific(work, network, specific, meant=bool(request.reserved))
    else:
        acquired = _acquire_next(work.ipam_in(network.namespace), network, family or default_family(network))
    return store_ip(work, network, request, acquired, now())


def allocation_target(
    work: Work, request: IPAllocate, specific: str | None, acting_for: str | None
) -> tuple[Network, Family | None]:
    """Every rule of an allocation before an address is taken (locks included): the network and the family."""
    if not request.networkid:
        raise invalid("networkid should not be empty")
    if not request.projectid:
        raise invalid("projectid should not be empty")
    if request.reserved and not specific:
        raise invalid("reserved applies to a specific ip: the next free ip is never a reserved one")
    check_owner(acting_for, request.projectid)
    work.tx.lock(project_lock(request.projectid))
    work.tx.lock(network_lock(request.networkid))
    network = work.network(request.networkid)
    check_network_use(acting_for, network)
    if not network.prefixes:
        raise refused(f'network "{network.id}" has no prefixes')
    family = _requested_family(network, request.addressfamily, specific)
    projectid = request.projectid
    work.check_exists(Project, projectid)
    if network.parentnetworkid and not network.shared and projectid != network.projectid:
        raise refused(
            f'can not allocate ip for project "{projectid}" because network belongs to '
            f'"{network.projectid}" and the network is not shared',
            Reason.NETWORK_OF_OTHER_PROJECT, network=network.id,
        )
    if request.networktypes is not None and network.networktype not in request.networktypes:
        raise forbidden(f'given networktype "{network.networktype}" is not allowed', Reason.NETWORK_TYPE,
                        type=network.networktype, shared=not network.projectid)
    return network, family


def ip_template(network: Network, request: IPAllocate, stamp: datetime) -> IP:
    """The IP record ``request`` asks for, without its address, prefix and allocation uuid."""
    tags = set(request.tags or [])
    if request.machineid:
        tags.add(machine_tag(request.machineid))
    return IP(
        ipaddress="",
        allocationuuid="",
        networkid=network.id,
        projectid=request.projectid or "",
        prefix="",
        name=request.name or "",
        description=request.description or "",
        type="static" if request.type == "static" else "ephemeral",
        tags=sorted(tags),
        namespace=network.namespace,
        created=stamp,
        changed=stamp,
    )


def store_ip(work: Work, network: Network, request: IPAllocate, acquired: ipam_model.IP, stamp: datetime) -> IP:
    """The record and secondary keys of an address just acquired for ``request``."""
    address, prefix = str(acquired), acquired.parent_prefix
    ip = msgspec.structs.replace(
        ip_template(network, request, stamp), ipaddress=address, prefix=prefix, allocationuuid=new_id()
    )
    key = ip_key(network.namespace, address)
    try:
        work.records.insert(ip)
    except KeyExistsError:
        raise conflict(f"ip already allocated: {address} has a record already", Reason.IP_TAKEN,
                       ip=address) from None
    # the core's address object carries the integer: no re-parse of the text just formatted
    work.tx.put(ip_prefix_key(prefix_space(network.namespace, prefix), acquired.value), key)
    work.tx.put(index_key("ipproject", ip.projectid, key), "")
    return ip


def _requested_family(network: Network, addressfamily: str | None, specific: str | None) -> Family | None:
    if not addressfamily:
        return None
    family = parse_family(addressfamily)
    if family is None:
        raise refused(f'given addressfamily:"{addressfamily}" is invalid')
    present = families(network.prefixes)
    if family not in present:
        raise invalid(f"there is no prefix for the given addressfamily:{family} present in network:{network.id}",
                      Reason.FAMILY_ABSENT, family=family, network=network.id, present=present)
    if specific:
        raise invalid("it is not possible to specify specificIP and addressfamily")
    return family


def default_family(network: Network) -> Family:
    # IPv4, unless the network has one family only (the dual-stack proposal's rule)
    present = families(network.prefixes)
    return present[0] if len(present) == 1 else IPV4


def _acquire_next(session: IpamSession, network: Network, family: Family) -> ipam_model.IP:
    for cidr in network.prefixes:
        if cidr_family(cidr) != family:
            continue
        try:
            return session.acquire_ip(cidr)
        except NoIPAvailableError:
            continue  # a full prefix is skipped, the next one may have room (metal-api #551)
        except IpamError as exc:
            raise from_ipam(exc, f"cannot allocate ip in prefix {cidr} of network {network.id}") from exc
    raise refused(f"cannot allocate free ip in ipam, no ips left: no free {family} address in network {network.id}",
                  Reason.NO_FREE_IP, network=network.id, family=family)


def _acquire_specific(work: Work, network: Network, specific: str, *, meant: bool) -> ipam_model.IP:
    """``specific`` from the prefix holding it; one inside a reserved range only when ``meant`` (the request's
    ``reserved``; the refusal names the range)."""
    session = work.ipam_in(network.namespace)
    try:
        address = canonical_address(specific)
    except InvalidInputError as exc:
        raise refused(f"unable to parse specific ip: {exc}") from None
    for cidr in network.prefixes:
        if not contains(cidr, address):
            continue
        try:
            return session.acquire_specific_ip(cidr, address, reserved=meant)
        except AlreadyAllocatedError:
            # an IP of a caller, or an address the IPAM holds itself (a network or broadcast address)
            recorded = work.records.exists(IP, ip_key(network.namespace, address))
            raise conflict(f"ip already allocated: {address}", Reason.IP_TAKEN if recorded else Reason.IP_HELD,
                           ip=address) from None
        except ReservedAddressError as exc:
            raise reserved(str(exc)) from None  # the core's message names the range and how to ask for it
        except IpamError as exc:
            raise from_ipam(exc, f"cannot allocate ip {address} in network {network.id}") from exc
    raise refused(
        f"specific ip not contained in any of the defined prefixes: {address} is in none of {network.prefixes}",
        Reason.IP_OUTSIDE, ip=address, network=network.id,
    )


def _lookup_address(text: str) -> str:
    try:
        return canonical_address(text)
    except InvalidInputError:
        raise not_found(f'no ip with id "{text}" found') from None


def _locked_ip(work: Work, address: str, namespace: str | None, acting_for: str | None = None) -> IP:
    """The IP at ``address``, locked: the one of ``namespace`` when there is one, else the plain one.

    A namespaced IP's key also holds its namespace (the project), so update and free, which name the
    project but no namespace, find it through the project. ``namespace`` None: the plain one, else the one
    of whichever project namespace holds the address (see :func:`_key_of`).
    """
    if namespace:
        work.tx.lock(ip_lock(ip_key(namespace, address)))
        found = work.records.get(IP, ip_key(namespace, address))
        if found is not None:
            return found
    key = address if namespace is not None else _key_of(work, address, acting_for)
    work.tx.lock(ip_lock(key))
    found = work.records.get(IP, key)
    return found if found is not None else work.ip(address)  # gone meanwhile: not found, as plain


def _key_of(work: Work, address: str, acting_for: str | None) -> str:
    """The key of the IP at ``address`` in any namespace: the plain one, else the only project namespace that
    holds the address (those of ``acting_for``'s project, for a bound caller); a conflict naming them when
    several do, for the caller has to say which one it means."""
    if work.records.exists(IP, address):
        return address
    held = [
        found for namespace in sorted({str(key[-1]) for key in work.records.keys_under(NAMESPACE_COPIES)})
        if (found := work.records.get(IP, ip_key(namespace, address))) is not None
    ]
    if acting_for is not None and any(ip.projectid == acting_for for ip in held):
        held = [ip for ip in held if ip.projectid == acting_for]
    if len(held) > 1:
        namespaces = [ip.namespace for ip in held]
        raise conflict(
            f'ip "{address}" is allocated in several namespaces ({", ".join(namespaces)}): name the namespace',
            Reason.AMBIGUOUS_IP, ip=address, namespaces=namespaces,
        )
    return ip_key(held[0].namespace, address) if held else address


def get_ip(work: Work, address: str, namespace: str | None = "", acting_for: str | None = None) -> IP:
    """The IP at ``address``; with ``namespace``, the one in that project namespace (plain ones otherwise).

    ``namespace`` None: the plain IP, else the one of the only project namespace holding the address (a
    conflict when several do; ``acting_for`` narrows them to its project's).
    """
    canonical = _lookup_address(address)
    if namespace:
        found = work.records.get(IP, ip_key(namespace, canonical))
        if found is not None:
            return found
    if namespace is None:
        found = work.records.get(IP, _key_of(work, canonical, acting_for))
        if found is not None:
            return found
    return work.ip(canonical)


def ip_scope(ip: IP) -> str:
    """metal-api's scope of an IP: ``machine`` (a machine tag), ``project``, or ``""`` without a project."""
    if not ip.projectid:
        return ""
    return "machine" if any(tag.startswith(MACHINE_TAG) for tag in ip.tags) else "project"


def update_ip(work: Work, request: IPUpdate, acting_for: str | None = None) -> IP:
    """``POST /v1/ip``: name, description, tags, and type (never static → ephemeral; scopes as metal-api)."""
    address = _lookup_address(request.ipaddress)
    old = _locked_ip(work, address, request.namespace, acting_for)
    check_owner(acting_for, old.projectid, old)
    check_fresh("ip", address, old.changed, request.fresh)
    ip = msgspec.structs.replace(old, changed=now(), generation=old.generation + 1)
    apply_given(ip, request, "name", "description")
    if request.tags is not None:
        ip.tags = sorted(set(request.tags))
    if request.label_change is not None:
        ip.tags = tags_of_labels(changed_labels(labels_of_tags(old.tags), request.label_change))
    if request.type in ("static", "ephemeral"):
        if ip.type == "static" and request.type == "ephemeral":
            raise invalid(f"cannot change type of ip address from static to ephemeral: {address}",
                          Reason.STATIC_TO_EPHEMERAL, ip=address)
        new_type: IPType = "static" if request.type == "static" else "ephemeral"
        ip.type = new_type
    before, after = ip_scope(old), ip_scope(ip)
    # within a scope, or from or to the project scope; never from one other scope to another
    if before != after and "project" not in (before, after):
        raise invalid(f"can not use ip of scope {before} with scope {after}: {address}")
    work.records.put(ip)
    return ip


def free_ip(work: Work, address_text: str, acting_for: str | None = None, namespace: str | None = "") -> IP:
    """``DELETE /v1/ip/free/{id}``: release the address; refused for an IP bound to a machine.

    ``namespace``: look in that project namespace first (see :func:`_locked_ip`)."""
    address = _lookup_address(address_text)
    ip = _locked_ip(work, address, namespace, acting_for)
    check_owner(acting_for, ip.projectid, ip)
    if any(tag.startswith(MACHINE_TAG) for tag in ip.tags):
        raise invalid(f"ip with machine scope can not be deleted: {address}", Reason.MACHINE_IP, ip=address)
    with ipam_errors(f"cannot release IP {address}"):
        work.ipam_in(ip.namespace).release_ip_from_prefix(ip.prefix, address)
    key = ip_key(ip.namespace, address)
    work.records.delete(IP, key)
    work.tx.delete(ip_prefix_key(prefix_space(ip.namespace, ip.prefix), address_value(address)[1]))
    work.tx.delete(index_key("ipproject", ip.projectid, key))
    return ip


def list_ips(work: Work) -> list[IP]:
    return _ordered(work.records.all(IP))


def find_ips(work: Work, query: IPFind) -> list[IP]:
    """IPs matching every given filter (metal-api's find), in address order."""
    family = None
    if query.addressfamily:
        family = parse_family(query.addressfamily)
        if family is None:
            raise refused(f'given addressfamily:"{query.addressfamily}" is invalid')
    tags = set(query.tags or [])
    if query.machineid:
        tags.add(machine_tag(query.machineid))
    prefix = _canonical_or_raw(query.networkprefix)
    expected = {
        "allocationuuid": query.allocationuuid,
        "name": query.name,
        "networkid": query.networkid,
        "projectid": query.projectid,
        "type": query.type,
        "prefix": prefix,
        "namespace": query.namespace,
    }
    return _ordered([
        ip
        for ip in _candidates(work, query, prefix)
        if all(value is None or getattr(ip, name) == value for name, value in expected.items())
        and tags.issubset(ip.tags)
        and (family is None or cidr_family(ip.ipaddress) == family)
    ])


def _candidates(work: Work, query: IPFind, prefix: str | None) -> list[IP]:
    # the narrowest index the query allows, so that a find by address, network or project reads only those IPs
    if query.ipaddress is not None:
        try:
            addresses = [ip_key(query.namespace or "", canonical_address(query.ipaddress))]
        except InvalidInputError:
            return []
    elif prefix is not None:
        addresses = _addresses_in(work, [prefix_space(query.namespace or "", prefix)])
    elif query.networkid:
        network = work.records.get(Network, query.networkid)
        addresses = (_addresses_in(work, [prefix_space(network.namespace, cidr) for cidr in network.prefixes])
                     if network is not None else [])
    elif query.projectid:
        addresses = [str(key[-1]) for key in work.records.keys_under("ipproject", query.projectid)]
    else:
        return work.records.all(IP)
    found = (work.records.get(IP, address) for address in addresses)
    return [ip for ip in found if ip is not None]


def _addresses_in(work: Work, cidrs: list[str]) -> list[str]:
    return [str(address) for cidr in cidrs for _, address in work.tx.scan(index_key("ipprefix", cidr))]


def _canonical_or_raw(cidr: str | None) -> str | None:
    if cidr is None:
        return None
    try:
        return canonical_cidr(cidr)
    except InvalidInputError:
        return cidr


def _ordered(ips: list[IP]) -> list[IP]:
    return sorted(ips, key=lambda ip: address_value(ip.ipaddress))
