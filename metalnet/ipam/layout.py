"""Where the IPAM core keeps its state in the key space (first key items "N", "P", "T", "R", "B", "V", "H").

- ("N", namespace) → NamespaceRow                                   namespaces other than root
- ("P", ns, version, pid) → PrefixRow                    every prefix, children included
- ("T", ns, version, first) → length                     top-level prefixes, for overlap checks
- ("R", ns, version, pid, range_last) → range_first      free address ranges of a prefix but its lowest
- ("B", ns, version, pid, block_length, block_start) → 1 free child blocks of a prefix below its free tail
- ("V", ns, version, pid, range_last) → ReservationRow     reserved address ranges of a prefix
- ("H", ns, version, pid, range_last) → range_first      the parts of them that are not acquired ("held")

``pid`` = ``first << 8 | length`` names a prefix in one integer (ordered by address, then length). Every
ordered look-up asks within one bucket (a key without its last item), as the storage contract prefers.
"""

from __future__ import annotations

from functools import lru_cache

from metalnet.ipam.addresses import Cidr
from metalnet.storage.base import Key


def namespace_key(name: str) -> Key:
    return ("N", name)


def namespace_space() -> Key:
    return ("N",)


def pid(prefix: Cidr) -> int:
    return prefix.first << 8 | prefix.length


def prefix_key(ns: str, prefix: Cidr) -> Key:
    return ("P", ns, prefix.version, prefix.first << 8 | prefix.length)


def prefix_spaces(ns: str) -> tuple[Key, Key]:
    """The buckets holding a namespace's prefixes, IPv4 then IPv6."""
    return ("P", ns, 4), ("P", ns, 6)


def top_key(ns: str, prefix: Cidr) -> Key:
    return ("T", ns, prefix.version, prefix.first)


def top_space(ns: str, version: int) -> Key:
    return ("T", ns, version)


def range_space(ns: str, prefix: Cidr) -> Key:
    return ("R", ns, prefix.version, prefix.first << 8 | prefix.length)


def range_key(ns: str, prefix: Cidr, last: int) -> Key:
    return ("R", ns, prefix.version, prefix.first << 8 | prefix.length, last)


def block_space(ns: str, prefix: Cidr, block_length: int) -> Key:
    return ("B", ns, prefix.version, prefix.first << 8 | prefix.length, block_length)


def block_key(ns: str, prefix: Cidr, block_length: int, start: int) -> Key:
    return ("B", ns, prefix.version, prefix.first << 8 | prefix.length, block_length, start)


def reservation_space(ns: str, prefix: Cidr) -> Key:
    return ("V", ns, prefix.version, prefix.first << 8 | prefix.length)


def held_space(ns: str, prefix: Cidr) -> Key:
    return ("H", ns, prefix.version, prefix.first << 8 | prefix.length)


def namespace_lock(ns: str) -> str:
    return f"ipam-ns/{ns}"


@lru_cache(maxsize=4096)
def prefix_lock(ns: str, prefix: Cidr) -> str:
    return f"ipam-prefix/{ns}/{prefix.version}/{prefix.first << 8 | prefix.length}"
