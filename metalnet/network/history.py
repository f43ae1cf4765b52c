"""The events of network-layer records: every insert, put and delete of a network, IP, partition or project
through :class:`~metalnet.network.records.Records` is one event, recorded in the same transaction.

Actions follow the operation the record change stands for: an IP is allocated, updated and freed; a child
network (one with a parent) is allocated and freed; everything else is created, updated and deleted.
"""

from __future__ import annotations

import msgspec

from metalnet.history.recorder import History
from metalnet.network.model import IP, Network, Partition, Project
from metalnet.storage.base import Transaction

Record = Network | IP | Partition | Project
_TYPES: dict[str, type[Record]] = {"network": Network, "ip": IP, "partition": Partition, "project": Project}
#: (kind, change) -> action, where it is not the change's own name
_ACTIONS = {("ip", "insert"): "allocate", ("ip", "delete"): "free"}
_CHANGES = {"insert": "create", "put": "update", "delete": "delete"}
_CHILD_ACTIONS = {"insert": "allocate", "delete": "free"}


def record_change(history: History, tx: Transaction, kind: str, ident: str, change: str,
                  before: str | None, after: str | None, record: Record | None = None) -> None:
    """Record one change (``insert``, ``put`` or ``delete``) of a record, given its stored JSON states (and the
    record itself where the caller has it, saving a decode)."""
    if record is None:
        record = msgspec.json.decode(after if after is not None else before or "{}", type=_TYPES[kind])
    project = record.id if isinstance(record, Project) else getattr(record, "projectid", None) or None
    action = _ACTIONS.get((kind, change))
    if action is None:
        child = isinstance(record, Network) and bool(record.parentnetworkid)
        action = _CHILD_ACTIONS.get(change) if child else None
    history.record(tx, kind, ident, action or _CHANGES[change], project=project, before=before, after=after)


def record_inserts(history: History, tx: Transaction, kind: str, changes: list[tuple[str, str, Record]]) -> None:
    """:func:`record_change` of many inserts of records of one kind, ``(ident, stored JSON, record)`` each."""
    if not changes:
        return
    action = _ACTIONS.get((kind, "insert"))
    if action is None:  # the action depends on each record: one at a time
        for ident, after, record in changes:
            record_change(history, tx, kind, ident, "insert", None, after, record)
        return
    history.record_many(tx, kind, action, [
        (ident, (record.id if isinstance(record, Project) else getattr(record, "projectid", None)) or None, None, after)
        for ident, after, record in changes
    ])
