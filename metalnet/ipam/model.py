"""Result types of the IPAM core: :class:`Prefix`, :class:`IP` and :class:`Usage`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from metalnet.ipam.addresses import IPAddress, format_address


@dataclass(frozen=True)
class Usage:
    """Usage numbers of a prefix, as go-ipam reports them (counts capped at 2**31 - 1)."""

    available_ips: int
    acquired_ips: int
    available_smallest_prefixes: int
    available_prefixes: list[str]
    acquired_prefixes: int

    def __str__(self) -> str:
        text = f"ip:{self.acquired_ips}/{self.available_ips}"
        if self.acquired_prefixes:
            text += f" prefixes alloc:{self.acquired_prefixes} avail:{self.available_smallest_prefixes}"
        return text


class UsageSource(Protocol):
    def usage_of(self, prefix: Prefix) -> Usage: ...


@dataclass(frozen=True, slots=True)
class Prefix:
    """A prefix of a namespace; ``parent_cidr`` is ``""`` for a top-level prefix.

    ``usage()`` reads the prefix's current usage from the store it came from.
    """

    cidr: str
    parent_cidr: str = ""
    namespace: str = "root"
    # the Ipamer (or session) that made it; one shared reference keeps results cheap to hold in bulk
    source: UsageSource | None = field(default=None, repr=False, compare=False)

    def usage(self) -> Usage:
        if self.source is None:
            raise RuntimeError(f"prefix {self.cidr} is detached from its store")
        return self.source.usage_of(self)

    def __str__(self) -> str:
        return self.cidr


@dataclass(frozen=True, slots=True)
class IP:
    """An acquired address and the prefix it was acquired from."""

    ip: IPAddress
    parent_prefix: str

    def __str__(self) -> str:
        return format_address(self.ip.version, int(self.ip))
