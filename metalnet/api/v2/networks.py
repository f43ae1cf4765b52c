"""``metalstack.{api,admin}.v2.NetworkService``: decode, call the network layer, encode.

The api variant acts for the request's project (the network layer refuses another project's network as
FORBIDDEN, answered ``not_found`` as metal-apiserver answers it); the admin variant is not scoped. Creating a
child is a typed create of type ``child``; deleting it gives its prefixes back to the parent (the network
layer's delete).
"""

from __future__ import annotations

from typing import Any, TypeVar

from connectrpc.request import RequestContext
from metalstack.admin.v2 import network_connect as admin_connect
from metalstack.admin.v2 import network_pb2 as admin_pb2
from metalstack.api.v2 import network_connect as api_connect
from metalstack.api.v2 import network_pb2 as api_pb2

from metalnet.api.v2.convert import (
    enum_text,
    freshness,
    label_change,
    labels_of,
    lengths_of,
    network_message,
    optional,
)
from metalnet.api.v2.runtime import Runtime, deleted
from metalnet.network import Network, NetworkFind, NetworkService, NetworkUpdate, TypedNetworkCreate

T = TypeVar("T")
Ctx = RequestContext[Any, Any]
#: NetworkQuery's address families, as the network layer names them
_FAMILIES = {1: "IPv4", 2: "IPv6", 3: "dual-stack"}


def find_of(query: api_pb2.NetworkQuery, project: str | None = None) -> NetworkFind:
    """The network layer's filter for a v2 ``NetworkQuery`` (``project`` narrows it further)."""
    return NetworkFind(
        id=optional(query, "id"), name=optional(query, "name"), description=optional(query, "description"),
        partitionid=optional(query, "partition"), projectid=project or optional(query, "project"),
        namespace=optional(query, "namespace"), prefixes=list(query.prefixes) or None,
        destinationprefixes=list(query.destination_prefixes) or None,
        vrf=query.vrf if query.HasField("vrf") else None, parentnetworkid=optional(query, "parent_network"),
        addressfamily=_FAMILIES.get(query.address_family) if query.HasField("address_family") else None,
        networktype=enum_text(api_pb2.NetworkType.DESCRIPTOR, query.type) if query.HasField("type") else None,
        nattype=enum_text(api_pb2.NATType.DESCRIPTOR, query.nat_type) if query.HasField("nat_type") else None,
        labels=labels_of(query),
    )


def _child_shape(request: Any) -> dict[str, Any]:
    """A create request's child length and address family (both create requests carry them)."""
    return {
        "length": lengths_of(request.length) if request.HasField("length") else None,
        "addressfamily": _FAMILIES.get(request.address_family) if request.HasField("address_family") else None,
    }


def _sorted(networks: list[Network]) -> list[api_pb2.Network]:
    return [network_message(network) for network in sorted(networks, key=lambda n: n.id)]


