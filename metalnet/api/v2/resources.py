"""Partitions, projects, health and version over v2 (the network layer's records, read as metal-stack's)."""

from __future__ import annotations

from typing import Any

from connectrpc.request import RequestContext
from metalstack.admin.v2 import partition_connect as admin_partition_connect
from metalstack.admin.v2 import partition_pb2 as admin_partition_pb2
from metalstack.admin.v2 import project_connect as admin_project_connect
from metalstack.admin.v2 import project_pb2 as admin_project_pb2
from metalstack.api.v2 import (
    common_pb2,
    health_connect,
    health_pb2,
    partition_connect,
    partition_pb2,
    project_connect,
    project_pb2,
    version_connect,
    version_pb2,
)

from metalnet.api.v2.access import CURRENT
from metalnet.api.v2.convert import freshness, label_change, labels_of, optional, timestamp
from metalnet.api.v2.runtime import Runtime, deleted
from metalnet.network import (
    BootConfiguration,
    Partition,
    PartitionCreate,
    PartitionUpdate,
    Project,
    ProjectFind,
)

Ctx = RequestContext[Any, Any]


def partition_message(partition: Partition) -> partition_pb2.Partition:
    meta = common_pb2.Meta(created_at=timestamp(partition.created), updated_at=timestamp(partition.changed))
    if partition.labels:
        meta.labels.labels.update(partition.labels)
    boot = partition.bootconfig
    return partition_pb2.Partition(
        id=partition.id, meta=meta, description=partition.description,
        boot_configuration=partition_pb2.PartitionBootConfiguration(
            image_url=boot.imageurl, kernel_url=boot.kernelurl, commandline=boot.commandline),
        dns_servers=[partition_pb2.DNSServer(ip=ip) for ip in partition.dns_servers],
        ntp_servers=[partition_pb2.NTPServer(address=address) for address in partition.ntp_servers],
        mgmt_service_addresses=partition.mgmt_service_addresses,
    )


def _boot(message: partition_pb2.PartitionBootConfiguration) -> BootConfiguration:
    return BootConfiguration(imageurl=message.image_url, kernelurl=message.kernel_url,
                             commandline=message.commandline)


def project_message(project: Project) -> project_pb2.Project:
    meta = common_pb2.Meta(created_at=timestamp(project.created), updated_at=timestamp(project.changed))
    if project.labels:
        meta.labels.labels.update(project.labels)
    return project_pb2.Project(uuid=project.id, meta=meta, name=project.name, description=project.description,
                               tenant=project.tenant_id)


def _project_find(query: project_pb2.ProjectQuery) -> ProjectFind:
    return ProjectFind(id=optional(query, "uuid"), name=optional(query, "name"), tenant_id=optional(query, "tenant"))


class Partitions(partition_connect.PartitionService):
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    async def get(
        self, request: partition_pb2.PartitionServiceGetRequest, ctx: Ctx
    ) -> partition_pb2.PartitionServiceGetResponse:
        found = await self.rt.read(lambda: self.rt.networks.get_partition(request.id))
        return partition_pb2.PartitionServiceGetResponse(partition=partition_message(found))

    async def list(
        self, request: partition_pb2.PartitionServiceListRequest, ctx: Ctx
    ) -> partition_pb2.PartitionServiceListResponse:
        found = await self.rt.read(self.rt.networks.list_partitions)
        query = request.query
        labels = labels_of(query) or {}
        wanted = [p for p in found if (not query.HasField("id") or p.id == query.id)
                  and all(p.labels.get(k) == v for k, v in labels.items())]
        return partition_pb2.PartitionServiceListResponse(partitions=[partition_message(p) for p in wanted])


