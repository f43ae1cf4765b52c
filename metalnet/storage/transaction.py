"""The transaction interface of the storage contract (:mod:`metalnet.storage.base` describes it).

Apart from the rest of the contract so that it is compiled with the IPAM core: the core calls a transaction's
methods several times per operation, and a compiled interface makes those calls direct for the compiled
memory store (backends written in Python subclass it as any class).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from mypy_extensions import mypyc_attr

from metalnet.storage import event_log
from metalnet.storage.event_log import EventRecord
from metalnet.storage.rows import Value

Key = tuple[str | int, ...]


# the SQL backends and tests subclass it in Python
@mypyc_attr(allow_interpreted_subclasses=True)
class Transaction(ABC):
    """One unit of work; see the module docstring for the contract."""

    #: True where no two transactions of the store ever run at once, so that :meth:`lock` does nothing and
    #: callers on a hot path may skip calling it
    serial: ClassVar[bool] = False

    @abstractmethod
    def get(self, key: Key) -> Value | None:
        """The value stored under ``key``, or ``None``."""

    @abstractmethod
    def put(self, key: Key, value: Value) -> None:
        """Store ``value`` under ``key``, replacing any previous value."""

    @abstractmethod
    def insert(self, key: Key, value: Value) -> None:
        """Store ``value`` under a key that must not exist yet; raises :class:`KeyExistsError` otherwise."""

    @abstractmethod
    def delete(self, key: Key) -> None:
        """Remove ``key``; a missing key is a no-op."""

    @abstractmethod
    def first(self, low: Key, within: Key) -> tuple[Key, Value] | None:
        """The entry with the smallest key ``>= low`` among the keys starting with ``within``."""

    @abstractmethod
    def last(self, high: Key, within: Key) -> tuple[Key, Value] | None:
        """The entry with the largest key ``<= high`` among the keys starting with ``within``."""

    @abstractmethod
    def scan(self, within: Key) -> list[tuple[Key, Value]]:
        """Every entry whose key starts with ``within``, in key order."""

    def put_many(self, items: Sequence[tuple[Key, Value]]) -> None:
        """:meth:`put` of every item, in order; a backend may send them in one round trip (bulk writes)."""
        for key, value in items:
            self.put(key, value)

    def insert_many(self, items: Sequence[tuple[Key, Value]]) -> None:
        """:meth:`insert` of every item; :class:`KeyExistsError` (for one existing key) if any key exists.

        After the error some items may be written: the caller lets the transaction fail, which undoes them.
        """
        for key, value in items:
            self.insert(key, value)

    def pop_first(self, within: Key) -> tuple[Key, Value] | None:
        """Remove and return the entry with the smallest key starting with ``within`` (``None``: none).

        ``first`` then ``delete``; a backend may do both in one step.
        """
        found = self.first(within, within)
        if found is not None:
            self.delete(found[0])
        return found

    def lock(self, name: str) -> None:  # noqa: B027 - a no-op is the right default for serial backends
        """Serialise this transaction against others that lock ``name`` (no-op where all are serial)."""

    def exists(self, key: Key) -> bool:
        return self.get(key) is not None

    def append_event(self, event: EventRecord) -> None:
        """Append ``event`` to the store's history in this transaction; it is numbered by the next sequence
        number and visible exactly when the transaction commits (a rollback leaves no trace of it).

        The default takes the number from a counter row at once, which is exact only where writers are
        serial or commits are ordered by a log; stores with concurrent writers override it.
        """
        event_log.append(self, event)
