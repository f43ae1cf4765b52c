"""``metalstack.{api,admin}.v2.IPService``: decode, call the network layer, encode.

Allocation goes through the same group-commit batcher as v1's ``POST /v1/ip/allocate``, so concurrent
v1 and v2 allocations share transactions and rules alike.
"""

from __future__ import annotations

from typing import Any

from connectrpc.code import Code
from connectrpc.errors import ConnectError
from connectrpc.request import RequestContext
from metalstack.admin.v2 import ip_connect as admin_connect
from metalstack.admin.v2 import ip_pb2 as admin_pb2
from metalstack.api.v2 import ip_connect as api_connect
from metalstack.api.v2 import ip_pb2 as api_pb2

from metalnet.api.v2.access import ADMIN_EDITOR, CURRENT
from metalnet.api.v2.convert import enum_text, freshness, ip_message, label_change, labels_of, optional
from metalnet.api.v2.runtime import Runtime, deleted
from metalnet.network import IP, IPAllocate, IPFind, IPUpdate
from metalnet.network.meta import tags_of_labels

Ctx = RequestContext[Any, Any]
IP_NETWORK_TYPES = ["child", "child-shared", "external"]
_FAMILIES = {1: "IPv4", 2: "IPv6"}


def find_of(query: api_pb2.IPQuery, project: str | None = None) -> IPFind:
    labels = labels_of(query)
    return IPFind(
        ipaddress=optional(query, "ip"), networkid=optional(query, "network"),
        projectid=project or optional(query, "project"), name=optional(query, "name"),
        allocationuuid=optional(query, "uuid"), machineid=optional(query, "machine"),
        networkprefix=optional(query, "parent_prefix_cidr"), tags=tags_of_labels(labels) if labels else None,
        type=enum_text(api_pb2.IPType.DESCRIPTOR, query.type) if query.HasField("type") else None,
        addressfamily=_FAMILIES.get(query.address_family) if query.HasField("address_family") else None,
        namespace=optional(query, "namespace"),
    )


class IPs(api_connect.IPService):
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.service = runtime.networks

    async def get(self, request: api_pb2.IPServiceGetRequest, ctx: Ctx) -> api_pb2.IPServiceGetResponse:
        namespace = optional(request, "namespace") or ""
        ip = await self.rt.read(lambda: self.service.get_ip(request.ip, namespace, acting_for=request.project))
        return api_pb2.IPServiceGetResponse(ip=ip_message(ip))

    async def list(self, request: api_pb2.IPServiceListRequest, ctx: Ctx) -> api_pb2.IPServiceListResponse:
        query = find_of(request.query, request.project)
        found = await self.rt.read(lambda: self.service.find_ips(query))
        return api_pb2.IPServiceListResponse(ips=[ip_message(ip) for ip in found])

    async def create(self, request: api_pb2.IPServiceCreateRequest, ctx: Ctx) -> api_pb2.IPServiceCreateResponse:
        if request.HasField("type") and not request.type:
            raise ConnectError(Code.INVALID_ARGUMENT, "given ip type is not supported:IP_TYPE_UNSPECIFIED")
        labels = labels_of(request)
        allocate = IPAllocate(
            networkid=request.network, projectid=request.project, name=optional(request, "name"),
            description=optional(request, "description"),
            type=enum_text(api_pb2.IPType.DESCRIPTOR, request.type) if request.HasField("type") else None,
            tags=tags_of_labels(labels) if labels else None, machineid=optional(request, "machine"),
            addressfamily=_FAMILIES.get(request.address_family) if request.HasField("address_family") else None,
            # metal-stack hands out addresses of children and external networks; of underlays to admin editors
            networktypes=[*IP_NETWORK_TYPES, "underlay"] if CURRENT.get().admin == ADMIN_EDITOR else IP_NETWORK_TYPES,
        )
        ip: IP = await self.rt.allocate_ip(allocate, optional(request, "ip"), request.project)
        return api_pb2.IPServiceCreateResponse(ip=ip_message(ip))

    async def update(self, request: api_pb2.IPServiceUpdateRequest, ctx: Ctx) -> api_pb2.IPServiceUpdateResponse:
        if request.HasField("type") and not request.type:
            raise ConnectError(Code.INVALID_ARGUMENT, "ip type cannot be unspecified: IP_TYPE_UNSPECIFIED")
        update = IPUpdate(
            ipaddress=request.ip, name=optional(request, "name"), description=optional(request, "description"),
            type=enum_text(api_pb2.IPType.DESCRIPTOR, request.type) if request.HasField("type") else None,
            fresh=freshness(request.update_meta), label_change=label_change(request),
            namespace=request.project,  # a namespaced IP lives in its project's namespace
        )
        ip = await self.rt.write(lambda: self.service.update_ip(update, acting_for=request.project))
        return api_pb2.IPServiceUpdateResponse(ip=ip_message(ip))

    async def delete(self, request: api_pb2.IPServiceDeleteRequest, ctx: Ctx) -> api_pb2.IPServiceDeleteResponse:
        ip = await self.rt.write(
            lambda: self.service.free_ip(request.ip, namespace=request.project, acting_for=request.project))
        return api_pb2.IPServiceDeleteResponse(ip=deleted(ip_message(ip)))


class AdminIPs(admin_connect.IPService):
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.service = runtime.networks

    async def list(self, request: admin_pb2.IPServiceListRequest, ctx: Ctx) -> admin_pb2.IPServiceListResponse:
        query = find_of(request.query)
        found = await self.rt.read(lambda: self.service.find_ips(query))
        return admin_pb2.IPServiceListResponse(ips=[ip_message(ip) for ip in found])
