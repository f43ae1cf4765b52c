"""Result types of the IPAM core: :class:`Prefix`, :class:`IP` and :class:`Usage`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class Prefix:
    """A prefix of a namespace; ``parent_cidr`` is ``""`` for a top-level prefix.

    ``usage()`` reads the prefix's current usage from the store it came from.
    """

    cidr: str
    parent_cidr: str = ""
    namespace: str = "root"
    _usage: Callable[[], Usage] | None = field(default=None, repr=False, compare=False)

    def usage(self) -> Usage:
        if self._usage is None:
            raise RuntimeError(f"prefix {self.cidr} is detached from its store")
        return self._usage()

    def __str__(self) -> str:
        return self.cidr


@dataclass(frozen=True)
class IP:
    """An acquired address and the prefix it was acquired from."""

    ip: IPAddress
    parent_prefix: str

    def __str__(self) -> str:
        return format_address(self.ip.version, int(self.ip))
