"""Address families and canonical CIDR text for the network layer (parsing is the IPAM core's)."""

from __future__ import annotations

from metalnet.ipam.addresses import Cidr, format_address, parse_address, parse_cidr
from metalnet.ipam.errors import InvalidInputError
from metalnet.network.model import Family

IPV4: Family = "IPv4"
IPV6: Family = "IPv6"
FAMILIES: tuple[Family, Family] = (IPV4, IPV6)


def parse_family(text: str) -> Family | None:
    """``"IPv4"``/``"IPv6"`` for any spelling of them (metal-api compares case-insensitively), else ``None``."""
    lowered = text.lower()
    return IPV4 if lowered == "ipv4" else IPV6 if lowered == "ipv6" else None


def family_of(version: int) -> Family:
    return IPV4 if version == 4 else IPV6


def cidr_family(cidr: str) -> Family:
    """The family of a canonical CIDR or address (IPv6 text always holds a colon)."""
    return IPV6 if ":" in cidr else IPV4


def canonical_cidr(text: str) -> str:
    """The canonical form (host bits masked, RFC 5952) of ``text``; :class:`InvalidInputError` if unparsable."""
    return str(parse_cidr(text))


def canonical_address(text: str) -> str:
    version, value = parse_address(text)
    return format_address(version, value)


def address_value(text: str) -> tuple[int, int]:
    """(version, integer) of a canonical address, for ordering and index keys."""
    return parse_address(text)


def contains(cidr: str, address: str) -> bool:
    version, value = parse_address(address)
    return parse_cidr(cidr).contains(version, value)


def prefix_length(cidr: str) -> int:
    return parse_cidr(cidr).length


def families(cidrs: list[str]) -> list[Family]:
    """The families present in ``cidrs``, IPv4 first."""
    present = {cidr_family(cidr) for cidr in cidrs}
    return [family for family in FAMILIES if family in present]


__all__ = [
    "FAMILIES",
    "IPV4",
    "IPV6",
    "Cidr",
    "InvalidInputError",
    "address_value",
    "canonical_address",
    "canonical_cidr",
    "cidr_family",
    "contains",
    "families",
    "family_of",
    "parse_family",
    "prefix_length",
]
