"""metalnet's bulk routes beside metal-api's: ``POST /v1/ip/allocate/bulk`` and ``POST /v1/network/allocate/bulk``.

Each is one network-layer operation (:mod:`metalnet.network.bulk`): one transaction, all or nothing, ``count``
bounded by :data:`~metalnet.network.bulk.MAX_BULK` (a larger one is a 400 naming the limit); too few free
addresses is a 422 that says how many are free.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from litestar import Request, post
from litestar.handlers import HTTPRouteHandler

from metalnet.api import v1_wire as w
from metalnet.api.bodies import documented, read_json
from metalnet.api.context import ApiContext
from metalnet.api.documented_errors import V1_WRITE
from metalnet.api.guards import principal_of
from metalnet.api.settings import Role
from metalnet.api.v1_convert import family_of, ip_response, network_response, to_domain
from metalnet.network import IPAllocate, NetworkAllocate

Req = Request[Any, Any, Any]


def bulk_handlers(ctx: ApiContext) -> list[HTTPRouteHandler]:
    service = ctx.networks

    @post("/v1/ip/allocate/bulk", operation_id="allocateIPs", responses=V1_WRITE, tags=["ip"],
          opt={"role": Role.EDIT}, status_code=201, operation_class=documented(w.V1IPBulkAllocateRequest))
    async def allocate_ips(request: Req) -> list[w.V1IPResponse]:
        data = await read_json(request, w.V1IPBulkAllocateRequest)
        acting_for = principal_of(request).project
        ips = await ctx.write(lambda: service.allocate_ip_bulk(
            to_domain(data, IPAllocate), data.count, acting_for=acting_for))  # type: ignore[arg-type]
        for family, count in Counter(family_of(ip.ipaddress) for ip in ips).items():
            ctx.metrics.allocated("ip", family, count)
        return [ip_response(ip) for ip in ips]

    @post("/v1/network/allocate/bulk", operation_id="allocateNetworks", responses=V1_WRITE, tags=["network"],
          opt={"role": Role.EDIT}, status_code=201, operation_class=documented(w.V1NetworkBulkAllocateRequest))
    async def allocate_networks(request: Req) -> list[w.V1NetworkResponse]:
        data = await read_json(request, w.V1NetworkBulkAllocateRequest)
        acting_for = principal_of(request).project
        networks = await ctx.write(lambda: service.allocate_networks(
            to_domain(data, NetworkAllocate), data.count, acting_for=acting_for))  # type: ignore[arg-type]
        for network in networks:
            for prefix in network.prefixes:
                ctx.metrics.allocated("network", family_of(prefix))
        return [network_response(network) for network in networks]

    return [allocate_ips, allocate_networks]