class AdminPartitions(admin_partition_connect.PartitionService):
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    async def create(
        self, request: admin_partition_pb2.PartitionServiceCreateRequest, ctx: Ctx
    ) -> admin_partition_pb2.PartitionServiceCreateResponse:
        given = request.partition
        create = PartitionCreate(
            id=given.id, description=given.description, labels=dict(given.meta.labels.labels) or None,
            bootconfig=_boot(given.boot_configuration) if given.HasField("boot_configuration") else None,
            dns_servers=[server.ip for server in given.dns_servers],
            ntp_servers=[server.address for server in given.ntp_servers],
            mgmt_service_addresses=list(given.mgmt_service_addresses),
        )
        found = await self.rt.write(lambda: self.rt.networks.create_partition(create))
        return admin_partition_pb2.PartitionServiceCreateResponse(partition=partition_message(found))

    async def update(
        self, request: admin_partition_pb2.PartitionServiceUpdateRequest, ctx: Ctx
    ) -> admin_partition_pb2.PartitionServiceUpdateResponse:
        # repeated fields cannot say "not given" from "empty": an empty list keeps the stored one
        update = PartitionUpdate(
            id=request.id, description=optional(request, "description"),
            bootconfig=_boot(request.boot_configuration) if request.HasField("boot_configuration") else None,
            dns_servers=[server.ip for server in request.dns_servers] or None,
            ntp_servers=[server.address for server in request.ntp_servers] or None,
            mgmt_service_addresses=list(request.mgmt_service_addresses) or None,
            fresh=freshness(request.update_meta), label_change=label_change(request),
        )
        found = await self.rt.write(lambda: self.rt.networks.update_partition(update))
        return admin_partition_pb2.PartitionServiceUpdateResponse(partition=partition_message(found))

    async def delete(
        self, request: admin_partition_pb2.PartitionServiceDeleteRequest, ctx: Ctx
    ) -> admin_partition_pb2.PartitionServiceDeleteResponse:
        found = await self.rt.write(lambda: self.rt.networks.delete_partition(request.id))
        return admin_partition_pb2.PartitionServiceDeleteResponse(partition=deleted(partition_message(found)))


class Projects(project_connect.ProjectService):
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    async def get(
        self, request: project_pb2.ProjectServiceGetRequest, ctx: Ctx
    ) -> project_pb2.ProjectServiceGetResponse:
        found = await self.rt.read(lambda: self.rt.networks.get_project(request.project))
        return project_pb2.ProjectServiceGetResponse(project=project_message(found))

    async def list(
        self, request: project_pb2.ProjectServiceListRequest, ctx: Ctx
    ) -> project_pb2.ProjectServiceListResponse:
        query = _project_find(request.query)
        found = await self.rt.read(lambda: self.rt.networks.find_projects(query))
        grant = CURRENT.get()
        # a project token lists its own project; admins and every-project tokens list them all
        mine = [p for p in found if grant.project is None or p.id == grant.project]
        return project_pb2.ProjectServiceListResponse(projects=[project_message(p) for p in mine])


class AdminProjects(admin_project_connect.ProjectService):
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    async def list(
        self, request: admin_project_pb2.ProjectServiceListRequest, ctx: Ctx
    ) -> admin_project_pb2.ProjectServiceListResponse:
        query = _project_find(request.query)
        found = await self.rt.read(lambda: self.rt.networks.find_projects(query))
        return admin_project_pb2.ProjectServiceListResponse(projects=[project_message(p) for p in found])


class Health(health_connect.HealthService):
    """One entry per metal-stack service: healthy when the store answers (metalnet is its own IPAM)."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    async def get(self, request: health_pb2.HealthServiceGetRequest, ctx: Ctx) -> health_pb2.HealthServiceGetResponse:
        try:
            await self.rt.read(self.rt.ctx.storage.ping)
            status, message = health_pb2.SERVICE_STATUS_HEALTHY, f"{self.rt.ctx.storage.name} answers"
        except Exception as exc:  # an unreachable store is reported, not raised
            status, message = health_pb2.SERVICE_STATUS_UNHEALTHY, f"{self.rt.ctx.storage.name}: {exc}"
        services = [
            health_pb2.HealthStatus(name=value.number, status=status, message=message)
            for value in sorted(health_pb2.Service.DESCRIPTOR.values, key=lambda v: v.number) if value.number
        ]
        return health_pb2.HealthServiceGetResponse(health=health_pb2.Health(services=services))


class Version(version_connect.VersionService):
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    async def get(
        self, request: version_pb2.VersionServiceGetRequest, ctx: Ctx
    ) -> version_pb2.VersionServiceGetResponse:
        return version_pb2.VersionServiceGetResponse(version=version_pb2.Version(version=self.rt.ctx.settings.version))
