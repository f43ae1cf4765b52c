"""metal-api v1 wire models (``/v1/network``, ``/v1/ip``, ``/v1/partition``, ``/v1/project``).

Requests: every field optional and nullable (metalctl sends explicit ``null``s; null = absent), unknown
fields ignored, wrong types refused by msgspec with the field's path. Responses: the keys metal-api emits,
in its order, with ``null`` exactly where metal-api emits it (``defaultchildprefixlength`` unless set,
``vrfshared`` always, ``parentnetworkid`` without a parent, a family without prefixes in ``consumption``)
and ``additionalAnnouncableCIDRs`` left out when empty.

The request models repeat the fields of :mod:`metalnet.network.requests` on purpose: the wire follows
metal-api (uint8 lengths, every field nullable) while the domain inputs follow the service, and this module
must not import the network layer (the CLI imports it without the server). tests/api/test_wire.py pins that
both sides keep the same fields, since the conversion copies them by name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

Uint8 = Annotated[int, msgspec.Meta(ge=0, le=255)]
Uint = Annotated[int, msgspec.Meta(ge=0)]


class Request(msgspec.Struct, kw_only=True):
    """Base of the request models."""


# --- networks ---------------------------------------------------------------------------------------------


class V1ReservedRange(msgspec.Struct, kw_only=True):
    """metalnet's extension: addresses ``from`` to ``to`` (inclusive) of one of the network's prefixes, kept out
    of next-free allocation (a specific allocation of one needs ``"reserved": true``)."""

    first: str = msgspec.field(name="from")
    last: str = msgspec.field(name="to")
    description: str = ""


class V1NetworkCreateRequest(Request):
    id: str | None = None
    name: str | None = None
    description: str | None = None
    partitionid: str | None = None
    projectid: str | None = None
    labels: dict[str, str] | None = None
    shared: bool | None = None
    prefixes: list[str] | None = None
    destinationprefixes: list[str] | None = None
    defaultchildprefixlength: dict[str, Uint8] | None = None
    nat: bool | None = None
    privatesuper: bool | None = None
    underlay: bool | None = None
    vrf: Uint | None = None
    vrfshared: bool | None = None
    parentnetworkid: str | None = None
    additional_announcable_cidrs: list[str] | None = msgspec.field(default=None, name="additionalAnnouncableCIDRs")
    networktype: str | None = None
    nattype: str | None = None
    #: metalnet's extension
    reservedranges: list[V1ReservedRange] | None = None


class V1NetworkAllocateRequest(Request):
    name: str | None = None
    description: str | None = None
    partitionid: str | None = None
    projectid: str | None = None
    labels: dict[str, str] | None = None
    shared: bool | None = None
    destinationprefixes: list[str] | None = None
    nat: bool | None = None
    length: dict[str, Uint8] | None = None
    addressfamily: str | None = None
    #: metalnet's extension: ranges of the prefixes the child gets
    reservedranges: list[V1ReservedRange] | None = None


class V1NetworkBulkAllocateRequest(V1NetworkAllocateRequest):
    """``POST /v1/network/allocate/bulk`` (metalnet's own route): ``count`` child networks, all or nothing."""

    count: int | None = None


class V1NetworkUpdateRequest(Request):
    id: str | None = None
    name: str | None = None
    description: str | None = None
    prefixes: list[str] | None = None
    destinationprefixes: list[str] | None = None
    labels: dict[str, str] | None = None
    shared: bool | None = None
    additional_announcable_cidrs: list[str] | None = msgspec.field(default=None, name="additionalAnnouncableCIDRs")
    defaultchildprefixlength: dict[str, Uint8] | None = None
    #: metalnet's extension: the reserved ranges from now on (``[]`` removes all; absent or null keeps them)
    reservedranges: list[V1ReservedRange] | None = None


class V1NetworkFindRequest(Request):
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


class V1NetworkUsage(msgspec.Struct, kw_only=True, omit_defaults=True):
    available_ips: int
    used_ips: int
    available_prefixes: int
    used_prefixes: int
    #: metalnet's extension: addresses of reserved ranges not allocated (not counted in ``used_ips``); left out
    #: when 0, so that a network without reservations is metal-api's JSON exactly
    reserved_ips: int = 0


class V1NetworkConsumption(msgspec.Struct, kw_only=True):
    ipv4: V1NetworkUsage | None
    ipv6: V1NetworkUsage | None


class V1NetworkResponse(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Only ``additionalAnnouncableCIDRs`` and ``reservedranges`` (metalnet's) have a default: they are left out
    when empty (the first as metal-api does)."""

    id: str
    name: str
    description: str
    partitionid: str
    projectid: str
    labels: dict[str, str]
    shared: bool
    prefixes: list[str]
    destinationprefixes: list[str]
    defaultchildprefixlength: dict[str, int] | None
    nat: bool
    privatesuper: bool
    underlay: bool
    vrf: int
    vrfshared: bool | None
    parentnetworkid: str | None
    additional_announcable_cidrs: list[str] = msgspec.field(default_factory=list, name="additionalAnnouncableCIDRs")
    networktype: str
    nattype: str
    consumption: V1NetworkConsumption
    usage: V1NetworkUsage
    created: datetime
    changed: datetime
    #: metalnet's extension, in address order per prefix
    reservedranges: list[V1ReservedRange] = msgspec.field(default_factory=list)


# --- IPs --------------------------------------------------------------------------------------------------


class V1IPAllocateRequest(Request):
    name: str | None = None
    description: str | None = None
    projectid: str | None = None
    networkid: str | None = None
    type: str | None = None
    tags: list[str] | None = None
    machineid: str | None = None
    addressfamily: str | None = None
    #: metalnet's extension: the specific ip may lie in a reserved range (refused otherwise, naming the range)
    reserved: bool | None = None


class V1IPBulkAllocateRequest(V1IPAllocateRequest):
    """``POST /v1/ip/allocate/bulk`` (metalnet's own route): ``count`` IPs of one network, all or nothing."""

    count: int | None = None


class V1IPUpdateRequest(Request):
    ipaddress: str | None = None
    name: str | None = None
    description: str | None = None
    type: str | None = None
    tags: list[str] | None = None


class V1IPFindRequest(Request):
    ipaddress: str | None = None
    allocationuuid: str | None = None
    name: str | None = None
    networkprefix: str | None = None
    networkid: str | None = None
    tags: list[str] | None = None
    projectid: str | None = None
    type: str | None = None
    machineid: str | None = None
    addressfamily: str | None = None


class V1IPResponse(msgspec.Struct, kw_only=True, gc=False):
    name: str
    description: str
    projectid: str
    networkid: str
    type: str
    tags: list[str]
    ipaddress: str
    allocationuuid: str
    created: datetime
    changed: datetime


# --- partitions -------------------------------------------------------------------------------------------


class V1PartitionBootConfiguration(msgspec.Struct, kw_only=True):
    commandline: str | None = None
    imageurl: str | None = None
    kernelurl: str | None = None


class V1PartitionCreateRequest(Request):
    """The boot configuration and management service address are stored (metal-stack v2 reads them too)."""

    id: str | None = None
    name: str | None = None
    description: str | None = None
    labels: dict[str, str] | None = None
    bootconfig: V1PartitionBootConfiguration | None = None
    mgmtserviceaddress: str | None = None


class V1PartitionUpdateRequest(V1PartitionCreateRequest):
    pass


class V1PartitionResponse(msgspec.Struct, kw_only=True):
    id: str
    name: str
    description: str
    labels: dict[str, str]
    bootconfig: V1PartitionBootConfiguration
    mgmtserviceaddress: str
    created: datetime
    changed: datetime


# --- projects ---------------------------------------------------------------------------------------------


class V1Meta(msgspec.Struct, kw_only=True):
    """masterdata's meta block; labels are ``key=value`` strings there."""

    id: str | None = None
    kind: str | None = None
    apiversion: str | None = None
    version: int | None = None
    labels: list[str] | None = None
    annotations: dict[str, str] | None = None
    created_time: datetime | None = None
    updated_time: datetime | None = None


class V1ProjectCreateRequest(Request):
    meta: V1Meta | None = None
    name: str | None = None
    description: str | None = None
    tenant_id: str | None = None


class V1ProjectUpdateRequest(V1ProjectCreateRequest):
    pass


class V1ProjectFindRequest(Request):
    id: str | None = None
    name: str | None = None
    description: str | None = None
    tenant_id: str | None = None


class V1ProjectResponse(msgspec.Struct, kw_only=True):
    meta: V1Meta
    name: str
    description: str
    tenant_id: str