class Networks(api_connect.NetworkService):
    """The project-scoped network service."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.service: NetworkService = runtime.networks

    async def get(self, request: api_pb2.NetworkServiceGetRequest, ctx: Ctx) -> api_pb2.NetworkServiceGetResponse:
        acting_for = request.project or None
        network = await self.rt.read(lambda: self.service.get_network(request.id, acting_for=acting_for))
        return api_pb2.NetworkServiceGetResponse(network=network_message(network))

    async def list(self, request: api_pb2.NetworkServiceListRequest, ctx: Ctx) -> api_pb2.NetworkServiceListResponse:
        query = find_of(request.query, request.project)
        found = await self.rt.read(lambda: self.service.find_networks(query))
        return api_pb2.NetworkServiceListResponse(networks=_sorted(found))

    async def list_base_networks(
        self, request: api_pb2.NetworkServiceListBaseNetworksRequest, ctx: Ctx
    ) -> api_pb2.NetworkServiceListBaseNetworksResponse:
        own = find_of(request.query, request.project) if request.project else None
        shared = find_of(request.query)
        shared.projectid = ""

        def read() -> list[Network]:
            found = {n.id: n for n in self.service.find_networks(own)} if own is not None else {}
            found.update({n.id: n for n in self.service.find_networks(shared)})
            return list(found.values())

        found = await self.rt.read(read)
        base = [n for n in found if n.networktype in ("child-shared", "external", "super", "super-namespaced")]
        return api_pb2.NetworkServiceListBaseNetworksResponse(networks=[
            network_message(n, with_consumption=bool(n.projectid)) for n in sorted(base, key=lambda n: n.id)
        ])

    async def create(
        self, request: api_pb2.NetworkServiceCreateRequest, ctx: Ctx
    ) -> api_pb2.NetworkServiceCreateResponse:
        typed = TypedNetworkCreate(
            type="child", projectid=request.project, name=optional(request, "name"),
            description=optional(request, "description"), partitionid=optional(request, "partition"),
            labels=labels_of(request), parentnetworkid=optional(request, "parent_network"),
            **_child_shape(request),
        )
        network = await self.rt.write(lambda: self.service.create_typed_network(typed, acting_for=request.project))
        return api_pb2.NetworkServiceCreateResponse(network=network_message(network))

    async def update(
        self, request: api_pb2.NetworkServiceUpdateRequest, ctx: Ctx
    ) -> api_pb2.NetworkServiceUpdateResponse:
        update = NetworkUpdate(
            id=request.id, name=optional(request, "name"), description=optional(request, "description"),
            fresh=freshness(request.update_meta), label_change=label_change(request),
        )
        network = await self.rt.write(lambda: self.service.update_network(update, acting_for=request.project))
        return api_pb2.NetworkServiceUpdateResponse(network=network_message(network))

    async def delete(
        self, request: api_pb2.NetworkServiceDeleteRequest, ctx: Ctx
    ) -> api_pb2.NetworkServiceDeleteResponse:
        network = await self.rt.write(lambda: self.service.delete_network(request.id, acting_for=request.project))
        return api_pb2.NetworkServiceDeleteResponse(network=deleted(network_message(network)))


class AdminNetworks(admin_connect.NetworkService):
    """The unscoped network service of admins: every type, every field."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.service: NetworkService = runtime.networks

    async def get(
        self, request: admin_pb2.NetworkServiceGetRequest, ctx: Ctx
    ) -> admin_pb2.NetworkServiceGetResponse:
        network = await self.rt.read(lambda: self.service.get_network(request.id))
        return admin_pb2.NetworkServiceGetResponse(network=network_message(network))

    async def list(
        self, request: admin_pb2.NetworkServiceListRequest, ctx: Ctx
    ) -> admin_pb2.NetworkServiceListResponse:
        query = find_of(request.query)
        found = await self.rt.read(lambda: self.service.find_networks(query))
        return admin_pb2.NetworkServiceListResponse(networks=_sorted(found))

    async def create(
        self, request: admin_pb2.NetworkServiceCreateRequest, ctx: Ctx
    ) -> admin_pb2.NetworkServiceCreateResponse:
        kind = enum_text(api_pb2.NetworkType.DESCRIPTOR, request.type) or "NETWORK_TYPE_UNSPECIFIED"
        nat = enum_text(api_pb2.NATType.DESCRIPTOR, request.nat_type) if request.HasField("nat_type") else None
        typed = TypedNetworkCreate(
            type=kind, id=optional(request, "id"), name=optional(request, "name"),
            description=optional(request, "description"), partitionid=optional(request, "partition"),
            projectid=optional(request, "project"), labels=labels_of(request),
            prefixes=list(request.prefixes), destinationprefixes=list(request.destination_prefixes),
            defaultchildprefixlength=lengths_of(request.default_child_prefix_length) or None,
            minchildprefixlength=lengths_of(request.min_child_prefix_length) or None,
            nattype=nat, vrf=request.vrf if request.HasField("vrf") else None,
            parentnetworkid=optional(request, "parent_network"),
            additional_announcable_cidrs=list(request.additional_announcable_cidrs),
            **_child_shape(request),
        )
        network = await self.rt.write(lambda: self.service.create_typed_network(typed))
        return admin_pb2.NetworkServiceCreateResponse(network=network_message(network))

    async def update(
        self, request: admin_pb2.NetworkServiceUpdateRequest, ctx: Ctx
    ) -> admin_pb2.NetworkServiceUpdateResponse:
        update = NetworkUpdate(
            id=request.id, name=optional(request, "name"), description=optional(request, "description"),
            prefixes=list(request.prefixes) or None, destinationprefixes=list(request.destination_prefixes) or None,
            defaultchildprefixlength=lengths_of(request.default_child_prefix_length) or None
            if request.HasField("default_child_prefix_length") else None,
            minchildprefixlength=lengths_of(request.min_child_prefix_length) or None
            if request.HasField("min_child_prefix_length") else None,
            additional_announcable_cidrs=list(request.additional_announcable_cidrs) or None,
            nattype=(enum_text(api_pb2.NATType.DESCRIPTOR, request.nat_type) or "NAT_TYPE_UNSPECIFIED")
            if request.HasField("nat_type") else None,
            fresh=freshness(request.update_meta), label_change=label_change(request),
        )
        network = await self.rt.write(lambda: self.service.update_network(update, force=request.force))
        return admin_pb2.NetworkServiceUpdateResponse(network=network_message(network))

    async def delete(
        self, request: admin_pb2.NetworkServiceDeleteRequest, ctx: Ctx
    ) -> admin_pb2.NetworkServiceDeleteResponse:
        network = await self.rt.write(lambda: self.service.delete_network(request.id))
        return admin_pb2.NetworkServiceDeleteResponse(network=deleted(network_message(network)))
