"""``/v1/partition`` and ``/v1/project``: the minimal resources networks and IPs refer to.

Writes need admin and a caller not bound to a project (these resources are global).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, delete, get, post, put
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath

from metalnet.api import v1_convert as c
from metalnet.api import v1_wire as w
from metalnet.api.bodies import documented, read_json
from metalnet.api.context import ApiContext
from metalnet.api.documented_errors import V1_FIND, V1_READ, V1_READ_ONE, V1_WRITE
from metalnet.api.guards import principal_of
from metalnet.api.settings import Role
from metalnet.network import ProjectFind

Req = Request[Any, Any, Any]
VIEW, ADMIN = {"role": Role.VIEW}, {"role": Role.ADMIN}


def _global_write(request: Req) -> None:
    principal_of(request).require_unbound()


def partition_handlers(ctx: ApiContext) -> list[HTTPRouteHandler]:
    service, tags = ctx.networks, ["partition"]

    @put("/v1/partition", operation_id="createPartition", responses=V1_WRITE, tags=tags, opt=ADMIN, status_code=201,
         operation_class=documented(w.V1PartitionCreateRequest))
    async def create_partition(request: Req) -> w.V1PartitionResponse:
        data = await read_json(request, w.V1PartitionCreateRequest)
        _global_write(request)
        return c.partition_response(await ctx.write(lambda: service.create_partition(c.partition_create(data))))

    @post("/v1/partition", operation_id="updatePartition", responses=V1_WRITE, tags=tags, opt=ADMIN, status_code=200,
          operation_class=documented(w.V1PartitionUpdateRequest))
    async def update_partition(request: Req) -> w.V1PartitionResponse:
        data = await read_json(request, w.V1PartitionUpdateRequest)
        _global_write(request)
        update = c.partition_update(data)
        return c.partition_response(await ctx.write(lambda: service.update_partition(update)))

    @get("/v1/partition/{id:str}", operation_id="findPartition", responses=V1_READ_ONE, tags=tags, opt=VIEW)
    async def find_partition(id: FromPath[str]) -> w.V1PartitionResponse:
        return c.partition_response(await ctx.call(lambda: service.get_partition(id)))

    @get("/v1/partition", operation_id="listPartitions", responses=V1_READ, tags=tags, opt=VIEW)
    async def list_partitions() -> list[w.V1PartitionResponse]:
        return [c.partition_response(p) for p in await ctx.call(service.list_partitions)]

    @delete("/v1/partition/{id:str}", operation_id="deletePartition", responses=V1_WRITE, tags=tags, opt=ADMIN,
            status_code=200)
    async def delete_partition(request: Req, id: FromPath[str]) -> w.V1PartitionResponse:
        _global_write(request)
        return c.partition_response(await ctx.write(lambda: service.delete_partition(id)))

    return [create_partition, update_partition, find_partition, list_partitions, delete_partition]


def project_handlers(ctx: ApiContext) -> list[HTTPRouteHandler]:
    service, tags = ctx.networks, ["project"]

    @put("/v1/project", operation_id="createProject", responses=V1_WRITE, tags=tags, opt=ADMIN, status_code=201,
         operation_class=documented(w.V1ProjectCreateRequest))
    async def create_project(request: Req) -> w.V1ProjectResponse:
        data = await read_json(request, w.V1ProjectCreateRequest)
        _global_write(request)
        return c.project_response(await ctx.write(lambda: service.create_project(c.project_create(data))))

    @post("/v1/project", operation_id="updateProject", responses=V1_WRITE, tags=tags, opt=ADMIN, status_code=200,
          operation_class=documented(w.V1ProjectUpdateRequest))
    async def update_project(request: Req) -> w.V1ProjectResponse:
        data = await read_json(request, w.V1ProjectUpdateRequest)
        _global_write(request)
        update = c.project_update(data)
        return c.project_response(await ctx.write(lambda: service.update_project(update)))

    @get("/v1/project/{id:str}", operation_id="findProject", responses=V1_READ_ONE, tags=tags, opt=VIEW)
    async def find_project(id: FromPath[str]) -> w.V1ProjectResponse:
        return c.project_response(await ctx.call(lambda: service.get_project(id)))

    @get("/v1/project", operation_id="listProjects", responses=V1_READ, tags=tags, opt=VIEW)
    async def list_projects() -> list[w.V1ProjectResponse]:
        return [c.project_response(p) for p in await ctx.call(service.list_projects)]

    @post("/v1/project/find", operation_id="findProjects", responses=V1_FIND, tags=tags, opt=VIEW, status_code=200,
          operation_class=documented(w.V1ProjectFindRequest))
    async def find_projects(request: Req) -> list[w.V1ProjectResponse]:
        data = await read_json(request, w.V1ProjectFindRequest)
        query = ProjectFind(id=data.id, name=data.name, tenant_id=data.tenant_id)
        return [c.project_response(p) for p in await ctx.call(lambda: service.find_projects(query))]

    @delete("/v1/project/{id:str}", operation_id="deleteProject", responses=V1_WRITE, tags=tags, opt=ADMIN,
            status_code=200)
    async def delete_project(request: Req, id: FromPath[str]) -> w.V1ProjectResponse:
        _global_write(request)
        return c.project_response(await ctx.write(lambda: service.delete_project(id)))

    return [create_project, update_project, find_project, list_projects, find_projects, delete_project]
