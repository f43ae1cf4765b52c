"""Parsing and formatting at the edge: inside the core an address is (version, int), a prefix a :class:`Cidr`.

This module is the one parser of addresses, CIDRs and prefix lengths; every layer and protocol calls it.
It accepts go-ipam's forms, strictly: a CIDR needs an explicit ``/length``, host bits are masked, zones
and netmask notation are refused. Decimal numbers (IPv4 octets, prefix lengths) must be canonical: ASCII
digits only and no leading zero (``010.0.0.0/8`` and ``10.0.0.0/08`` are refused, as Go's ``netip`` refuses
them), so that one text never means two things. IPv6 hex groups may carry leading zeros (RFC 4291 text,
normalised on output). IPv4-mapped IPv6 (``::ffff:10.0.0.0/104``, ``::ffff:10.0.0.1``) is refused: it names
IPv4 addresses in IPv6 form, so the same addresses would live in two families at once; the message gives
the IPv4 form to use instead.

Formatting is what :mod:`ipaddress` prints (RFC 5952), except that IPv4-mapped IPv6 addresses (reachable
only inside a wider IPv6 prefix) print in dotted form (``::ffff:1.2.3.4``), as go-ipam prints them.
"""

from __future__ import annotations

import ipaddress
import socket
from functools import lru_cache
from typing import Final, final

from metalnet.ipam.errors import ConflictError, InvalidInputError

WIDTH = {4: 32, 6: 128}
#: counts reported in usage are capped here, as go-ipam reports them (int32 maximum)
USAGE_CAP = 2**31 - 1

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@final
class Cidr:
    """A masked prefix: address family, first address as an integer, prefix length.

    A value: equal, hashed and ordered as the tuple ``(version, first, length)``. A plain class with its
    derived ``width`` and ``last`` computed once (the core reads them on every operation) and its text
    formatted on first use.
    """

    __slots__ = ("_text", "first", "last", "length", "version", "width")

    def __init__(self, version: int, first: int, length: int) -> None:
        width = 32 if version == 4 else 128
        self.version: Final = version
        self.first: Final = first
        self.length: Final = length
        self.width: Final = width
        self.last: Final = first + (1 << (width - length)) - 1
        self._text: str | None = None

    @property
    def host_bits(self) -> int:
        return self.width - self.length

    @property
    def size(self) -> int:
        return 1 << (self.width - self.length)

    def contains(self, version: int, address: int) -> bool:
        return version == self.version and self.first <= address <= self.last

    def overlaps(self, other: Cidr) -> bool:
        return self.version == other.version and self.first <= other.last and other.first <= self.last

    def key(self) -> tuple[int, int, int]:
        return self.version, self.first, self.length

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Cidr):
            return NotImplemented
        return self.first == other.first and self.length == other.length and self.version == other.version

    def __hash__(self) -> int:
        return hash((self.version, self.first, self.length))

    def __lt__(self, other: Cidr) -> bool:
        return self.key() < other.key()

    def __le__(self, other: Cidr) -> bool:
        return self.key() <= other.key()

    def __gt__(self, other: Cidr) -> bool:
        return self.key() > other.key()

    def __ge__(self, other: Cidr) -> bool:
        return self.key() >= other.key()

    def __repr__(self) -> str:
        return f"Cidr(version={self.version}, first={self.first}, length={self.length})"

    def __str__(self) -> str:
        return cidr_text(self)


def cidr_text(cidr: Cidr) -> str:
    """``cidr`` as text (``10.0.0.0/8``), formatted once per object."""
    text = cidr._text
    if text is None:
        text = cidr._text = f"{format_address(cidr.version, cidr.first)}/{cidr.length}"
    return text


#: IPv4-mapped IPv6 addresses are ``::ffff:0:0/96``: the 32 bits above the IPv4 address are 0xffff
_MAPPED = 0xFFFF


def parse_cidr(text: object) -> Cidr:
    """Parse ``text`` as a CIDR with its host bits masked; :class:`InvalidInputError` names it otherwise.

    It takes any object (and refuses what is no string), so that callers at the library's edge can hand it
    what they were given: a compiled function typed ``str`` would answer a TypeError instead.
    """
    if not isinstance(text, str):
        raise InvalidInputError(f"invalid cidr {text!r}: not a string")
    cidr = _PARSED.get(text)
    if cidr is None:
        cidr = _parse_cidr(text)
        if len(_PARSED) >= _CACHED:
            _PARSED.clear()
        _PARSED[text] = cidr
    return cidr


