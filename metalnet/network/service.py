"""``NetworkService``: every network-layer operation, each one storage transaction.

>>> from metalnet.storage import MemoryStorage
>>> from metalnet.network import NetworkService, NetworkCreate, PartitionCreate
>>> service = NetworkService(MemoryStorage())
>>> _ = service.create_partition(PartitionCreate(id="p1"))
>>> service.create_network(NetworkCreate(id="internet", prefixes=["185.1.2.0/24"])).consumption.ipv4.used_ips
2
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import NamedTuple, TypeVar

from metalnet.history.recorder import History
from metalnet.ipam.errors import IpamError
from metalnet.ipam.session import IpamSession
from metalnet.network import bulk, children, ips, networks, resources, typed
from metalnet.network.access import check_owner, visible
from metalnet.network.errors import NetworkError, from_core
from metalnet.network.model import IP, Family, Network, Partition, Project, Usage
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
from metalnet.network.typed import TypedNetworkCreate
from metalnet.network.vrf import DEFAULT_RANGE
from metalnet.network.work import SessionFactory, Work
from metalnet.storage import deadlines
from metalnet.storage.base import Storage, StorageBusyError, StorageUnavailableError, Transaction

T = TypeVar("T")
Owned = TypeVar("Owned", IP, Network)


class IPRequest(NamedTuple):
    """One IP allocation of a batch."""

    request: IPAllocate
    #: the specific address asked for (``None``: the next free one)
    specific: str | None = None
    #: the project a bound caller acts for (see :mod:`metalnet.network.access`)
    acting_for: str | None = None


#: errors that say the store cannot serve now: re-running a batch's members one by one would only wait again
OUTAGES = (StorageUnavailableError, StorageBusyError)


def allocation_key(request: IPRequest) -> Hashable:
    """Allocations with equal keys take the same locks in the same order, so they may share a transaction.

    Allocations with different keys never do (two such transactions could wait on each other in a cycle);
    callers that batch by this key get one transaction per batch from :meth:`NetworkService.allocate_ips`.
    """
    return (request.request.networkid, request.request.projectid)


class NetworkService:
    """Networks, IPs, partitions and projects over one :class:`~metalnet.storage.base.Storage`.

    Args:
        storage: where records, IPAM prefixes and the VRF pool live (one transaction per operation).
        vrf_range: the inclusive range of VRF ids child networks draw from.
        sessions: builds the IPAM session of a transaction (tests inject failures through it).
        count_blocks: report ``available_prefixes`` as free blocks (metal-stack v2) instead of smallest
            prefixes (v1).
        history: records every change as an event in its transaction (docs/history.md); None: no history.

    Every method raises :class:`~metalnet.network.errors.NetworkError` for a refused operation and
    leaves the store unchanged then. Every method that changes a project's resources takes ``acting_for``:
    the project a caller bound to one acts for (``None``: any project); a resource of another project is
    refused as FORBIDDEN inside the operation's transaction, before any other rule (:mod:`.access`).
    """

    def __init__(
        self,
        storage: Storage,
        *,
        vrf_range: tuple[int, int] = DEFAULT_RANGE,
        sessions: SessionFactory = IpamSession,
        count_blocks: bool = False,
        history: History | None = None,
    ) -> None:
        low, high = vrf_range
        if not 1 <= low <= high:
            raise ValueError(f"invalid vrf range {vrf_range!r}: expected 1 <= low <= high")
        self.storage = storage
        self.vrf_range = vrf_range
        self._sessions = sessions
        self.count_blocks = count_blocks
        self.history = history

    def _work(self, tx: Transaction) -> Work:
        return Work.open(tx, self._sessions, self.vrf_range, self.history, count_blocks=self.count_blocks)

    def _run(self, operation: Callable[[Work], T], *, readonly: bool = False, deadline: float | None = None) -> T:
        """One transaction, committed by ``deadline`` (else the carried one, :mod:`metalnet.storage.deadlines`)."""

        def unit(tx: Transaction) -> T:
            return operation(self._work(tx))

        try:
            return self.storage.run(unit, readonly=readonly, deadline=deadlines.resolve(deadline))
        except IpamError as exc:  # one an operation let through: still a refusal of this layer, with its kind
            raise from_core(exc) from exc

    # -- networks ---------------------------------------------------------------------------------

    def create_network(
        self, request: NetworkCreate, *, acting_for: str | None = None, deadline: float | None = None
    ) -> Network:
        return self._run(lambda work: networks.create_network(work, request, acting_for), deadline=deadline)

    def get_network(self, ident: str, *, acting_for: str | None = None, deadline: float | None = None) -> Network:
        return self._run(
            lambda work: _owned(networks.get_network(work, ident), acting_for), readonly=True, deadline=deadline)

    def list_networks(self, *, acting_for: str | None = None, deadline: float | None = None) -> list[Network]:
        return _visible(self._run(networks.list_networks, readonly=True, deadline=deadline), acting_for)

    def find_networks(
        self, query: NetworkFind, *, acting_for: str | None = None, deadline: float | None = None
    ) -> list[Network]:
        return _visible(self._run(
            lambda work: networks.find_networks(work, query), readonly=True, deadline=deadline), acting_for)

    def pool_usage(self, *, deadline: float | None = None) -> dict[Family, Usage]:
        """Usage per family summed over the private super networks (the pools child networks come from)."""
        return self._run(networks.pool_usage, readonly=True, deadline=deadline)

    def update_network(
        self, request: NetworkUpdate, *, force: bool = False, acting_for: str | None = None,
        deadline: float | None = None,
    ) -> Network:
        return self._run(
            lambda work: networks.update_network(work, request, force=force, acting_for=acting_for), deadline=deadline)

    def delete_network(self, ident: str, *, acting_for: str | None = None, deadline: float | None = None) -> Network:
        return self._run(lambda work: networks.delete_network(work, ident, acting_for), deadline=deadline)

    def create_typed_network(
        self, request: TypedNetworkCreate, *, acting_for: str | None = None, deadline: float | None = None
    ) -> Network:
        """A network of ``request.type`` (metal-stack v2's create; children come from their parent)."""
        return self._run(lambda work: typed.create_typed_network(work, request, acting_for), deadline=deadline)

    def allocate_network(
        self, request: NetworkAllocate, *, acting_for: str | None = None, deadline: float | None = None
    ) -> Network:
        return self._run(lambda work: children.allocate_network(work, request, acting_for), deadline=deadline)

    def allocate_networks(
        self, request: NetworkAllocate, count: int, *, acting_for: str | None = None, deadline: float | None = None
    ) -> list[Network]:
        """``count`` child networks in one transaction, all or nothing (:mod:`.bulk`)."""
        return self._run(lambda work: bulk.allocate_networks(work, request, count, acting_for), deadline=deadline)

    def free_network(self, ident: str, *, acting_for: str | None = None, deadline: float | None = None) -> Network:
        return self._run(lambda work: children.free_network(work, ident, acting_for), deadline=deadline)

    # -- IPs --------------------------------------------------------------------------------------

    def allocate_ip(
        self, request: IPAllocate, specific_ip: str | None = None, *, acting_for: str | None = None,
        deadline: float | None = None,
    ) -> IP:
        return self._run(lambda work: ips.allocate_ip(work, request, specific_ip, acting_for), deadline=deadline)

    def allocate_ip_bulk(
        self, request: IPAllocate, count: int, *, acting_for: str | None = None, deadline: float | None = None
    ) -> list[IP]:
        """The ``count`` lowest free addresses of the network in one transaction, all or nothing (:mod:`.bulk`)."""
        return self._run(lambda work: bulk.allocate_ips(work, request, count, acting_for), deadline=deadline)

    def allocate_ips(self, requests: Sequence[IPRequest], *, deadline: float | None = None) -> list[IP | NetworkError]:
        """Allocate many IPs: one transaction per :func:`allocation_key`, one result or refusal per request, in order.

        When a transaction of several requests fails, it is rolled back whole and each of its requests runs
        again alone, so a refused request never takes the others down and nothing is ever half written. An
        outage of the store (:data:`OUTAGES`) is raised at once for the whole call instead: re-running each
        request would only wait for the store again, request after request. Every transaction commits by
        ``deadline`` (else the carried one) or not at all.
        """
        deadline = deadlines.resolve(deadline)
        groups: dict[Hashable, list[int]] = {}
        for index, request in enumerate(requests):
            groups.setdefault(allocation_key(request), []).append(index)
        by_index: dict[int, IP | NetworkError] = {}
        for indexes in groups.values():
            outcomes = self._allocate_together([requests[i] for i in indexes], deadline)
            by_index.update(zip(indexes, outcomes, strict=True))
        return [by_index[i] for i in range(len(requests))]

    def _allocate_together(self, requests: list[IPRequest], deadline: float | None) -> list[IP | NetworkError]:
        if len(requests) > 1:
            try:
                # one core call for the next-free addresses of the batch (bulk.allocate_next_ips)
                return list(self.storage.run(lambda tx: bulk.allocate_next_ips(self._work(tx), requests),
                                             deadline=deadline))
            except OUTAGES:
                raise
            except Exception:  # noqa: S110 - one of them failed and the transaction rolled back: each runs alone
                pass
        results: list[IP | NetworkError] = []
        for request, specific, acting_for in requests:
            try:
                results.append(self.allocate_ip(request, specific, acting_for=acting_for, deadline=deadline))
            except NetworkError as exc:  # a refusal of this request alone; anything else fails the whole call
                results.append(exc)
        return results

    def get_ip(
        self, address: str, namespace: str | None = "", *, acting_for: str | None = None,
        deadline: float | None = None,
    ) -> IP:
        """The IP at ``address``; with ``namespace``, the one in that project namespace (plain ones otherwise).

        ``namespace`` None: the plain IP, else the one of whichever project namespace holds the address;
        CONFLICT (:attr:`~metalnet.network.errors.Reason.AMBIGUOUS_IP`) when several do.
        """
        return self._run(lambda work: _owned(ips.get_ip(work, address, namespace, acting_for), acting_for),
                         readonly=True, deadline=deadline)

    def list_ips(self, *, acting_for: str | None = None, deadline: float | None = None) -> list[IP]:
        return _visible(self._run(ips.list_ips, readonly=True, deadline=deadline), acting_for)

    def find_ips(self, query: IPFind, *, acting_for: str | None = None, deadline: float | None = None) -> list[IP]:
        return _visible(self._run(lambda work: ips.find_ips(work, query), readonly=True, deadline=deadline), acting_for)

    def update_ip(self, request: IPUpdate, *, acting_for: str | None = None, deadline: float | None = None) -> IP:
        return self._run(lambda work: ips.update_ip(work, request, acting_for), deadline=deadline)

    def free_ip(
        self, address: str, *, namespace: str | None = "", acting_for: str | None = None,
        deadline: float | None = None,
    ) -> IP:
        """Free ``address``; ``namespace``: look in that project namespace first (a namespaced child's IP);
        None: in whichever namespace holds it, as :meth:`get_ip`."""
        return self._run(lambda work: ips.free_ip(work, address, acting_for, namespace), deadline=deadline)

    # -- partitions and projects ------------------------------------------------------------------

    def create_partition(self, request: PartitionCreate, *, deadline: float | None = None) -> Partition:
        return self._run(lambda work: resources.create_partition(work, request), deadline=deadline)

    def get_partition(self, ident: str, *, deadline: float | None = None) -> Partition:
        return self._run(lambda work: work.partition(ident), readonly=True, deadline=deadline)

    def list_partitions(self, *, deadline: float | None = None) -> list[Partition]:
        return self._run(lambda work: work.records.all(Partition), readonly=True, deadline=deadline)

    def update_partition(self, request: PartitionUpdate, *, deadline: float | None = None) -> Partition:
        return self._run(lambda work: resources.update_partition(work, request), deadline=deadline)

    def delete_partition(self, ident: str, *, deadline: float | None = None) -> Partition:
        return self._run(lambda work: resources.delete_partition(work, ident), deadline=deadline)

    def create_project(self, request: ProjectCreate, *, deadline: float | None = None) -> Project:
        return self._run(lambda work: resources.create_project(work, request), deadline=deadline)

    def get_project(self, ident: str, *, deadline: float | None = None) -> Project:
        return self._run(lambda work: work.project(ident), readonly=True, deadline=deadline)

    def list_projects(self, *, deadline: float | None = None) -> list[Project]:
        return self._run(lambda work: work.records.all(Project), readonly=True, deadline=deadline)

    def find_projects(self, query: ProjectFind, *, deadline: float | None = None) -> list[Project]:
        return self._run(lambda work: resources.find_projects(work, query), readonly=True, deadline=deadline)

    def update_project(self, request: ProjectUpdate, *, deadline: float | None = None) -> Project:
        return self._run(lambda work: resources.update_project(work, request), deadline=deadline)

    def delete_project(self, ident: str, *, deadline: float | None = None) -> Project:
        return self._run(lambda work: resources.delete_project(work, ident), deadline=deadline)


def _owned(record: Owned, acting_for: str | None) -> Owned:
    check_owner(acting_for, record.projectid, record)
    return record


def _visible(records: list[Owned], acting_for: str | None) -> list[Owned]:
    return records if acting_for is None else [r for r in records if visible(acting_for, r.projectid)]
