"""go-ipam's ``api.v1.IpamService``: ``POST /api.v1.IpamService/<Rpc>`` with protobuf-JSON bodies.

Each RPC is one call of :class:`metalnet.ipam.Ipamer`; errors become Connect error JSON (see
:mod:`metalnet.api.errors`). Reads need the view role, every write the admin role; tokens bound to a
project cannot use the service (its prefixes belong to no project). The namespace holding the prefixes of
``/v1`` networks can be read here but not written: :class:`~metalnet.ipam.Ipamer` refuses (403 here).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, post
from litestar.handlers import HTTPRouteHandler

from metalnet.api import ipam_wire as w
from metalnet.api.bodies import documented
from metalnet.api.context import ApiContext
from metalnet.api.documented_errors import connect_errors
from metalnet.api.errors import BadRequestError
from metalnet.api.guards import principal_of
from metalnet.api.settings import Role
from metalnet.ipam import IP, Ipamer, Prefix, ReservedRange, Usage

SERVICE_PATH = "/api.v1.IpamService"
SPELLINGS = "protobuf JSON; snake_case field names are accepted too"
ROOT = "root"


def _ns(namespace: str | None) -> str:
    return namespace or ROOT


def _prefix(prefix: Prefix) -> w.PrefixResponse:
    return w.PrefixResponse(prefix=w.PrefixMsg(cidr=prefix.cidr, parent_cidr=prefix.parent_cidr))


def _ip(ip: IP) -> w.IPResponse:
    return w.IPResponse(ip=w.IPMsg(ip=str(ip), parent_prefix=ip.parent_prefix))


def _usage(usage: Usage) -> w.PrefixUsageResponse:
    return w.PrefixUsageResponse(
        available_ips=w.uint64(usage.available_ips),
        acquired_ips=w.uint64(usage.acquired_ips),
        available_smallest_prefixes=w.uint64(usage.available_smallest_prefixes),
        available_prefixes=list(usage.available_prefixes),
        acquired_prefixes=w.uint64(usage.acquired_prefixes),
        reserved_ips=w.uint64(usage.reserved_ips),
    )


def _range(reserved: ReservedRange) -> w.ReservedRangeMsg:
    return w.ReservedRangeMsg(first=reserved.first, last=reserved.last, description=reserved.description)


def _acquire_child(ipam: Ipamer, m: w.AcquireChildPrefixRequest) -> w.PrefixResponse:
    if m.child_cidr:
        return _prefix(ipam.acquire_specific_child_prefix(m.cidr or "", m.child_cidr, namespace=_ns(m.namespace)))
    length = w.parse_length(m.length)
    if length > 128:
        raise BadRequestError("length must not be greater than 128")
    return _prefix(ipam.acquire_child_prefix(m.cidr or "", length, namespace=_ns(m.namespace)))


def _acquire_ip(ipam: Ipamer, m: w.AcquireIPRequest) -> w.IPResponse:
    if m.ip:
        return _ip(ipam.acquire_specific_ip(m.prefix_cidr or "", m.ip, namespace=_ns(m.namespace),
                                            reserved=bool(m.reserved)))
    return _ip(ipam.acquire_ip(m.prefix_cidr or "", namespace=_ns(m.namespace)))


def _acquire_ips(ipam: Ipamer, m: w.AcquireIPsRequest) -> w.IPsResponse:
    if m.count is None:
        raise BadRequestError("count must be given")
    acquired = ipam.acquire_ips(m.prefix_cidr or "", m.count, namespace=_ns(m.namespace))
    return w.IPsResponse(ips=[w.IPMsg(ip=str(ip), parent_prefix=ip.parent_prefix) for ip in acquired])


def _reserve_range(ipam: Ipamer, m: w.ReserveRangeRequest) -> w.ReservedRangeResponse:
    reserved = ipam.reserve_range(m.prefix_cidr or "", m.first or "", m.last or "",
                                  description=m.description or "", namespace=_ns(m.namespace))
    return w.ReservedRangeResponse(reserved_range=_range(reserved))


def _unreserve_range(ipam: Ipamer, m: w.ReserveRangeRequest) -> w.ReservedRangeResponse:
    removed = ipam.unreserve_range(m.prefix_cidr or "", m.first or "", m.last or "", namespace=_ns(m.namespace))
    return w.ReservedRangeResponse(reserved_range=_range(removed))


def _list_reserved_ranges(ipam: Ipamer, m: w.PrefixCidrRequest) -> w.ListReservedRangesResponse:
    found = ipam.reserved_ranges(m.prefix_cidr or "", namespace=_ns(m.namespace))
    return w.ListReservedRangesResponse(reserved_ranges=[_range(reserved) for reserved in found])


def _release_ip(ipam: Ipamer, m: w.ReleaseIPRequest) -> w.IPResponse:
    if not m.ip:
        raise BadRequestError("ip must not be empty")
    released = ipam.release_ip_from_prefix(m.prefix_cidr or "", m.ip, namespace=_ns(m.namespace))
    return _ip(released)


def _load(ipam: Ipamer, m: w.LoadRequest) -> w.Empty:
    ipam.load(m.dump or "", namespace=_ns(m.namespace))
    return w.Empty()


def _create_namespace(ipam: Ipamer, m: w.NamespaceRequest) -> w.Empty:
    ipam.create_namespace(m.namespace or "")
    return w.Empty()


def _delete_namespace(ipam: Ipamer, m: w.NamespaceRequest) -> w.Empty:
    ipam.delete_namespace(m.namespace or "")
    return w.Empty()


Rpc = tuple[str, type[Any], type[Any], Role, Callable[[Ipamer, Any], Any]]

#: name, request message, response message, role needed, implementation
RPCS: tuple[Rpc, ...] = (
    ("CreatePrefix", w.PrefixRequest, w.PrefixResponse, Role.ADMIN,
     lambda i, m: _prefix(i.new_prefix(m.cidr or "", namespace=_ns(m.namespace)))),
    ("DeletePrefix", w.PrefixRequest, w.PrefixResponse, Role.ADMIN,
     lambda i, m: _prefix(i.delete_prefix(m.cidr or "", namespace=_ns(m.namespace)))),
    ("GetPrefix", w.PrefixRequest, w.PrefixResponse, Role.VIEW,
     lambda i, m: _prefix(i.prefix_from(m.cidr or "", namespace=_ns(m.namespace)))),
    ("ListPrefixes", w.NamespaceOnlyRequest, w.ListPrefixesResponse, Role.VIEW,
     lambda i, m: w.ListPrefixesResponse(
         prefixes=[_prefix(p).prefix for p in i.list_prefixes(namespace=_ns(m.namespace))])),  # type: ignore[misc]
    ("PrefixUsage", w.PrefixRequest, w.PrefixUsageResponse, Role.VIEW,
     lambda i, m: _usage(i.prefix_usage(m.cidr or "", namespace=_ns(m.namespace)))),
    ("AcquireChildPrefix", w.AcquireChildPrefixRequest, w.PrefixResponse, Role.ADMIN, _acquire_child),
    ("ReleaseChildPrefix", w.PrefixRequest, w.PrefixResponse, Role.ADMIN,
     lambda i, m: _prefix(i.release_child_prefix(m.cidr or "", namespace=_ns(m.namespace)))),
    ("AcquireIP", w.AcquireIPRequest, w.IPResponse, Role.ADMIN, _acquire_ip),
    # metalnet's extension of the service: many addresses in one call
    ("AcquireIPs", w.AcquireIPsRequest, w.IPsResponse, Role.ADMIN, _acquire_ips),
    ("ReleaseIP", w.ReleaseIPRequest, w.IPResponse, Role.ADMIN, _release_ip),
    # metalnet's extension: reserved address ranges of a prefix (docs/ipam.md)
    ("ReserveRange", w.ReserveRangeRequest, w.ReservedRangeResponse, Role.ADMIN, _reserve_range),
    ("UnreserveRange", w.ReserveRangeRequest, w.ReservedRangeResponse, Role.ADMIN, _unreserve_range),
    ("ListReservedRanges", w.PrefixCidrRequest, w.ListReservedRangesResponse, Role.VIEW, _list_reserved_ranges),
    ("Dump", w.NamespaceOnlyRequest, w.DumpResponse, Role.VIEW,
     lambda i, m: w.DumpResponse(dump=i.dump(namespace=_ns(m.namespace)))),
    ("Load", w.LoadRequest, w.Empty, Role.ADMIN, _load),
    ("CreateNamespace", w.NamespaceRequest, w.Empty, Role.ADMIN, _create_namespace),
    ("ListNamespaces", w.Empty, w.ListNamespacesResponse, Role.VIEW,
     lambda i, m: w.ListNamespacesResponse(namespace=i.list_namespaces())),
    ("DeleteNamespace", w.NamespaceRequest, w.Empty, Role.ADMIN, _delete_namespace),
)


def _handler(ctx: ApiContext, rpc: Rpc) -> HTTPRouteHandler:
    name, request_type, response_type, role, implementation = rpc

    async def call(request: Request[Any, Any, Any]) -> Any:
        principal_of(request).require_unbound()  # prefixes are not scoped to projects
        message = w.decode_request(await request.body(), request_type)
        run = ctx.call if role is Role.VIEW else ctx.write  # every RPC that writes needs more than the view role
        return await run(lambda: implementation(ctx.ipam, message))

    call.__annotations__ = {"request": Request, "return": response_type}
    call.__name__ = call.__qualname__ = f"ipam_{name}"
    return post(
        f"{SERVICE_PATH}/{name}", operation_id=f"IpamService.{name}", status_code=200, tags=["ipam service"],
        opt={"role": role}, summary=name, operation_class=documented(request_type, SPELLINGS),
        responses=connect_errors(),
    )(call)


def ipam_service_handlers(ctx: ApiContext) -> list[HTTPRouteHandler]:
    """The route handlers of every RPC, the ``Version`` RPC included."""
    version = w.VersionResponse(version=ctx.settings.version, revision="metalnet", git_sha1="", build_date="")

    @post(f"{SERVICE_PATH}/Version", operation_id="IpamService.Version", status_code=200,
          tags=["ipam service"], opt={"role": Role.VIEW}, summary="Version", responses=connect_errors((401, 403)))
    async def ipam_version() -> w.VersionResponse:
        return version

    return [*(_handler(ctx, rpc) for rpc in RPCS), ipam_version]