#: parsed CIDRs by text (callers parse the same few again and again); a dict read is cheaper than a call
#: through functools' cache, and clearing it when full is cheap enough for loops over many prefixes
_PARSED: dict[str, Cidr] = {}
_CACHED = 4096


def _parse_cidr(text: str) -> Cidr:
    address, slash, length_text = text.partition("/")
    if not slash or "%" in address or address != address.strip():
        raise InvalidInputError(f"invalid cidr {text!r}: expected ADDRESS/LENGTH")
    length = _decimal(length_text, f"invalid cidr {text!r}: prefix length")
    # the C library's parser is ten times faster than ipaddress's and accepts the same notations; whatever it
    # refuses goes to ipaddress, which words the error
    version, first = _packed(address)
    if version and length <= (32 if version == 4 else 128):
        host_bits = (32 if version == 4 else 128) - length
        first = first >> host_bits << host_bits
    else:
        try:
            network: ipaddress.IPv4Network | ipaddress.IPv6Network = (
                ipaddress.IPv6Network((address, length), strict=False) if ":" in address
                else ipaddress.IPv4Network((address, length), strict=False)
            )
        except ValueError as exc:
            raise InvalidInputError(f"invalid cidr {text!r}: {exc}") from None
        version, first = network.version, int(network.network_address)
    if version == 6 and length >= 96 and first >> 32 == _MAPPED:
        ipv4 = f"{format_address(4, first & 0xFFFFFFFF)}/{length - 96}"
        raise InvalidInputError(
            f"invalid cidr {text!r}: IPv4-mapped IPv6 prefixes are refused, they would hold IPv4 addresses in "
            f"the IPv6 family; use {ipv4}"
        )
    return Cidr(version, first, length)


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
    if not version:
        try:
            address = ipaddress.IPv6Address(text) if ":" in text else ipaddress.IPv4Address(text)
        except ValueError as exc:
            raise InvalidInputError(f"invalid ip address {text!r}: {exc}") from None
        version, value = address.version, int(address)
    if version == 6 and value >> 32 == _MAPPED:
        raise InvalidInputError(
            f"invalid ip address {text!r}: IPv4-mapped IPv6 addresses are refused, they would be an IPv4 address "
            f"in the IPv6 family; use {format_address(4, value & 0xFFFFFFFF)}"
        )
    return version, value


def parse_length(value: int | str, what: str = "length", maximum: int = 128) -> int:
    """A prefix length given as a JSON number or as decimal text, between 0 and ``maximum``.

    Text must be canonical decimal (ASCII digits, no sign, no leading zero); a bool is no number.

    Raises:
        InvalidInputError: naming ``what`` and the value.
    """
    if isinstance(value, str):
        number = _decimal(value, f"invalid {what}")
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise InvalidInputError(f"invalid {what} {value!r}: expected an unsigned integer")
    if not 0 <= number <= maximum:
        raise InvalidInputError(f"invalid {what} {value!r}: expected 0 to {maximum}")
    return number


def _decimal(text: str, what: str) -> int:
    """A canonical non-negative decimal integer: ASCII digits, no leading zero (``0`` itself is fine)."""
    if not (text.isascii() and text.isdigit()):
        raise InvalidInputError(f"{what} {text!r} is not a decimal number of ASCII digits")
    if len(text) > 1 and text[0] == "0":
        raise InvalidInputError(f"{what} {text!r} has a leading zero; write {text.lstrip('0') or '0'}")
    if len(text) > 3:  # no prefix length has more digits; spares int() a huge string
        raise InvalidInputError(f"{what} {text!r} is out of range")
    return int(text)


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
    # each text parsed once (cached: callers check the same prefixes again and again); comparing a pair
    # reads attributes and calls nothing
    parsed = [parse_cidr(text) for text in existing]
    for new_text in new:
        cidr = parse_cidr(new_text)
        version, first, last = cidr.version, cidr.first, cidr.last
        for index, old in enumerate(parsed):
            if version == old.version and first <= old.last and old.first <= last:
                raise ConflictError(f"{new_text} overlaps {existing[index]}")

