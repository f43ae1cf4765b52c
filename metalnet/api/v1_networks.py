"""``/v1/network``: create, update, get, list, find, delete, allocate and free networks."""

from __future__ import annotations

from typing import Any

from litestar import Request, delete, get, post, put
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, FromQuery

from metalnet.api import v1_wire as w
from metalnet.api.bodies import documented, read_json
from metalnet.api.context import ApiContext
from metalnet.api.documented_errors import V1_FIND, V1_READ, V1_READ_ONE, V1_WRITE
from metalnet.api.guards import principal_of
from metalnet.api.settings import Role
from metalnet.api.v1_convert import EMPTY_CONSUMPTION, family_of, network_response, require, to_domain
from metalnet.network import NetworkAllocate, NetworkCreate, NetworkFind, NetworkUpdate

TAGS = ["network"]
Req = Request[Any, Any, Any]


def network_handlers(ctx: ApiContext) -> list[HTTPRouteHandler]:
    service = ctx.networks

    @put("/v1/network", operation_id="createNetwork", responses=V1_WRITE, tags=TAGS, opt={"role": Role.ADMIN},
         status_code=201,
         operation_class=documented(w.V1NetworkCreateRequest))
    async def create_network(request: Req) -> w.V1NetworkResponse:
        data = await read_json(request, w.V1NetworkCreateRequest)
        acting_for = principal_of(request).project
        created = await ctx.write(lambda: service.create_network(to_domain(data, NetworkCreate),
                                                                 acting_for=acting_for))
        return network_response(created)

    @post("/v1/network", operation_id="updateNetwork", responses=V1_WRITE, tags=TAGS, opt={"role": Role.ADMIN},
          status_code=200,
          operation_class=documented(w.V1NetworkUpdateRequest))
    async def update_network(request: Req, force: FromQuery[bool] = False) -> w.V1NetworkResponse:
        data = await read_json(request, w.V1NetworkUpdateRequest)
        ident = require(data.id, "id")
        acting_for = principal_of(request).project  # decided inside the update's transaction, from the owner
        updated = await ctx.write(lambda: service.update_network(to_domain(data, NetworkUpdate, id=ident),
                                                                 force=force, acting_for=acting_for))
        return network_response(updated)

    @get("/v1/network/{id:str}", operation_id="findNetwork", responses=V1_READ_ONE, tags=TAGS, opt={"role": Role.VIEW})
    async def find_network(request: Req, id: FromPath[str]) -> w.V1NetworkResponse:
        acting_for = principal_of(request).project
        return network_response(await ctx.call(lambda: service.get_network(id, acting_for=acting_for)))

    @get("/v1/network", operation_id="listNetworks", responses=V1_READ, tags=TAGS, opt={"role": Role.VIEW})
    async def list_networks(request: Req) -> list[w.V1NetworkResponse]:
        acting_for = principal_of(request).project
        return [network_response(n) for n in await ctx.call(lambda: service.list_networks(acting_for=acting_for))]

    @post("/v1/network/find", operation_id="findNetworks", responses=V1_FIND, tags=TAGS, opt={"role": Role.VIEW},
          status_code=200,
          operation_class=documented(w.V1NetworkFindRequest))
    async def find_networks(request: Req) -> list[w.V1NetworkResponse]:
        data = await read_json(request, w.V1NetworkFindRequest)
        acting_for = principal_of(request).project
        found = await ctx.call(lambda: service.find_networks(to_domain(data, NetworkFind), acting_for=acting_for))
        return [network_response(n) for n in found]

    @delete("/v1/network/{id:str}", operation_id="deleteNetwork", responses=V1_WRITE, tags=TAGS,
            opt={"role": Role.ADMIN},
            status_code=200)
    async def delete_network(request: Req, id: FromPath[str]) -> w.V1NetworkResponse:
        acting_for = principal_of(request).project
        deleted = await ctx.write(lambda: service.delete_network(id, acting_for=acting_for))
        return network_response(deleted, consumption=EMPTY_CONSUMPTION)

    @post("/v1/network/allocate", operation_id="allocateNetwork", responses=V1_WRITE, tags=TAGS,
          opt={"role": Role.EDIT},
          status_code=201, operation_class=documented(w.V1NetworkAllocateRequest))
    async def allocate_network(request: Req) -> w.V1NetworkResponse:
        data = await read_json(request, w.V1NetworkAllocateRequest)
        acting_for = principal_of(request).project
        network = await ctx.write(lambda: service.allocate_network(to_domain(data, NetworkAllocate),
                                                                   acting_for=acting_for))
        for prefix in network.prefixes:
            ctx.metrics.allocated("network", family_of(prefix))
        return network_response(network)

    async def _free(request: Req, ident: str) -> w.V1NetworkResponse:
        acting_for = principal_of(request).project
        response = network_response(await ctx.write(lambda: service.free_network(ident, acting_for=acting_for)),
                                    consumption=EMPTY_CONSUMPTION)
        for prefix in response.prefixes:
            ctx.metrics.freed("network", family_of(prefix))
        return response

    @delete("/v1/network/free/{id:str}", operation_id="freeNetwork", responses=V1_WRITE, tags=TAGS,
            opt={"role": Role.EDIT},
            status_code=200)
    async def free_network(request: Req, id: FromPath[str]) -> w.V1NetworkResponse:
        return await _free(request, id)

    @post("/v1/network/free/{id:str}", operation_id="freeNetworkDeprecated", responses=V1_WRITE, tags=TAGS,
          opt={"role": Role.EDIT},
          status_code=200, deprecated=True)
    async def free_network_deprecated(request: Req, id: FromPath[str]) -> w.V1NetworkResponse:
        return await _free(request, id)

    return [create_network, update_network, find_network, list_networks, find_networks, delete_network,
            allocate_network, free_network, free_network_deprecated]
