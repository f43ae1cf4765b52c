"""Domain types of the network layer: what is stored and what the service returns.

These are not wire models: the API layer maps them to metal-api's JSON (``null`` where metal-api emits it,
the deprecated ``usage`` field, …). Field names follow metal-api's where Python allows; the one camelCase
field is renamed (``additional_announcable_cidrs``, encoded as ``additionalAnnouncableCIDRs``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import msgspec

from metalnet.ipam.addresses import parse_address

Family = Literal["IPv4", "IPv6"]
IPType = Literal["static", "ephemeral"]

NAT_NONE = "none"
NAT_IPV4_MASQ = "ipv4-masq"
#: metal-stack's limits of a partition's DNS and NTP servers
MAX_DNS_SERVERS = 3
MAX_NTP_SERVERS = 5
#: the tag that binds an IP to a machine; such IPs cannot be freed
MACHINE_TAG = "machine.metal-stack.io/id"


def now() -> datetime:
    return datetime.now(UTC)


class Usage(msgspec.Struct, frozen=True, kw_only=True):
    """Consumption of one address family: the sum over the network's prefixes of that family."""

    available_ips: int = 0
    used_ips: int = 0
    available_prefixes: int = 0
    used_prefixes: int = 0
    #: addresses in reserved ranges that are not allocated (counted apart from ``used_ips``)
    reserved_ips: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            available_ips=self.available_ips + other.available_ips,
            used_ips=self.used_ips + other.used_ips,
            available_prefixes=self.available_prefixes + other.available_prefixes,
            used_prefixes=self.used_prefixes + other.used_prefixes,
            reserved_ips=self.reserved_ips + other.reserved_ips,
        )


class Consumption(msgspec.Struct, frozen=True, kw_only=True):
    """Per-family usage; a family is ``None`` when the network has no prefix of it."""

    ipv4: Usage | None = None
    ipv6: Usage | None = None


class ReservedRange(msgspec.Struct, frozen=True, kw_only=True):
    """Addresses ``first`` to ``last`` (inclusive, canonical text) of one of a network's prefixes, kept out of
    next-free allocation; encoded as metal-api style ``{"from", "to", "description"}``."""

    first: str = msgspec.field(name="from")
    last: str = msgspec.field(name="to")
    description: str = ""

    @property
    def size(self) -> int:
        """How many addresses the range holds."""
        return parse_address(self.last)[1] - parse_address(self.first)[1] + 1

    def __str__(self) -> str:
        return f"{self.first}-{self.last}"


class Network(msgspec.Struct, kw_only=True):
    """A network: prefixes of one or both families plus metal-api's flags.

    ``prefixes`` and ``destinationprefixes`` are canonical CIDR strings (host bits masked, RFC 5952).
    ``networktype`` is external, underlay, super, super-namespaced, child or child-shared. A child of a
    super-namespaced network has ``namespace`` = its project: its prefixes come from that project's own copy
    of the parent's prefixes. ``minchildprefixlength`` bounds the child lengths a caller may ask for;
    ``generation`` counts updates. ``consumption`` and ``reservedranges`` are computed on every read (the
    reservations are the IPAM core's, read back from the network's prefixes) and are not stored.
    """

    id: str
    name: str = ""
    description: str = ""
    partitionid: str = ""
    projectid: str = ""
    parentnetworkid: str | None = None
    prefixes: list[str] = msgspec.field(default_factory=list)
    destinationprefixes: list[str] = msgspec.field(default_factory=list)
    defaultchildprefixlength: dict[str, int] | None = None
    minchildprefixlength: dict[str, int] | None = None
    namespace: str = ""
    generation: int = 0
    privatesuper: bool = False
    underlay: bool = False
    nat: bool = False
    shared: bool = False
    vrf: int = 0
    vrfshared: bool = False
    labels: dict[str, str] = msgspec.field(default_factory=dict)
    additional_announcable_cidrs: list[str] = msgspec.field(
        default_factory=list, name="additionalAnnouncableCIDRs"
    )
    networktype: str = "external"
    nattype: str = NAT_NONE
    created: datetime = msgspec.field(default_factory=now)
    changed: datetime = msgspec.field(default_factory=now)
    consumption: Consumption = msgspec.field(default_factory=Consumption)
    reservedranges: list[ReservedRange] = msgspec.field(default_factory=list)
    #: how many reserved ranges the core holds in the network's prefixes (stored; not the ranges): a read asks
    #: the core for them only when there are some, which saves a prefix-row read per prefix (a third of
    #: ``get_network``'s rate on SQLite)
    reservations: int = 0


class IP(msgspec.Struct, kw_only=True, gc=False):
    """An allocated address; ``ipaddress`` (canonical text) is its id, ``prefix`` the network prefix it is in."""

    ipaddress: str
    allocationuuid: str
    networkid: str
    projectid: str
    prefix: str
    name: str = ""
    description: str = ""
    type: IPType = "ephemeral"
    tags: list[str] = msgspec.field(default_factory=list)
    namespace: str = ""
    generation: int = 0
    created: datetime = msgspec.field(default_factory=now)
    changed: datetime = msgspec.field(default_factory=now)


class BootConfiguration(msgspec.Struct, frozen=True, kw_only=True):
    """How a partition's machines boot: the image, the kernel and its command line (metal-api's bootconfig)."""

    imageurl: str = ""
    kernelurl: str = ""
    commandline: str = ""


class Partition(msgspec.Struct, kw_only=True):
    """A partition (a site or rack group); networks reference it by id.

    The boot configuration, DNS and NTP servers and management service addresses are stored as given
    (metal-stack v2 carries them all; v1 shows the boot configuration and the first management address).
    """

    id: str
    name: str = ""
    description: str = ""
    labels: dict[str, str] = msgspec.field(default_factory=dict)
    bootconfig: BootConfiguration = msgspec.field(default_factory=BootConfiguration)
    #: DNS server addresses (canonical), at most :data:`MAX_DNS_SERVERS`
    dns_servers: list[str] = msgspec.field(default_factory=list)
    #: NTP server addresses or names, at most :data:`MAX_NTP_SERVERS`
    ntp_servers: list[str] = msgspec.field(default_factory=list)
    mgmt_service_addresses: list[str] = msgspec.field(default_factory=list)
    created: datetime = msgspec.field(default_factory=now)
    changed: datetime = msgspec.field(default_factory=now)


class Project(msgspec.Struct, kw_only=True):
    """A project (tenant's unit of ownership); networks and IPs reference it by id."""

    id: str
    name: str = ""
    description: str = ""
    tenant_id: str = ""
    labels: dict[str, str] = msgspec.field(default_factory=dict)
    created: datetime = msgspec.field(default_factory=now)
    changed: datetime = msgspec.field(default_factory=now)
