"""Network-layer records to metal-stack v2 messages and back (no rules: shapes and names only).

Enum values travel as metal-stack's own string values (``super-namespaced``, ``ipv4-masq``, ``ephemeral``),
read from each enum value's ``enum_string_value`` option, so no table of names is kept here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from google.protobuf.descriptor import EnumDescriptor
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from metalstack.api.v2 import common_pb2, ip_pb2, network_pb2

from metalnet.network import IP, Freshness, LabelChange, Network, Usage
from metalnet.network.addresses import IPV4, IPV6
from metalnet.network.meta import labels_of_tags

#: metal-stack's names of the families in child-length maps
FAMILY_FIELDS = ((IPV4, "ipv4"), (IPV6, "ipv6"))


@cache
def _strings(descriptor: EnumDescriptor) -> tuple[dict[int, str], dict[str, int]]:
    by_number = {}
    for value in descriptor.values:
        text = value.GetOptions().Extensions[common_pb2.enum_string_value]
        if text:
            by_number[value.number] = text
    return by_number, {text: number for number, text in by_number.items()}


def enum_text(descriptor: EnumDescriptor, number: int) -> str | None:
    """The string value of an enum number (``None`` for UNSPECIFIED)."""
    return _strings(descriptor)[0].get(number)


def enum_number(descriptor: EnumDescriptor, text: str) -> int:
    return _strings(descriptor)[1].get(text, 0)


def enum_name(descriptor: EnumDescriptor, number: int) -> str:
    """The proto name (``NETWORK_TYPE_SUPER``), as metal-stack's messages print it."""
    value = descriptor.values_by_number.get(number)
    return value.name if value is not None else str(number)


def timestamp(value: datetime) -> Timestamp:
    # seconds and nanos directly: Timestamp.FromDatetime costs several times more (every IP has two)
    seconds = int(value.replace(microsecond=0).timestamp())
    return Timestamp(seconds=seconds, nanos=value.microsecond * 1000)


def lengths_of(message: network_pb2.ChildPrefixLength) -> dict[str, int]:
    return {family: getattr(message, name) for family, name in FAMILY_FIELDS if message.HasField(name)}


def length_message(lengths: dict[str, int] | None) -> network_pb2.ChildPrefixLength:
    message = network_pb2.ChildPrefixLength()
    for family, name in FAMILY_FIELDS:
        if lengths and family in lengths:
            setattr(message, name, lengths[family])
    return message


def optional(message: Message, name: str) -> str | None:
    """A field with presence: its value when set, else ``None``."""
    if message.HasField(name):
        value: str = getattr(message, name)
        return value
    return None


def labels_of(message: Message, name: str = "labels") -> dict[str, str] | None:
    if not message.HasField(name):
        return None
    return dict(getattr(message, name).labels)


def freshness(meta: common_pb2.UpdateMeta) -> Freshness:
    server = meta.locking_strategy == common_pb2.OPTIMISTIC_LOCKING_STRATEGY_SERVER
    changed = meta.updated_at.ToDatetime(tzinfo=UTC) if meta.HasField("updated_at") else None
    return Freshness(changed=changed, server_side=server)


def label_change(message: Message) -> LabelChange | None:
    if not message.HasField("labels"):
        return None
    update: common_pb2.UpdateLabels = message.labels
    if update.HasField("replace"):
        return LabelChange(replace=dict(update.replace.labels))
    return LabelChange(update=dict(update.patch.update.labels), remove=list(update.patch.remove))


def _meta(labels: dict[str, str], created: datetime, changed: datetime, generation: int) -> common_pb2.Meta:
    meta = common_pb2.Meta(created_at=timestamp(created), updated_at=timestamp(changed), generation=generation)
    if labels:
        meta.labels.labels.update(labels)
    return meta


def _usage(usage: Usage) -> network_pb2.NetworkUsage:
    return network_pb2.NetworkUsage(available_ips=usage.available_ips, used_ips=usage.used_ips,
                                    available_prefixes=usage.available_prefixes, used_prefixes=usage.used_prefixes)


def network_message(network: Network, *, with_consumption: bool = True) -> network_pb2.Network:
    message = network_pb2.Network(
        id=network.id,
        meta=_meta(network.labels, network.created, network.changed, network.generation),
        prefixes=sorted(network.prefixes),
        destination_prefixes=sorted(network.destinationprefixes),
        type=enum_number(network_pb2.NetworkType.DESCRIPTOR, network.networktype),
        nat_type=enum_number(network_pb2.NATType.DESCRIPTOR, network.nattype or "none"),
        additional_announcable_cidrs=sorted(network.additional_announcable_cidrs),
    )
    # empty strings and vrf 0 are left out, as metal-stack's server leaves them out
    for name, value in (("name", network.name), ("description", network.description),
                        ("partition", network.partitionid), ("project", network.projectid),
                        ("namespace", network.namespace), ("parent_network", network.parentnetworkid or "")):
        if value:
            setattr(message, name, value)
    if network.vrf:
        message.vrf = network.vrf
    if network.defaultchildprefixlength:
        message.default_child_prefix_length.CopyFrom(length_message(network.defaultchildprefixlength))
    if network.minchildprefixlength:
        message.min_child_prefix_length.CopyFrom(length_message(network.minchildprefixlength))
    consumption = network.consumption
    if with_consumption:
        if consumption.ipv4 is not None:
            message.consumption.ipv4.CopyFrom(_usage(consumption.ipv4))
        if consumption.ipv6 is not None:
            message.consumption.ipv6.CopyFrom(_usage(consumption.ipv6))
    return message


def ip_message(ip: IP) -> ip_pb2.IP:
    message = ip_pb2.IP(
        uuid=ip.allocationuuid,
        meta=_meta(labels_of_tags(ip.tags), ip.created, ip.changed, ip.generation),
        ip=ip.ipaddress, name=ip.name, description=ip.description, network=ip.networkid, project=ip.projectid,
        type=enum_number(ip_pb2.IPType.DESCRIPTOR, ip.type),
    )
    if ip.namespace:
        message.namespace = ip.namespace
    return message
