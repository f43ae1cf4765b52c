"""Between metal-api's wire models and the network layer's requests and records."""

from __future__ import annotations

import functools
from typing import Any, TypeVar

import msgspec

from metalnet.api import v1_wire as w
from metalnet.api.errors import BadRequestError
from metalnet.network import IP, BootConfiguration, Consumption, Network, Partition, Project, ReservedRange, Usage
from metalnet.network.requests import PartitionCreate, PartitionUpdate, ProjectCreate, ProjectUpdate

D = TypeVar("D", bound=msgspec.Struct)
EMPTY_CONSUMPTION = Consumption()
ZERO_USAGE = w.V1NetworkUsage(available_ips=0, used_ips=0, available_prefixes=0, used_prefixes=0, reserved_ips=0)


def to_domain(wire: msgspec.Struct, domain: type[D], **overrides: Any) -> D:
    """The network-layer request with the same field names as ``wire`` (extra wire fields are dropped)."""
    values = {name: getattr(wire, name) for name in _shared_fields(type(wire), domain)}
    ranges = values.get("reservedranges")
    if ranges is not None:  # the one field whose items are structs of their own on each side
        values["reservedranges"] = reserved_ranges(ranges)
    values.update(overrides)
    return domain(**values)


@functools.cache
def _shared_fields(wire: type[msgspec.Struct], domain: type[msgspec.Struct]) -> tuple[str, ...]:
    """The fields of ``domain`` that ``wire`` has too (worked out once per pair of types)."""
    return tuple(name for name in domain.__struct_fields__ if name in wire.__struct_fields__)


def reserved_ranges(ranges: list[w.V1ReservedRange]) -> list[ReservedRange]:
    return [ReservedRange(first=r.first, last=r.last, description=r.description) for r in ranges]


def _ranges_response(ranges: list[ReservedRange]) -> list[w.V1ReservedRange]:
    return [w.V1ReservedRange(first=r.first, last=r.last, description=r.description) for r in ranges]


def require(value: str | None, name: str) -> str:
    """A required identifier of a request body (400 naming it when missing or empty)."""
    if not value:
        raise BadRequestError(f"{name} should not be empty")
    return value


def _usage(usage: Usage | None) -> w.V1NetworkUsage | None:
    if usage is None:
        return None
    return w.V1NetworkUsage(
        available_ips=usage.available_ips, used_ips=usage.used_ips,
        available_prefixes=usage.available_prefixes, used_prefixes=usage.used_prefixes,
        reserved_ips=usage.reserved_ips,
    )


def network_response(network: Network, *, consumption: Consumption | None = None) -> w.V1NetworkResponse:
    """metal-api's JSON of ``network``; ``consumption`` overrides the computed one (empty after a delete)."""
    used = network.consumption if consumption is None else consumption
    ipv4 = _usage(used.ipv4)
    return w.V1NetworkResponse(
        id=network.id, name=network.name, description=network.description,
        partitionid=network.partitionid, projectid=network.projectid, labels=network.labels,
        shared=network.shared, prefixes=network.prefixes, destinationprefixes=network.destinationprefixes,
        defaultchildprefixlength=network.defaultchildprefixlength, nat=network.nat,
        privatesuper=network.privatesuper, underlay=network.underlay, vrf=network.vrf,
        vrfshared=None, parentnetworkid=network.parentnetworkid or None,
        additional_announcable_cidrs=network.additional_announcable_cidrs,
        networktype=network.networktype, nattype=network.nattype,
        consumption=w.V1NetworkConsumption(ipv4=ipv4, ipv6=_usage(used.ipv6)),
        usage=ipv4 or ZERO_USAGE, created=network.created, changed=network.changed,
        reservedranges=_ranges_response(network.reservedranges),
    )


def ip_response(ip: IP) -> w.V1IPResponse:
    return w.V1IPResponse(
        name=ip.name, description=ip.description, projectid=ip.projectid, networkid=ip.networkid,
        type=ip.type, tags=ip.tags, ipaddress=ip.ipaddress, allocationuuid=ip.allocationuuid,
        created=ip.created, changed=ip.changed,
    )


def partition_response(partition: Partition) -> w.V1PartitionResponse:
    boot = partition.bootconfig
    return w.V1PartitionResponse(
        id=partition.id, name=partition.name, description=partition.description, labels=partition.labels,
        bootconfig=w.V1PartitionBootConfiguration(
            commandline=boot.commandline, imageurl=boot.imageurl, kernelurl=boot.kernelurl),
        # v1 has one management service address; v2 a list
        mgmtserviceaddress=next(iter(partition.mgmt_service_addresses), ""),
        created=partition.created, changed=partition.changed,
    )


def _boot(wire: w.V1PartitionCreateRequest) -> BootConfiguration | None:
    given = wire.bootconfig
    if given is None:
        return None
    return BootConfiguration(imageurl=given.imageurl or "", kernelurl=given.kernelurl or "",
                             commandline=given.commandline or "")


def _mgmt(wire: w.V1PartitionCreateRequest) -> list[str] | None:
    return [wire.mgmtserviceaddress] if wire.mgmtserviceaddress else None


def partition_create(wire: w.V1PartitionCreateRequest) -> PartitionCreate:
    return PartitionCreate(id=wire.id, name=wire.name, description=wire.description, labels=wire.labels,
                           bootconfig=_boot(wire), mgmt_service_addresses=_mgmt(wire))


def partition_update(wire: w.V1PartitionUpdateRequest) -> PartitionUpdate:
    return PartitionUpdate(id=require(wire.id, "id"), name=wire.name, description=wire.description,
                           labels=wire.labels, bootconfig=_boot(wire), mgmt_service_addresses=_mgmt(wire))


def _labels(items: list[str] | None) -> dict[str, str] | None:
    """masterdata labels (``key=value`` strings) as a mapping."""
    if items is None:
        return None
    return dict(item.partition("=")[::2] for item in items)


def project_response(project: Project) -> w.V1ProjectResponse:
    meta = w.V1Meta(
        id=project.id, kind="Project", apiversion="v1", version=0,
        labels=[f"{k}={v}" for k, v in sorted(project.labels.items())], annotations={},
        created_time=project.created, updated_time=project.changed,
    )
    return w.V1ProjectResponse(meta=meta, name=project.name, description=project.description,
                               tenant_id=project.tenant_id)


def project_create(wire: w.V1ProjectCreateRequest) -> ProjectCreate:
    meta = wire.meta or w.V1Meta()
    return ProjectCreate(id=meta.id, name=wire.name, description=wire.description, tenant_id=wire.tenant_id,
                         labels=_labels(meta.labels))


def project_update(wire: w.V1ProjectUpdateRequest) -> ProjectUpdate:
    meta = wire.meta or w.V1Meta()
    return ProjectUpdate(id=require(meta.id, "meta.id"), name=wire.name, description=wire.description,
                         tenant_id=wire.tenant_id, labels=_labels(meta.labels))


def family_of(address: str) -> str:
    return "IPv6" if ":" in address else "IPv4"
