"""``NetworkService``: every network-layer operation, each one storage transaction.

>>> from metalnet.storage import MemoryStorage
>>> from metalnet.network import NetworkService, NetworkCreate, PartitionCreate
>>> service = NetworkService(MemoryStorage())
>>> _ = service.create_partition(PartitionCreate(id="p1"))
>>> service.create_network(NetworkCreate(id="internet", prefixes=["185.1.2.0/24"])).consumption.ipv4.used_ips
2
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from metalnet.history import History
from metalnet.ipam.session import IpamSession
from metalnet.network import children, ips, networks, resources
from metalnet.network.model import IP, Network, Partition, Project
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
from metalnet.network.vrf import DEFAULT_RANGE
from metalnet.network.work import SessionFactory, Work
from metalnet.storage.base import Storage, Transaction

T = TypeVar("T")
Owned = TypeVar("Owned", IP, Network)
#: called with the project of the record an operation changed; raises to refuse (and roll back) the change
OwnerCheck = Callable[[str | None], None]


class NetworkService:
    """Networks, IPs, partitions and projects over one :class:`~metalnet.storage.base.Storage`.

    Args:
        storage: where records, IPAM prefixes and the VRF pool live (one transaction per operation).
        vrf_range: the inclusive range of VRF ids child networks draw from.
        sessions: builds the IPAM session of a transaction (tests inject failures through it).
        history: records every change as an event in its transaction (docs/history.md); None: no history.

    Every method raises :class:`~metalnet.network.errors.NetworkError` for a refused operation and
    leaves the store unchanged then.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        vrf_range: tuple[int, int] = DEFAULT_RANGE,
        sessions: SessionFactory = IpamSession,
        history: History | None = None,
    ) -> None:
        low, high = vrf_range
        if not 1 <= low <= high:
            raise ValueError(f"invalid vrf range {vrf_range!r}: expected 1 <= low <= high")
        self.storage = storage
        self.vrf_range = vrf_range
        self._sessions = sessions
        self.history = history

    def _run(self, operation: Callable[[Work], T], *, readonly: bool = False) -> T:
        def unit(tx: Transaction) -> T:
            return operation(Work.open(tx, self._sessions, self.vrf_range, self.history))

        return self.storage.run(unit, readonly=readonly)

    # -- networks ---------------------------------------------------------------------------------

    def create_network(self, request: NetworkCreate) -> Network:
        return self._run(lambda work: networks.create_network(work, request))

    def get_network(self, ident: str) -> Network:
        return self._run(lambda work: networks.get_network(work, ident), readonly=True)

    def list_networks(self) -> list[Network]:
        return self._run(networks.list_networks, readonly=True)

    def find_networks(self, query: NetworkFind) -> list[Network]:
        return self._run(lambda work: networks.find_networks(work, query), readonly=True)

    def update_network(
        self, request: NetworkUpdate, *, force: bool = False, owner_check: OwnerCheck | None = None
    ) -> Network:
        return self._run(lambda work: _checked(networks.update_network(work, request, force=force), owner_check))

    def delete_network(self, ident: str, *, owner_check: OwnerCheck | None = None) -> Network:
        return self._run(lambda work: _checked(networks.delete_network(work, ident), owner_check))

    def allocate_network(self, request: NetworkAllocate) -> Network:
        return self._run(lambda work: children.allocate_network(work, request))

    def free_network(self, ident: str, *, owner_check: OwnerCheck | None = None) -> Network:
        return self._run(lambda work: _checked(children.free_network(work, ident), owner_check))

    # -- IPs --------------------------------------------------------------------------------------

    def allocate_ip(self, request: IPAllocate, specific_ip: str | None = None) -> IP:
        return self._run(lambda work: ips.allocate_ip(work, request, specific_ip))

    def get_ip(self, address: str) -> IP:
        return self._run(lambda work: ips.get_ip(work, address), readonly=True)

    def list_ips(self) -> list[IP]:
        return self._run(ips.list_ips, readonly=True)

    def find_ips(self, query: IPFind) -> list[IP]:
        return self._run(lambda work: ips.find_ips(work, query), readonly=True)

    def update_ip(self, request: IPUpdate, *, owner_check: OwnerCheck | None = None) -> IP:
        return self._run(lambda work: _checked(ips.update_ip(work, request), owner_check))

    def free_ip(self, address: str, *, owner_check: OwnerCheck | None = None) -> IP:
        return self._run(lambda work: _checked(ips.free_ip(work, address), owner_check))

    # -- partitions and projects ------------------------------------------------------------------

    def create_partition(self, request: PartitionCreate) -> Partition:
        return self._run(lambda work: resources.create_partition(work, request))

    def get_partition(self, ident: str) -> Partition:
        return self._run(lambda work: work.partition(ident), readonly=True)

    def list_partitions(self) -> list[Partition]:
        return self._run(lambda work: work.records.all(Partition), readonly=True)

    def update_partition(self, request: PartitionUpdate) -> Partition:
        return self._run(lambda work: resources.update_partition(work, request))

    def delete_partition(self, ident: str) -> Partition:
        return self._run(lambda work: resources.delete_partition(work, ident))

    def create_project(self, request: ProjectCreate) -> Project:
        return self._run(lambda work: resources.create_project(work, request))

    def get_project(self, ident: str) -> Project:
        return self._run(lambda work: work.project(ident), readonly=True)

    def list_projects(self) -> list[Project]:
        return self._run(lambda work: work.records.all(Project), readonly=True)

    def find_projects(self, query: ProjectFind) -> list[Project]:
        return self._run(lambda work: resources.find_projects(work, query), readonly=True)

    def update_project(self, request: ProjectUpdate) -> Project:
        return self._run(lambda work: resources.update_project(work, request))

    def delete_project(self, ident: str) -> Project:
        return self._run(lambda work: resources.delete_project(work, ident))


def _checked(result: Owned, owner_check: OwnerCheck | None) -> Owned:
    """Let the caller refuse the result's project *inside* the transaction: raising rolls the change back.

    Checking after the change, on the record it changed, closes the window a check in an earlier
    transaction would leave (the address freed and handed to another project in between).
    """
    if owner_check is not None:
        owner_check(result.projectid)
    return result
