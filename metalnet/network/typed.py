"""Networks by type, as metal-stack's v2 API creates them: one request for every kind of network.

``type`` is external, underlay, super, super-namespaced, child or child-shared. The non-child types are
stored by :func:`~metalnet.network.networks.create_network` (the same rules v1's create runs) after the
per-type field checks; children come from :func:`allocate_child`, which picks the parent by id or by
partition, applies the parent's default and **minimum** child lengths, inherits the parent's VRF when it
has one, and for a super-namespaced parent allocates inside the project's own namespace (so two projects
can hold the same prefix).
"""

from __future__ import annotations

import ipaddress

import msgspec

from metalnet.network.access import check_owner
from metalnet.network.addresses import FAMILIES, canonical_cidr, cidr_family, families, parse_family, prefix_length
from metalnet.network.children import acquire_child
from metalnet.network.errors import invalid, refused
from metalnet.network.ids import new_id
from metalnet.network.model import NAT_IPV4_MASQ, NAT_NONE, Network, Project, ReservedRange, now
from metalnet.network.networks import NAMESPACE_COPIES, create_network
from metalnet.network.records import index_key
from metalnet.network.requests import NetworkCreate
from metalnet.network.reservations import reserve_in_new
from metalnet.network.rules import check_minimum, family_lengths
from metalnet.network.work import NETWORKS_LOCK, Work

SUPER_TYPES = frozenset({"super", "super-namespaced"})
CHILD_TYPES = frozenset({"child", "child-shared"})
TYPES = frozenset({"external", "underlay", *SUPER_TYPES, *CHILD_TYPES})
DUAL_STACK = "dual-stack"


class TypedNetworkCreate(msgspec.Struct, kw_only=True):
    """A network of ``type``; ``None`` means not given. ``length`` and ``addressfamily`` are for children."""

    type: str
    id: str | None = None
    name: str | None = None
    description: str | None = None
    partitionid: str | None = None
    projectid: str | None = None
    labels: dict[str, str] | None = None
    prefixes: list[str] | None = None
    destinationprefixes: list[str] | None = None
    defaultchildprefixlength: dict[str, int] | None = None
    minchildprefixlength: dict[str, int] | None = None
    nattype: str | None = None
    vrf: int | None = None
    parentnetworkid: str | None = None
    additional_announcable_cidrs: list[str] | None = None
    length: dict[str, int] | None = None
    #: ``IPv4``, ``IPv6`` or ``dual-stack`` (children only)
    addressfamily: str | None = None
    #: address ranges of the prefixes kept out of next-free allocation (a child's must lie in the prefixes it gets)
    reservedranges: list[ReservedRange] | None = None


# per type: fields that must be given, fields that must not be (metal-stack's order and names)
_FIELDS = (
    ("id", "id"), ("prefixes", "prefixes"), ("vrf", "vrf"), ("partitionid", "partition"), ("projectid", "project"),
    ("parentnetworkid", "parent network id"), ("addressfamily", "addressfamily"), ("length", "length"),
    ("destinationprefixes", "destination prefixes"),
    ("additional_announcable_cidrs", "additional announcable cidrs"),
    ("defaultchildprefixlength", "default child prefix length"),
    ("minchildprefixlength", "min child prefix length"),
)
_LENGTHS = {"defaultchildprefixlength", "minchildprefixlength"}
_RULES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "super": (frozenset({"id", "prefixes", "defaultchildprefixlength"}),
              frozenset({"parentnetworkid", "addressfamily", "length"})),
    "external": (frozenset({"id", "prefixes", "vrf"}),
                 frozenset({"parentnetworkid", "addressfamily", "length", "additional_announcable_cidrs",
                            *_LENGTHS})),
    "underlay": (frozenset({"id", "prefixes", "partitionid"}),
                 frozenset({"projectid", "vrf", "parentnetworkid", "addressfamily", "length", "destinationprefixes",
                            "additional_announcable_cidrs", *_LENGTHS})),
    "child": (frozenset({"projectid"}),
              frozenset({"id", "prefixes", "destinationprefixes", "additional_announcable_cidrs", *_LENGTHS})),
}
_RULES["super-namespaced"] = _RULES["super"]
_RULES["child-shared"] = _RULES["child"]


