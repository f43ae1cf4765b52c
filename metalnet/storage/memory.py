"""In-memory backend: a sorted dict, one transaction at a time, rollback by undo log.

It is also the state engine of log-based backends (RethinkDB): a transaction's *effects* are the final value
of every key it wrote (``None`` for deleted), plain data that :meth:`MemoryState.apply` replays elsewhere.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

from sortedcontainers import SortedDict

from metalnet.storage.base import Key, KeyExistsError, Storage, Transaction, within_prefix
from metalnet.storage.rows import Value

T = TypeVar("T")
Effect = tuple[Key, Value | None]
_MISSING = object()


class MemoryState:
    """The ordered key space; not thread-safe on its own (the storage holds the lock)."""

    def __init__(self) -> None:
        self.data: SortedDict[Key, Value] = SortedDict()

    def apply(self, effects: Iterable[Effect]) -> None:
        data = self.data
        for key, value in effects:
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value


class MemoryTransaction(Transaction):
    """Writes straight into the state and remembers old values so that it can undo them."""

    def __init__(self, state: MemoryState) -> None:
        self._data = state.data
        self._undo: dict[Key, object] = {}

    def get(self, key: Key) -> Value | None:
        return self._data.get(key)

    def put(self, key: Key, value: Value) -> None:
        if key not in self._undo:
            self._undo[key] = self._data.get(key, _MISSING)
        self._data[key] = value

    def insert(self, key: Key, value: Value) -> None:
        if key in self._data:
            raise KeyExistsError(key)
        self.put(key, value)

    def delete(self, key: Key) -> None:
        if key in self._data:
            if key not in self._undo:
                self._undo[key] = self._data[key]
            del self._data[key]

    def first(self, low: Key, within: Key) -> tuple[Key, Value] | None:
        data = self._data
        index = data.bisect_left(low)
        if index == len(data):
            return None
        key = data.keys()[index]
        return (key, data[key]) if within_prefix(key, within) else None

    def last(self, high: Key, within: Key) -> tuple[Key, Value] | None:
        data = self._data
        index = data.bisect_right(high) - 1
        if index < 0:
            return None
        key = data.keys()[index]
        return (key, data[key]) if within_prefix(key, within) else None

    def scan(self, within: Key) -> list[tuple[Key, Value]]:
        data = self._data
        result = []
        for key in data.irange(minimum=within):
            if not within_prefix(key, within):
                break
            result.append((key, data[key]))
        return result

    def rollback(self) -> None:
        data = self._data
        for key, old in self._undo.items():
            if old is _MISSING:
                data.pop(key, None)
            else:
                data[key] = old  # type: ignore[assignment]
        self._undo.clear()

    def effects(self) -> list[Effect]:
        """The final value of every key this transaction wrote (``None`` where it deleted)."""
        data = self._data
        return [(key, data.get(key)) for key in self._undo]


class MemoryStorage(Storage):
    """Process-local storage for tests and library use; thread-safe, transactions run one at a time."""

    name = "memory"

    def __init__(self) -> None:
        self._state = MemoryState()
        self._lock = threading.RLock()

    def run(self, fn: Callable[[Transaction], T], *, readonly: bool = False) -> T:
        with self._lock:
            tx = MemoryTransaction(self._state)
            try:
                return fn(tx)
            except BaseException:
                tx.rollback()
                raise
