"""Parsing and formatting at the edge: inside the core an address is (version, int), a prefix a :class:`Cidr`.

Parsing follows go-ipam's rules: a CIDR needs an explicit ``/length``, host bits are masked, zones and
netmask notation are refused. Formatting is what :mod:`ipaddress` prints (RFC 5952), except that
IPv4-mapped IPv6 addresses print in dotted form (``::ffff:1.2.3.4``), as go-ipam prints them.
"""

from __future__ import annotations

import ipaddress
import socket
from functools import lru_cache
from typing import NamedTuple

from metalnet.ipam.errors import ConflictError, InvalidInputError

WIDTH = {4: 32, 6: 128}
#: counts reported in usage are capped here, as go-ipam reports them (int32 maximum)
USAGE_CAP = 2**31 - 1

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Cidr(NamedTuple):
    """A masked prefix: address family, first address as an integer, prefix length."""

    version: int
    first: int
    length: int

    @property
    def width(self) -> int:
        return 32 if self.version == 4 else 128

    @property
    def host_bits(self) -> int:
        return (32 if self.version == 4 else 128) - self.length

    @property
    def size(self) -> int:
        return 1 << self.host_bits

    @property
    def last(self) -> int:
        return self.first + (1 << self.host_bits) - 1

    def contains(self, version: int, address: int) -> bool:
        return version == self.version and self.first <= address <= self.last

    def overlaps(self, other: Cidr) -> bool:
        return self.version == other.version and self.first <= other.last and other.first <= self.last

    def __str__(self) -> str:
        return cidr_text(self)


@lru_cache(maxsize=4096)
def cidr_text(cidr: Cidr) -> str:
    return f"{format_address(cidr.version, cidr.first)}/{cidr.length}"


def parse_cidr(text: object) -> Cidr:
    """Parse ``text`` as a CIDR with its host bits masked; :class:`InvalidInputError` names it otherwise.

    It takes any object (and refuses what is no string), so that callers at the library's edge can hand it
    what they were given: a compiled function typed ``str`` would answer a TypeError instead.
    """
    if not isinstance(text, str):
        raise InvalidInputError(f"invalid cidr {text!r}: not a string")
    return _parse_cidr(text)


@lru_cache(maxsize=4096)
def _parse_cidr(text: str) -> Cidr:
    address, slash, length = text.partition("/")
    if not slash or not length.isdigit() or not length.isascii() or "%" in address or address != address.strip():
        raise InvalidInputError(f"invalid cidr {text!r}: expected ADDRESS/LENGTH")
    # the C library's parser is ten times faster than ipaddress's and accepts the same notations; whatever it
    # refuses goes to ipaddress, which words the error
    version, value = _packed(address)
    width = 32 if version == 4 else 128
    if version and int(length) <= width:
        host_bits = width - int(length)
        return Cidr(version, value >> host_bits << host_bits, int(length))
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise InvalidInputError(f"invalid cidr {text!r}: {exc}") from None
    return Cidr(network.version, int(network.network_address), network.prefixlen)


def _packed(address: str) -> tuple[int, int]:
    """(version, integer) of an address in the notation both inet_pton and ipaddress accept; (0, 0) otherwise."""
    family, version = (socket.AF_INET6, 6) if ":" in address else (socket.AF_INET, 4)
    try:
        return version, int.from_bytes(socket.inet_pton(family, address), "big")
    except (OSError, ValueError):
        return 0, 0


def parse_address(text: object) -> tuple[int, int]:
    """Parse ``text`` as an IP address: (version, integer); takes any object, as :func:`parse_cidr`."""
    if not isinstance(text, str):
        raise InvalidInputError(f"invalid ip address {text!r}")
    return _parse_address(text)


@lru_cache(maxsize=4096)
def _parse_address(text: str) -> tuple[int, int]:
    if "%" in text or "/" in text or text != text.strip():
        raise InvalidInputError(f"invalid ip address {text!r}")
    version, value = _packed(text)
    if version:
        return version, value
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise InvalidInputError(f"invalid ip address {text!r}") from None
    return address.version, int(address)


def format_address(version: int, value: int) -> str:
    if version == 4:
        return f"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}"
    if value >> 32 == 0xFFFF:
        return "::ffff:" + format_address(4, value & 0xFFFFFFFF)
    if value >> 32:
        # the C library prints RFC 5952 as ipaddress does, several times faster; it differs only in
        # printing ::/96 (deprecated IPv4-compatible) addresses dotted, which ipaddress formats below
        return socket.inet_ntop(socket.AF_INET6, value.to_bytes(16, "big"))
    return ipaddress.IPv6Address(value).compressed


def to_ip_address(version: int, value: int) -> IPAddress:
    return ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value)


def capped(count: int) -> int:
    return min(count, USAGE_CAP)


def prefixes_overlapping(existing: list[str], new: list[str]) -> None:
    """Raise :class:`ConflictError` naming the first pair of a new and an existing prefix that overlap."""
    # (version, first, last) once per prefix (cached: callers check the same prefixes again and again), so
    # that comparing a pair calls nothing
    parsed = [(text, _span(text)) for text in existing]
    for new_text in new:
        version, first, last = _span(new_text)
        for old_text, (old_version, old_first, old_last) in parsed:
            if version == old_version and first <= old_last and old_first <= last:
                raise ConflictError(f"{new_text} overlaps {old_text}")


@lru_cache(maxsize=4096)
def _span(text: str) -> tuple[int, int, int]:
    cidr = parse_cidr(text)
    return cidr.version, cidr.first, cidr.last