def _given(value: object) -> bool:
    return value is not None and value != "" and value != [] and value != {} and value != 0


def check_fields(request: TypedNetworkCreate) -> None:
    """Every required field given, every forbidden one absent; all failures in one message."""
    if request.type not in TYPES:
        raise invalid(f"given networktype:{request.type!r} is invalid")
    required, forbidden = _RULES[request.type]
    failures = []
    # a child's checks start with its project (metal-stack's order)
    order = sorted(_FIELDS, key=lambda field: field[0] != "projectid") if request.type in CHILD_TYPES else _FIELDS
    for name, text in order:
        given = _given(getattr(request, name))
        if name in required and not given:
            failures.append(f"{text} must not be nil")
        elif name in forbidden and given:
            failures.append(f"{text} must be nil")
    if failures:
        raise invalid("\n".join(failures))


def check_canonical(prefixes: list[str]) -> None:
    """A prefix with host bits set is refused (naming its canonical form) rather than silently masked."""
    failures = []
    for text in prefixes:
        try:
            network = ipaddress.ip_network(text, strict=False)
            address = ipaddress.ip_address(text.partition("/")[0])
        except ValueError:
            continue  # reported by the create rules that follow, as v1 reports it
        if network.network_address != address:
            failures.append(f'expecting canonical form of prefix "{text}", please specify it as "{network}"')
    if failures:
        raise invalid("\n".join(failures))


def check_child_lengths(prefixes: list[str], lengths: dict[str, int], what: str) -> None:
    """Each length belongs to a family with a prefix and is longer than every prefix of that family."""
    present = families(prefixes)
    failures = []
    for family, length in sorted(lengths.items()):
        if family not in present:
            failures.append(f'{what} for addressfamily "{family}" specified, but not found in prefixes')
            continue
        failures.extend(
            f"given {what} {length} is not greater than prefix length of:{cidr}"
            for cidr in prefixes
            if cidr_family(cidr) == family and length <= prefix_length(cidr)
        )
    if failures:
        raise invalid("\n".join(sorted(failures)))


def create_typed_network(work: Work, request: TypedNetworkCreate, acting_for: str | None = None) -> Network:
    """Create a network of ``request.type`` (children are allocated from their parent).

    ``acting_for``: the project a bound caller acts for (see :mod:`metalnet.network.access`).
    """
    check_owner(acting_for, request.projectid or None)
    check_fields(request)
    if request.type in CHILD_TYPES:
        return allocate_child(work, request)
    work.tx.lock(NETWORKS_LOCK)
    prefixes = request.prefixes or []
    check_canonical(prefixes)
    is_super = request.type in SUPER_TYPES
    if request.type == "super-namespaced" and request.partitionid:
        raise invalid("partition must not be specified for namespaced private super")
    minimum = None
    if request.minchildprefixlength:
        minimum = family_lengths(request.minchildprefixlength, "min child prefix length")
        check_child_lengths([canonical_cidr(p) for p in prefixes], minimum, "min child prefix length")
    if request.type == "underlay":
        if request.nattype not in (None, "", NAT_NONE):
            raise invalid("nattype may only be nil or none")
        if any(":" in cidr for cidr in prefixes):
            raise invalid("underlay can only contain ipv4 prefixes")
    created = create_network(work, NetworkCreate(
        id=request.id, name=request.name, description=request.description, partitionid=request.partitionid,
        projectid=request.projectid, prefixes=prefixes, destinationprefixes=request.destinationprefixes,
        defaultchildprefixlength=request.defaultchildprefixlength, privatesuper=is_super,
        underlay=request.type == "underlay", nat=request.nattype == NAT_IPV4_MASQ, vrf=request.vrf,
        labels=request.labels, additional_announcable_cidrs=request.additional_announcable_cidrs,
        reservedranges=request.reservedranges,
    ))
    network = msgspec.structs.replace(created, networktype=request.type, minchildprefixlength=minimum)
    work.records.put(network, previous=created)
    return network


