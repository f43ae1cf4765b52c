"""How network-layer records live in the storage key space.

- ("network", id) → Network as msgspec JSON (without consumption and reserved ranges: both are the IPAM core's)
- ("ip", address) → IP as msgspec JSON; the key makes an address unique across the whole store, except in the
  per-project namespaces of super-namespaced networks: there the key is ``<namespace>-<address>``
- ("partition", id) → Partition JSON, ("project", id) → Project JSON
- ("vrf", n) → how many networks use VRF id n (more than one only through ``vrfshared``)
- secondary keys, so that no rule needs a scan (first item "netidx/<kind>"):
  ("netidx/super", partition) → id of the partition's private super network
  ("netidx/underlay", partition) → id of the partition's underlay network
  ("netidx/child", parent, child) → ""                 children of a network
  ("netidx/partition", partition, network) → ""       networks of a partition
  ("netidx/project", project, network) → ""           networks of a project
  ("netidx/ipprefix", cidr, address as int) → IP key  IPs allocated in a network prefix (a namespaced
                                                      prefix is written ``<namespace>-<cidr>``)
  ("netidx/ipproject", project, IP key) → ""          IPs of a project
  ("netidx/vrfused",) → number of distinct VRF ids in use
  ("netidx/nscopy", network, project) → ""           project namespaces holding a copy of a super-namespaced
                                                      network's prefixes

All keys with the same first item have the same length, and every ordered look-up asks within all items
but the last: the memory backend answers exactly those from one sorted bucket (its fast path).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

import msgspec

from metalnet.network.history import record_change, record_inserts
from metalnet.network.model import IP, Consumption, Network, Partition, Project
from metalnet.storage.base import Key, Transaction

if TYPE_CHECKING:
    from metalnet.history.recorder import History

R = TypeVar("R", Network, IP, Partition, Project)

Record = Network | IP | Partition | Project

_encoder = msgspec.json.Encoder()
_KIND: dict[type[Record], str] = {Network: "network", IP: "ip", Partition: "partition", Project: "project"}
_EMPTY = Consumption()


def kind_name(kind: type[Record]) -> str:
    """``network``, ``ip``, ``partition`` or ``project``: the record's first key item and its name in messages."""
    return _KIND[kind]


def record_key(kind: type[Record], ident: str) -> Key:
    return (_KIND[kind], ident)


def index_key(kind: str, *items: str | int) -> Key:
    return (f"netidx/{kind}", *items)


def ip_key(namespace: str, address: str) -> str:
    """The record id of an IP: its address, prefixed by its namespace when it has one."""
    return f"{namespace}-{address}" if namespace else address


def prefix_space(namespace: str, cidr: str) -> str:
    """How the IP index names a network prefix (the same cidr exists once per namespace)."""
    return f"{namespace}-{cidr}" if namespace else cidr


def ip_prefix_key(cidr: str, address: int) -> Key:
    # the family is the cidr's, so the integer alone orders the addresses of one prefix
    return index_key("ipprefix", cidr, address)


def encode(record: Record) -> str:
    """The stored JSON of ``record``."""
    if isinstance(record, Network):
        record = msgspec.structs.replace(record, consumption=_EMPTY, reservedranges=[])
    return _encoder.encode(record).decode()


def history_state(record: Record, stored: str) -> str:
    """The state an event shows of ``record`` (whose stored JSON is ``stored``): the stored JSON, except that a
    network shows the reserved ranges it was read or written with (they live in the IPAM core, not the record)."""
    if isinstance(record, Network) and record.reservedranges:
        return _encoder.encode(msgspec.structs.replace(record, consumption=_EMPTY)).decode()
    return stored


