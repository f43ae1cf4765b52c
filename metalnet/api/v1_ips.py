"""``/v1/ip``: allocate (next free or specific), get, list, find, update and free IPs."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, delete, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, QueryParameter

from metalnet.api import idempotency
from metalnet.api import v1_wire as w
from metalnet.api.bodies import documented, read_json
from metalnet.api.context import ApiContext
from metalnet.api.documented_errors import V1_FIND, V1_READ, V1_READ_ONE, V1_WRITE
from metalnet.api.guards import principal_of
from metalnet.api.settings import Role
from metalnet.api.v1_convert import family_of, ip_response, require, to_domain
from metalnet.network import IPAllocate, IPFind, IPRequest, IPUpdate

TAGS = ["ip"]
Req = Request[Any, Any, Any]
#: ``?namespace=<project>``: the IP of that project namespace (a super-namespaced network's child, where two
#: projects may hold the same address); absent: the plain IP, else the only namespace holding the address
#: (409 naming them when several do)
Namespace = Annotated[str | None, QueryParameter(name="namespace", required=False, description=(
    "the project namespace of the IP (children of a super-namespaced network); needed only when several "
    "namespaces hold the address"))]


def ip_handlers(ctx: ApiContext) -> list[HTTPRouteHandler]:
    service = ctx.networks

    async def _allocate(request: Req, data: w.V1IPAllocateRequest, specific: str | None) -> w.V1IPResponse:
        # the network layer decides from the network's owner, inside the allocation's transaction
        acting_for = principal_of(request).project
        allocation = to_domain(data, IPAllocate)
        if idempotency.active():  # its key row belongs in its own transaction, not in a shared batch
            ip = await ctx.write(lambda: service.allocate_ip(allocation, specific, acting_for=acting_for))
        else:
            ip = await ctx.ip_batcher.submit(IPRequest(allocation, specific, acting_for))
        ctx.metrics.allocated("ip", family_of(ip.ipaddress))
        return ip_response(ip)

    @post("/v1/ip/allocate", operation_id="allocateIP", responses=V1_WRITE, tags=TAGS, opt={"role": Role.EDIT},
          status_code=201,
          operation_class=documented(w.V1IPAllocateRequest))
    async def allocate_ip(request: Req) -> w.V1IPResponse:
        data = await read_json(request, w.V1IPAllocateRequest)
        return await _allocate(request, data, None)

    @post("/v1/ip/allocate/{ip:str}", operation_id="allocateSpecificIP", responses=V1_WRITE, tags=TAGS,
          opt={"role": Role.EDIT},
          status_code=201, operation_class=documented(w.V1IPAllocateRequest))
    async def allocate_specific_ip(request: Req, ip: FromPath[str]) -> w.V1IPResponse:
        data = await read_json(request, w.V1IPAllocateRequest)
        return await _allocate(request, data, ip)

    @get("/v1/ip/{id:str}", operation_id="findIP", responses=V1_READ_ONE, tags=TAGS, opt={"role": Role.VIEW})
    async def find_ip(request: Req, id: FromPath[str], namespace: Namespace = None) -> w.V1IPResponse:
        acting_for = principal_of(request).project
        return ip_response(await ctx.call(lambda: service.get_ip(id, namespace, acting_for=acting_for)))

    @get("/v1/ip", operation_id="listIPs", responses=V1_READ, tags=TAGS, opt={"role": Role.VIEW})
    async def list_ips(request: Req) -> list[w.V1IPResponse]:
        acting_for = principal_of(request).project
        return [ip_response(ip) for ip in await ctx.call(lambda: service.list_ips(acting_for=acting_for))]

    @post("/v1/ip/find", operation_id="findIPs", responses=V1_FIND, tags=TAGS, opt={"role": Role.VIEW}, status_code=200,
          operation_class=documented(w.V1IPFindRequest))
    async def find_ips(request: Req) -> list[w.V1IPResponse]:
        data = await read_json(request, w.V1IPFindRequest)
        acting_for = principal_of(request).project
        found = await ctx.call(lambda: service.find_ips(to_domain(data, IPFind), acting_for=acting_for))
        return [ip_response(ip) for ip in found]

    @post("/v1/ip", operation_id="updateIP", responses=V1_WRITE, tags=TAGS, opt={"role": Role.EDIT}, status_code=200,
          operation_class=documented(w.V1IPUpdateRequest))
    async def update_ip(request: Req, namespace: Namespace = None) -> w.V1IPResponse:
        data = await read_json(request, w.V1IPUpdateRequest)
        address = require(data.ipaddress, "ipaddress")
        acting_for = principal_of(request).project  # decided inside the update's transaction, from the IP's owner
        update = to_domain(data, IPUpdate, ipaddress=address, namespace=namespace)
        updated = await ctx.write(lambda: service.update_ip(update, acting_for=acting_for))
        return ip_response(updated)

    @delete("/v1/ip/free/{id:str}", operation_id="freeIP", responses=V1_WRITE, tags=TAGS, opt={"role": Role.EDIT},
            status_code=200)
    async def free_ip(request: Req, id: FromPath[str], namespace: Namespace = None) -> w.V1IPResponse:
        acting_for = principal_of(request).project
        freed = await ctx.write(lambda: service.free_ip(id, namespace=namespace, acting_for=acting_for))
        response = ip_response(freed)
        ctx.metrics.freed("ip", family_of(response.ipaddress))
        return response

    return [allocate_ip, allocate_specific_ip, find_ip, list_ips, find_ips, update_ip, free_ip]
