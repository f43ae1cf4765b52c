"""Result types of the IPAM core: :class:`Prefix`, :class:`IP`, :class:`Usage` and :class:`ReservedRange`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol

from metalnet.ipam.addresses import IPAddress, format_address, parse_address, to_ip_address


@dataclass(frozen=True)
class Usage:
    """Usage numbers of a prefix, as go-ipam reports them (counts capped at 2**31 - 1)."""

    available_ips: int
    acquired_ips: int
    available_smallest_prefixes: int
    available_prefixes: list[str]
    acquired_prefixes: int
    #: addresses of reserved ranges that are not acquired (neither free nor counted in ``acquired_ips``)
    reserved_ips: int = 0

    def __str__(self) -> str:
        text = f"ip:{self.acquired_ips}/{self.available_ips}"
        if self.reserved_ips:
            text += f" reserved:{self.reserved_ips}"
        if self.acquired_prefixes:
            text += f" prefixes alloc:{self.acquired_prefixes} avail:{self.available_smallest_prefixes}"
        return text


@dataclass(frozen=True)
class ReservedRange:
    """An inclusive address range of a prefix kept out of next-free allocation (``first``-``last``)."""

    first: str
    last: str
    description: str = ""

    @property
    def size(self) -> int:
        """How many addresses the range holds."""
        return parse_address(self.last)[1] - parse_address(self.first)[1] + 1

    def __str__(self) -> str:
        text = f"{self.first}-{self.last}"
        return f'{text} ("{self.description}")' if self.description else text


class UsageSource(Protocol):
    def usage_of(self, prefix: Prefix) -> Usage: ...


class Prefix:
    """A prefix of a namespace; ``parent_cidr`` is ``""`` for a top-level prefix.

    ``usage()`` reads the prefix's current usage from the store it came from. A value: equal, and hashed,
    by cidr, parent and namespace. (A plain class, not a frozen dataclass, whose ``__init__`` costs as much
    as the allocation that returns it; ``Final`` keeps the fields read-only for the type checker.)
    """

    def __init__(self, cidr: str, parent_cidr: str = "", namespace: str = "root",
                 source: UsageSource | None = None) -> None:
        self.cidr: Final = cidr
        self.parent_cidr: Final = parent_cidr
        self.namespace: Final = namespace
        # the Ipamer (or session) that made it; one shared reference keeps results cheap to hold in bulk
        self.source: Final = source

    def usage(self) -> Usage:
        if self.source is None:
            raise RuntimeError(f"prefix {self.cidr} is detached from its store")
        return self.source.usage_of(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Prefix):
            return NotImplemented
        return (self.cidr, self.parent_cidr, self.namespace) == (other.cidr, other.parent_cidr, other.namespace)

    def __hash__(self) -> int:
        return hash((self.cidr, self.parent_cidr, self.namespace))

    def __repr__(self) -> str:
        return f"Prefix(cidr={self.cidr!r}, parent_cidr={self.parent_cidr!r}, namespace={self.namespace!r})"

    def __str__(self) -> str:
        return self.cidr


class IP:
    """An acquired address and the prefix it was acquired from (a value, as :class:`Prefix`).

    ``version`` and ``value`` (the address as an integer) are what the core knows; ``ip``, the
    :mod:`ipaddress` object, is made on first use (most callers only print the address or store the integer).
    """

    def __init__(self, version: int, value: int, parent_prefix: str) -> None:
        self.version: Final = version
        self.value: Final = value
        self.parent_prefix: Final = parent_prefix
        self._ip: IPAddress | None = None

    @property
    def ip(self) -> IPAddress:
        made = self._ip
        if made is None:
            made = self._ip = to_ip_address(self.version, self.value)
        return made

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IP):
            return NotImplemented
        return (self.value, self.version, self.parent_prefix) == (other.value, other.version, other.parent_prefix)

    def __hash__(self) -> int:
        return hash((self.value, self.version, self.parent_prefix))

    def __repr__(self) -> str:
        return f"IP(ip={self.ip!r}, parent_prefix={self.parent_prefix!r})"

    def __str__(self) -> str:
        return format_address(self.version, self.value)