class Records:
    """Typed reads and writes of records and their secondary keys inside one transaction."""

    def __init__(self, tx: Transaction, history: History | None = None) -> None:
        self.tx = tx
        #: records every insert, put and delete as an event of the history (None: the history is off)
        self.history = history
        #: with a history: the stored JSON of records read, the "before" of their events (saves a read)
        self._read: dict[Key, str] = {}

    def get(self, kind: type[R], ident: str) -> R | None:
        key = record_key(kind, ident)
        value = self.tx.get(key)
        if value is None:
            return None
        assert isinstance(value, str)
        if self.history is not None:
            self._read[key] = value
        return msgspec.json.decode(value, type=kind)

    def exists(self, kind: type[Record], ident: str) -> bool:
        return self.tx.get(record_key(kind, ident)) is not None

    def all(self, kind: type[R]) -> list[R]:
        result: list[R] = []
        for _, value in self.tx.scan((_KIND[kind],)):
            assert isinstance(value, str)
            result.append(msgspec.json.decode(value, type=kind))
        return result

    def insert(self, record: Record) -> None:
        """Store a new record; :class:`~metalnet.storage.base.KeyExistsError` if its id is taken."""
        key, stored = record_key(type(record), _ident(record)), encode(record)
        self.tx.insert(key, stored)
        if self.history is not None:
            self._changed(key, "insert", None, history_state(record, stored), record)

    def insert_many(self, records: Sequence[Record]) -> None:
        """Store new records with one storage call (:meth:`insert` for each, as far as the history sees)."""
        entries = [(record_key(type(record), _ident(record)), encode(record)) for record in records]
        self.tx.insert_many(entries)
        if self.history is not None and entries:
            for key, _ in entries:
                self._read.pop(key, None)
            # the same events as one insert each (records of one kind: the bulk operations'), encoded in one go
            kinds = {type(record) for record in records}
            if len(kinds) == 1 and Network not in kinds:
                record_inserts(self.history, self.tx, str(entries[0][0][0]), [
                    (str(key[1]), stored, record) for (key, stored), record in zip(entries, records, strict=True)])
                return
            for (key, stored), record in zip(entries, records, strict=True):
                self._changed(key, "insert", None, stored, record)

    def put(self, record: Record, previous: Record | None = None) -> None:
        """Store ``record``; ``previous``: the record as the operation read it, so that the event's "before"
        shows what the stored JSON does not hold (a network's reserved ranges)."""
        key, stored = record_key(type(record), _ident(record)), encode(record)
        before = self._before(key, previous) if self.history is not None else None
        self.tx.put(key, stored)
        if self.history is not None:
            self._changed(key, "put" if before is not None else "insert", before, history_state(record, stored),
                          record)

    def delete(self, kind: type[R], ident: str, previous: Record | None = None) -> None:
        """Delete the record; ``previous`` as in :meth:`put`."""
        key = record_key(kind, ident)
        before = self._before(key, previous) if self.history is not None else None
        self.tx.delete(key)
        if before is not None:
            self._changed(key, "delete", before, None)

    def _before(self, key: Key, previous: Record | None = None) -> str | None:
        if key in self._read:
            value: object = self._read[key]
        else:
            value = self.tx.get(key)
        if not isinstance(value, str):
            return None
        return history_state(previous, value) if previous is not None else value

    def _changed(self, key: Key, change: str, before: str | None, after: str | None,
                 record: Record | None = None) -> None:
        assert self.history is not None
        self._read.pop(key, None)
        record_change(self.history, self.tx, str(key[0]), str(key[1]), change, before, after, record)

    def first_under(self, kind: str, *items: str | int) -> tuple[Key, str] | None:
        """The first secondary key of ``kind`` starting with ``items``, and its value."""
        space = index_key(kind, *items)
        found = self.tx.first(space, space)
        if found is None:
            return None
        assert isinstance(found[1], str)
        return found[0], found[1]

    def keys_under(self, kind: str, *items: str | int) -> list[Key]:
        return [key for key, _ in self.tx.scan(index_key(kind, *items))]


def _ident(record: Record) -> str:
    return ip_key(record.namespace, record.ipaddress) if isinstance(record, IP) else record.id
