"""Partitions and projects: minimal records, so that networks and IPs reference something real.

Deleting one is refused while networks (or, for a project, IPs) still reference it.
"""

from __future__ import annotations

from uuid import uuid4

import msgspec

from metalnet.network.errors import Reason, conflict, invalid, refused
from metalnet.network.ids import check_id
from metalnet.network.model import Partition, Project, now
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
        created=stamp,
        changed=stamp,
    )
    _insert_new(work, partition)
    return partition


def update_partition(work: Work, request: PartitionUpdate) -> Partition:
    work.tx.lock(PARTITIONS_LOCK)
    partition = msgspec.structs.replace(work.partition(request.id), changed=now())
    apply_given(partition, request, "name", "description", "labels")
    work.records.put(partition)
    return partition


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
