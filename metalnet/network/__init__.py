"""Network resources on top of the IPAM core: networks, IPs, partitions, projects, the VRF pool.

The layer metal-stack's metal-api puts on go-ipam, as a library: :class:`NetworkService` runs each
operation (records, IPAM prefixes and VRF ids together) in one storage transaction and raises
:class:`NetworkError` (with a ``kind``; each protocol maps kinds to its own statuses) when it refuses one.
"""

from metalnet.network.errors import ErrorKind, NetworkError, Reason
from metalnet.network.meta import Freshness, LabelChange
from metalnet.network.model import IP, BootConfiguration, Consumption, Network, Partition, Project, ReservedRange, Usage
from metalnet.network.requests import (
    IPAllocate,
    IPFind,
    IPUpdate,
    NetworkAllocate,
    NetworkCreate,
    NetworkFind,
    NetworkUpdate,
    PartitionCreate,
    PartitionUpdate,
    ProjectCreate,
    ProjectFind,
    ProjectUpdate,
)
from metalnet.network.service import IPRequest, NetworkService, allocation_key
from metalnet.network.typed import TypedNetworkCreate

__all__ = [
    "IP",
    "BootConfiguration",
    "Consumption",
    "ErrorKind",
    "Freshness",
    "IPAllocate",
    "IPFind",
    "IPRequest",
    "IPUpdate",
    "LabelChange",
    "Network",
    "NetworkAllocate",
    "NetworkCreate",
    "NetworkError",
    "NetworkFind",
    "NetworkService",
    "NetworkUpdate",
    "Partition",
    "PartitionCreate",
    "PartitionUpdate",
    "Project",
    "ProjectCreate",
    "ProjectFind",
    "ProjectUpdate",
    "Reason",
    "ReservedRange",
    "TypedNetworkCreate",
    "Usage",
    "allocation_key",
]
