"""Partitions and projects: minimal records, so that networks and IPs reference something real.

Deleting one is refused while networks (or, for a project, IPs) still reference it.
"""

from __future__ import annotations

from uuid import uuid4

import msgspec

from metalnet.ipam.errors import InvalidInputError
from metalnet.network.addresses import canonical_address
from metalnet.network.errors import Reason, conflict, invalid, refused
from metalnet.network.ids import check_id
from metalnet.network.meta import changed_labels, check_fresh
from metalnet.network.model import MAX_DNS_SERVERS, MAX_NTP_SERVERS, BootConfiguration, Partition, Project, now
from metalnet.network.records import kind_name
from metalnet.network.requests import (
    PartitionCreate,
    PartitionUpdate,
    ProjectCreate,
    ProjectFind,
    ProjectUpdate,
    apply_given,
)
from metalnet.network.work import NETWORKS_LOCK, Work, project_lock
from metalnet.storage.base import KeyExistsError

PARTITIONS_LOCK = "network-layer/partitions"


def create_partition(work: Work, request: PartitionCreate) -> Partition:
    if not request.id:
        raise invalid("partition id should not be empty")
    stamp = now()
    partition = Partition(
        id=check_id(request.id, "partition"),
        name=request.name or "",
        description=request.description or "",
        labels=dict(request.labels or {}),
        bootconfig=request.bootconfig or BootConfiguration(),
        created=stamp,
        changed=stamp,
    )
    _apply_servers(partition, request)
    _insert_new(work, partition)
    return partition


def update_partition(work: Work, request: PartitionUpdate) -> Partition:
    work.tx.lock(PARTITIONS_LOCK)
    old = work.partition(request.id)
    check_fresh("partition", old.id, old.changed, request.fresh)
    partition = msgspec.structs.replace(old, changed=now())
    apply_given(partition, request, "name", "description", "labels")
    if request.label_change is not None:
        partition.labels = changed_labels(old.labels, request.label_change)
    if request.bootconfig is not None:
        given = {name: value for name, value in msgspec.structs.asdict(request.bootconfig).items() if value}
        partition.bootconfig = msgspec.structs.replace(old.bootconfig, **given)
    _apply_servers(partition, request)
    work.records.put(partition)
    return partition


def _apply_servers(partition: Partition, request: PartitionCreate | PartitionUpdate) -> None:
    """The given DNS and NTP servers and management addresses (metal-stack's limits; DNS servers are IPs)."""
    if request.dns_servers is not None:
        if len(request.dns_servers) > MAX_DNS_SERVERS:
            raise invalid(f"only {MAX_DNS_SERVERS} dns servers are allowed, given: {request.dns_servers}")
        servers = []
        for text in request.dns_servers:
            try:
                servers.append(canonical_address(text))
            except InvalidInputError:
                raise invalid(f'dns server "{text}" is not a valid ip address') from None
        partition.dns_servers = servers
    if request.ntp_servers is not None:
        if len(request.ntp_servers) > MAX_NTP_SERVERS:
            raise invalid(f"only {MAX_NTP_SERVERS} ntp servers are allowed, given: {request.ntp_servers}")
        if any(not text.strip() for text in request.ntp_servers):
            raise invalid(f"an ntp server address must not be empty, given: {request.ntp_servers}")
        partition.ntp_servers = list(request.ntp_servers)
    if request.mgmt_service_addresses is not None:
        partition.mgmt_service_addresses = list(request.mgmt_service_addresses)


def delete_partition(work: Work, ident: str) -> Partition:
    work.tx.lock(NETWORKS_LOCK)
    work.tx.lock(PARTITIONS_LOCK)
    partition = work.partition(ident)
    found = work.records.first_under("partition", ident)
    if found is not None:
        raise refused(f'partition "{ident}" cannot be deleted: network "{found[0][-1]}" is in it',
                      Reason.PARTITION_IN_USE, id=ident, network=found[0][-1])
    work.records.delete(Partition, ident)
    return partition


def create_project(work: Work, request: ProjectCreate) -> Project:
    stamp = now()
    project = Project(
        id=check_id(request.id or str(uuid4()), "project"),
        name=request.name or "",
        description=request.description or "",
        tenant_id=request.tenant_id or "",
        labels=dict(request.labels or {}),
        created=stamp,
        changed=stamp,
    )
    _insert_new(work, project)
    return project


def update_project(work: Work, request: ProjectUpdate) -> Project:
    work.tx.lock(project_lock(request.id))
    project = msgspec.structs.replace(work.project(request.id), changed=now())
    apply_given(project, request, "name", "description", "tenant_id", "labels")
    work.records.put(project)
    return project


def delete_project(work: Work, ident: str) -> Project:
    work.tx.lock(NETWORKS_LOCK)
    work.tx.lock(project_lock(ident))
    project = work.project(ident)
    network = work.records.first_under("project", ident)
    if network is not None:
        raise refused(f'project "{ident}" cannot be deleted: network "{network[0][-1]}" belongs to it')
    ip = work.records.first_under("ipproject", ident)
    if ip is not None:
        raise refused(f'project "{ident}" cannot be deleted: ip "{ip[0][-1]}" belongs to it')
    work.records.delete(Project, ident)
    return project


def find_projects(work: Work, query: ProjectFind) -> list[Project]:
    if query.id is not None:
        project = work.records.get(Project, query.id)
        candidates = [project] if project is not None else []
    else:
        candidates = work.records.all(Project)
    return [
        project
        for project in candidates
        if (query.name is None or project.name == query.name)
        and (query.tenant_id is None or project.tenant_id == query.tenant_id)
    ]


def _insert_new(work: Work, record: Partition | Project) -> None:
    """Store a new partition or project; a conflict when its id is taken (the insert decides, no lock needed)."""
    try:
        work.records.insert(record)
    except KeyExistsError:
        kind = kind_name(type(record))
        raise conflict(f'entity already exists: {kind} with id "{record.id}"', Reason.EXISTS, kind=kind,
                       id=record.id) from None