def _parent(work: Work, request: TypedNetworkCreate) -> Network:
    if request.partitionid and request.parentnetworkid:
        raise invalid("if parent network id is specified, partition must be nil")
    if request.parentnetworkid:
        parent = work.records.get(Network, request.parentnetworkid)
        if parent is None:
            raise refused(f'unable to retrieve parent network: no network with id "{request.parentnetworkid}" found')
        if parent.networktype not in SUPER_TYPES:
            raise invalid("given parentnetwork must be either a super or a super namespace network")
        if parent.projectid and parent.projectid != request.projectid:
            raise invalid(
                f"not allowed to create child network with project {request.projectid} in network {parent.id} "
                f"scoped to project {parent.projectid}"
            )
        return parent
    if request.partitionid:
        ident = work.tx.get(index_key("super", request.partitionid))
        parent = work.records.get(Network, ident) if isinstance(ident, str) else None
        if parent is None or parent.projectid:
            raise refused(f'unable to find a super in partition "{request.partitionid}"')
        return parent
    raise invalid("no parent network found")


def requested_lengths(parent: Network, length: dict[str, int] | None, addressfamily: str | None) -> dict[str, int]:
    """The child length per family: the parent's defaults, or exactly the requested ones; never shorter than
    the parent's minimum; one family when ``addressfamily`` names one."""
    lengths = dict(parent.defaultchildprefixlength or {})
    if length:
        lengths = family_lengths(length, "length")
        check_child_lengths(parent.prefixes, lengths, "childprefixlength")
    check_minimum(parent, lengths)
    if addressfamily and addressfamily != DUAL_STACK:
        family = parse_family(addressfamily)
        if family is None:
            raise invalid(f"given addressfamily:{addressfamily!r} is invalid")
        if family not in lengths:
            raise invalid(f"addressfamily {family} specified, but no childprefixlength for this addressfamily")
        return {family: lengths[family]}
    return lengths


def allocate_child(work: Work, request: TypedNetworkCreate) -> Network:
    """A child of the parent named by ``parentnetworkid`` or of the partition's super network."""
    work.tx.lock(NETWORKS_LOCK)
    projectid = request.projectid or ""
    work.check_exists(Project, projectid)
    parent = _parent(work, request)
    if not parent.defaultchildprefixlength:
        raise invalid(f"super network {parent.id} has no default child prefix length specified")
    if parent.vrf and request.vrf:
        raise invalid(f'super network "{parent.id}" inherits vrf {parent.vrf} to its child networks, '
                      "therefore the vrf must be nil")
    if request.type == "child-shared" and any(
        (found := work.records.get(Network, str(key[-1]))) is not None and found.networktype == "child-shared"
        for key in work.records.keys_under("project", projectid)
    ):
        raise invalid("only one child shared network per project is allowed")
    lengths = requested_lengths(parent, request.length, request.addressfamily)
    namespace = projectid if parent.networktype == "super-namespaced" else ""
    session = work.ipam_in(namespace)
    if namespace:
        _copy_parent_prefixes(work, parent, namespace, lengths)
    if parent.vrf:
        work.vrfs.acquire(parent.vrf, shared=True)  # one more user of the inherited id; freed on delete
        vrf = parent.vrf
    else:
        vrf = request.vrf or work.vrfs.acquire_any()
    prefixes = [
        acquire_child(session, parent, family, lengths[family]) for family in FAMILIES if family in lengths
    ]
    stamp = now()
    network = Network(
        id=request.id or new_id(), name=request.name or "", description=request.description or "",
        partitionid=request.partitionid or parent.partitionid, projectid=projectid, parentnetworkid=parent.id,
        prefixes=prefixes, destinationprefixes=list(parent.destinationprefixes), namespace=namespace,
        shared=request.type == "child-shared", nat=parent.nat, vrf=vrf, labels=dict(request.labels or {}),
        networktype=request.type, nattype=parent.nattype, created=stamp, changed=stamp,
    )
    reserve_in_new(session, network, request.reservedranges)
    work.records.insert(network)
    work.link(network)
    return work.with_consumption(network)


def _copy_parent_prefixes(work: Work, parent: Network, namespace: str, lengths: dict[str, int]) -> None:
    """The project's own copy of the parent's prefixes (idempotent): children of two projects never meet."""
    session = work.ipam_in(namespace)
    session.create_namespace(session.namespace)
    work.tx.put(index_key(NAMESPACE_COPIES, parent.id, namespace), "")
    existing = set(session.read_all_prefix_cidrs())
    for cidr in parent.prefixes:
        if cidr_family(cidr) in lengths and cidr not in existing:
            session.new_prefix(cidr)
