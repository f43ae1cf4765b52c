"""The IPAM core: go-ipam's feature set for IPv4 and IPv6, over any :mod:`metalnet.storage` backend.

>>> from metalnet.ipam import Ipamer
>>> ipam = Ipamer()
>>> prefix = ipam.new_prefix("192.168.0.0/24")
>>> str(ipam.acquire_ip(prefix.cidr))
'192.168.0.1'
"""

from metalnet.ipam.addresses import prefixes_overlapping
from metalnet.ipam.errors import (
    AlreadyAllocatedError,
    ConflictError,
    ExhaustedError,
    InvalidInputError,
    IpamError,
    NoIPAvailableError,
    NoPrefixAvailableError,
    NotFoundError,
    ReservedAddressError,
)
from metalnet.ipam.ipamer import Ipamer
from metalnet.ipam.model import IP, Prefix, ReservedRange, Usage
from metalnet.ipam.session import IpamSession

__all__ = [
    "IP",
    "AlreadyAllocatedError",
    "ConflictError",
    "ExhaustedError",
    "InvalidInputError",
    "IpamError",
    "IpamSession",
    "Ipamer",
    "NoIPAvailableError",
    "NoPrefixAvailableError",
    "NotFoundError",
    "Prefix",
    "ReservedAddressError",
    "ReservedRange",
    "Usage",
    "prefixes_overlapping",
]
