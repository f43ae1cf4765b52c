"""One unit of work: the records, the IPAM session and the VRF pool of one storage transaction.

Lock names (every read-then-write decision is made under one of them, always taken in this order, so
that transactions never wait on each other in a cycle):

- ``network-layer/networks``: every network create/allocate/free/update/delete, partition and project delete
  (global rules: overlap, one private super network per partition, children, references);
- ``network-layer/project/<id>``: IP allocation in the project, project update and delete;
- ``network-layer/network/<id>``: IP allocation in the network and every change of the network;
- ``network-layer/ip/<address>``: update and free of the IP.

The IPAM core takes its own prefix locks after these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from metalnet.history.recorder import History
from metalnet.ipam.namespaces import NETWORK_NAMESPACE
from metalnet.ipam.session import IpamSession
from metalnet.network.consumption import consumption
from metalnet.network.errors import NetworkError, Reason, not_found
from metalnet.network.model import IP, Network, Partition, Project
from metalnet.network.records import R, Record, Records, index_key, kind_name
from metalnet.network.reservations import read_ranges
from metalnet.network.vrf import VrfPool
from metalnet.storage.base import Transaction

#: builds the IPAM session of a transaction for a namespace (tests inject failing sessions through it)
SessionFactory = Callable[[Transaction, str], IpamSession]
NETWORKS_LOCK = "network-layer/networks"


def network_lock(ident: str) -> str:
    return f"network-layer/network/{ident}"


def project_lock(ident: str) -> str:
    return f"network-layer/project/{ident}"


def ip_lock(address: str) -> str:
    return f"network-layer/ip/{address}"


@dataclass
class Work:
    """What an operation needs inside its transaction."""

    tx: Transaction
    records: Records
    ipam: IpamSession
    vrfs: VrfPool
    #: builds the sessions of the per-project namespaces (children of super-namespaced networks)
    sessions: SessionFactory | None = None
    #: ``available_prefixes`` as the number of free blocks (metal-stack v2) instead of smallest prefixes
    count_blocks: bool = False

    @classmethod
    def open(
        cls,
        tx: Transaction,
        sessions: SessionFactory,
        vrf_range: tuple[int, int],
        history: History | None = None,
        *,
        count_blocks: bool = False,
    ) -> Work:
        """``history``: where record changes become events (see metalnet/network/history.py); None: off."""
        return cls(tx, Records(tx, history), sessions(tx, NETWORK_NAMESPACE), VrfPool(tx, *vrf_range), sessions,
                   count_blocks)

    def ipam_in(self, namespace: str) -> IpamSession:
        """The IPAM session of a project namespace (``""``: the networks' own namespace)."""
        if not namespace:
            return self.ipam
        factory = self.sessions or IpamSession
        return factory(self.tx, f"{NETWORK_NAMESPACE}/{namespace}")

    def network(self, ident: str) -> Network:
        return self._required(Network, ident)

    def project(self, ident: str) -> Project:
        return self._required(Project, ident)

    def partition(self, ident: str) -> Partition:
        return self._required(Partition, ident)

    def ip(self, address: str) -> IP:
        return self._required(IP, address)

    def check_exists(self, kind: type[Record], ident: str, reason: Reason | None = None) -> None:
        """Not found unless the record exists; for references whose content the operation does not need (no decode).

        ``reason``: the rule that needs the record (carried with ``kind`` and ``id``, see :class:`Reason`)."""
        if not self.records.exists(kind, ident):
            if reason is None:
                raise _missing(kind, ident)
            raise not_found(f'no {kind_name(kind)} with id "{ident}" found', reason, kind=kind_name(kind), id=ident)

    def _required(self, kind: type[R], ident: str) -> R:
        record = self.records.get(kind, ident)
        if record is None:
            raise _missing(kind, ident)
        return record

    def with_consumption(self, network: Network) -> Network:
        """The network with what a read shows besides the record, both from its prefixes in the IPAM core: its
        consumption and its reserved ranges."""
        session = self.ipam_in(network.namespace)
        usage = consumption(session, network, blocks=self.count_blocks)
        return msgspec.structs.replace(network, consumption=usage, reservedranges=read_ranges(session, network))

    def link(self, network: Network) -> None:
        """Write the secondary keys of a new network."""
        put = self.tx.put
        for key in _network_index_keys(network):
            put(key, "")
        if network.partitionid and network.underlay:
            put(index_key("underlay", network.partitionid), network.id)
        if network.partitionid and network.privatesuper:
            put(index_key("super", network.partitionid), network.id)

    def unlink(self, network: Network) -> None:
        for key in _network_index_keys(network):
            self.tx.delete(key)
        for kind in ("super", "underlay"):
            if network.partitionid and self.tx.get(index_key(kind, network.partitionid)) == network.id:
                self.tx.delete(index_key(kind, network.partitionid))


def _missing(kind: type[Record], ident: str) -> NetworkError:
    return not_found(f'no {kind_name(kind)} with id "{ident}" found')


def _network_index_keys(network: Network) -> list[tuple[str | int, ...]]:
    keys = []
    if network.parentnetworkid:
        keys.append(index_key("child", network.parentnetworkid, network.id))
    if network.partitionid:
        keys.append(index_key("partition", network.partitionid, network.id))
    if network.projectid:
        keys.append(index_key("project", network.projectid, network.id))
    return keys
