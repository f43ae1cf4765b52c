"""Inputs of the service's operations; ``None`` means "not given" (metal-api treats null and absent alike).

The API layer builds these from its wire models (field names are metal-api's, so ``msgspec.convert`` of a
decoded request with ``from_attributes=True`` works); library users build them directly.
"""

from __future__ import annotations

from copy import copy

import msgspec

from metalnet.network.meta import Freshness, LabelChange
from metalnet.network.model import BootConfiguration, ReservedRange


def apply_given(record: msgspec.Struct, request: msgspec.Struct, *names: str) -> None:
    """Set each of ``names`` that ``request`` gives (not ``None``) on ``record``; maps and lists are copied,
    so the stored record never shares them with the caller's request."""
    for name in names:
        value = getattr(request, name)
        if value is not None:
            setattr(record, name, copy(value))


class NetworkCreate(msgspec.Struct, kw_only=True):
    """``PUT /v1/network``. ``shared``, ``parentnetworkid``, ``networktype`` and ``nattype`` are ignored."""

    id: str | None = None
    name: str | None = None
    description: str | None = None
    partitionid: str | None = None
    projectid: str | None = None
    prefixes: list[str] | None = None
    destinationprefixes: list[str] | None = None
    defaultchildprefixlength: dict[str, int] | None = None
    privatesuper: bool | None = None
    underlay: bool | None = None
    nat: bool | None = None
    shared: bool | None = None
    vrf: int | None = None
    vrfshared: bool | None = None
    parentnetworkid: str | None = None
    labels: dict[str, str] | None = None
    additional_announcable_cidrs: list[str] | None = msgspec.field(
        default=None, name="additionalAnnouncableCIDRs"
    )
    networktype: str | None = None
    nattype: str | None = None
    #: address ranges of the prefixes kept out of next-free allocation
    reservedranges: list[ReservedRange] | None = None


class NetworkAllocate(msgspec.Struct, kw_only=True):
    """``POST /v1/network/allocate``: a child of the partition's private super network."""

    partitionid: str | None = None
    projectid: str | None = None
    name: str | None = None
    description: str | None = None
    labels: dict[str, str] | None = None
    destinationprefixes: list[str] | None = None
    shared: bool | None = None
    nat: bool | None = None
    addressfamily: str | None = None
    length: dict[str, int] | None = None
    #: ranges of the child prefixes the network gets (refused, allocating nothing, outside them)
    reservedranges: list[ReservedRange] | None = None


class NetworkUpdate(msgspec.Struct, kw_only=True):
    """``POST /v1/network``; ``id`` is required."""

    id: str
    name: str | None = None
    description: str | None = None
    labels: dict[str, str] | None = None
    prefixes: list[str] | None = None
    destinationprefixes: list[str] | None = None
    shared: bool | None = None
    defaultchildprefixlength: dict[str, int] | None = None
    additional_announcable_cidrs: list[str] | None = msgspec.field(
        default=None, name="additionalAnnouncableCIDRs"
    )
    #: a super network's minimum child lengths (checked against its prefixes, then stored)
    minchildprefixlength: dict[str, int] | None = None
    #: ``none`` or ``ipv4-masq`` (metal-stack's NAT type; sets ``nat`` alike)
    nattype: str | None = None
    #: optimistic locking: the version the caller saw (None: no check)
    fresh: Freshness | None = None
    #: a replace or patch of the labels (instead of ``labels``)
    label_change: LabelChange | None = None
    #: the network's reserved ranges from now on (removed ones are unreserved, new ones reserved); None: kept
    reservedranges: list[ReservedRange] | None = None


class NetworkFind(msgspec.Struct, kw_only=True):
    """``POST /v1/network/find``: every given field must match (AND)."""

    id: str | None = None
    name: str | None = None
    partitionid: str | None = None
    projectid: str | None = None
    prefixes: list[str] | None = None
    destinationprefixes: list[str] | None = None
    nat: bool | None = None
    privatesuper: bool | None = None
    underlay: bool | None = None
    vrf: int | None = None
    parentnetworkid: str | None = None
    labels: dict[str, str] | None = None
    addressfamily: str | None = None
    description: str | None = None
    networktype: str | None = None
    nattype: str | None = None
    namespace: str | None = None


class IPAllocate(msgspec.Struct, kw_only=True):
    """``POST /v1/ip/allocate[/{ip}]``."""

    networkid: str | None = None
    projectid: str | None = None
    name: str | None = None
    description: str | None = None
    type: str | None = None
    tags: list[str] | None = None
    machineid: str | None = None
    addressfamily: str | None = None
    #: the network types the caller may take an address from (None: every type); others are FORBIDDEN
    networktypes: list[str] | None = None
    #: a specific address inside a reserved range is meant (refused otherwise, naming the range)
    reserved: bool | None = None


class IPUpdate(msgspec.Struct, kw_only=True):
    """``POST /v1/ip``; ``ipaddress`` is required."""

    ipaddress: str
    name: str | None = None
    description: str | None = None
    type: str | None = None
    tags: list[str] | None = None
    #: the project namespace to look in first (an IP of a super-namespaced network's child); None: the plain IP,
    #: else the one of whichever namespace holds the address (a conflict when several do)
    namespace: str | None = None
    #: optimistic locking: the version the caller saw (None: no check)
    fresh: Freshness | None = None
    #: a replace or patch of the ``k=v`` tags, read as labels (instead of ``tags``)
    label_change: LabelChange | None = None


class IPFind(msgspec.Struct, kw_only=True):
    """``POST /v1/ip/find``: every given field must match (AND)."""

    ipaddress: str | None = None
    allocationuuid: str | None = None
    name: str | None = None
    networkid: str | None = None
    networkprefix: str | None = None
    projectid: str | None = None
    machineid: str | None = None
    type: str | None = None
    tags: list[str] | None = None
    addressfamily: str | None = None
    #: only IPs of this project namespace ("" : only IPs outside every namespace)
    namespace: str | None = None


class PartitionCreate(msgspec.Struct, kw_only=True):
    id: str | None = None
    name: str | None = None
    description: str | None = None
    labels: dict[str, str] | None = None
    bootconfig: BootConfiguration | None = None
    dns_servers: list[str] | None = None
    ntp_servers: list[str] | None = None
    mgmt_service_addresses: list[str] | None = None


class PartitionUpdate(msgspec.Struct, kw_only=True):
    """Each given field replaces the stored one (``bootconfig``: each of its non-empty fields)."""

    id: str
    name: str | None = None
    description: str | None = None
    labels: dict[str, str] | None = None
    bootconfig: BootConfiguration | None = None
    dns_servers: list[str] | None = None
    ntp_servers: list[str] | None = None
    mgmt_service_addresses: list[str] | None = None
    #: optimistic locking: the version the caller saw (None: no check)
    fresh: Freshness | None = None
    #: a replace or patch of the labels (instead of ``labels``)
    label_change: LabelChange | None = None


class ProjectCreate(msgspec.Struct, kw_only=True):
    """A project; an empty ``id`` gets a generated UUID (as metal-stack's masterdata does)."""

    id: str | None = None
    name: str | None = None
    description: str | None = None
    tenant_id: str | None = None
    labels: dict[str, str] | None = None


class ProjectUpdate(msgspec.Struct, kw_only=True):
    id: str
    name: str | None = None
    description: str | None = None
    tenant_id: str | None = None
    labels: dict[str, str] | None = None


class ProjectFind(msgspec.Struct, kw_only=True):
    id: str | None = None
    name: str | None = None
    tenant_id: str | None = None
