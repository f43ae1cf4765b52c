"""In-memory backend: one transaction at a time, rollback by undo log.

Keys are kept in *buckets*: a bucket is a key without its last item, holding the sorted last items of its
keys. Ordered look-ups within one bucket (``first``/``last``/``scan`` whose ``within`` is a bucket, which is
how the IPAM core asks) bisect a small list of plain ints or strs, so their cost depends on the size of that
bucket only, not on everything else stored. Other ``within`` values are answered correctly by a slower path.

It is also the state engine of log-based backends (RethinkDB): a transaction's *effects* are the final value
of every key it wrote (``None`` for deleted), plain data that :meth:`MemoryState.apply` replays elsewhere.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from mypy_extensions import mypyc_attr

from metalnet.storage.base import (
    DeadlineExceededError,
    Key,
    KeyExistsError,
    Storage,
    StorageError,
    Transaction,
    refuse_write,
    seconds_left,
    within_prefix,
)
from metalnet.storage.event_log import EventRecord
from metalnet.storage.rows import Value
from metalnet.storage.sorted_bucket import SortedBucket

T = TypeVar("T")
Effect = tuple[Key, Value | None]
_MISSING = object()
#: buckets start as sorted tuples (cheap to create, and tuples of ints and strs are not tracked by the
#: garbage collector, whose full passes would otherwise grow with the number of buckets); past this size
#: they become SortedBuckets
_SMALL_BUCKET = 64
Bucket = tuple[Any, ...] | SortedBucket


class MemoryState:
    """The key space: values by key, and sorted buckets for ordered look-ups. Not thread-safe by itself."""

    def __init__(self) -> None:
        self.values: dict[Key, Value] = {}
        self.buckets: dict[Key, Bucket] = {}
        # key length per first item; while a first item has one length, a ``within`` one item shorter than
        # its keys is exactly one bucket (the fast path). First items seen with several lengths are "mixed".
        self._lengths: dict[str | int, int] = {}
        self._mixed: set[str | int] = set()

    def __len__(self) -> int:
        return len(self.values)

    def set(self, key: Key, value: Value) -> None:
        if key in self.values:
            self.values[key] = value
        else:
            self.add(key, value)

    def add(self, key: Key, value: Value) -> None:
        """Store ``value`` under ``key``, which must be absent (saves ``set``'s look-up)."""
        name, item = key[:-1], key[-1]
        bucket = self.buckets.get(name)
        if bucket is None:
            self.buckets[name] = (item,)
            if self._lengths.setdefault(key[0], len(key)) != len(key):
                self._mixed.add(key[0])
        elif isinstance(bucket, tuple):
            at = bisect_left(bucket, item)
            grown = (*bucket[:at], item, *bucket[at:])
            self.buckets[name] = grown if len(grown) <= _SMALL_BUCKET else SortedBucket(grown)
        else:
            bucket.add(item)
        self.values[key] = value

    def remove(self, key: Key) -> None:
        if self.values.pop(key, _MISSING) is not _MISSING:
            name, item = key[:-1], key[-1]
            bucket = self.buckets[name]
            if not isinstance(bucket, tuple):
                bucket.remove(item)
                if not bucket:
                    del self.buckets[name]
            elif len(bucket) == 1:
                del self.buckets[name]
            else:
                at = bisect_left(bucket, item)
                self.buckets[name] = bucket[:at] + bucket[at + 1 :]

    def apply(self, effects: Iterable[Effect]) -> None:
        for key, value in effects:
            if value is None:
                self.remove(key)
            else:
                self.set(key, value)

    def _is_bucket_level(self, within: Key) -> bool:
        if not within or within[0] in self._mixed:
            return False
        length = self._lengths.get(within[0])
        return length is None or length == len(within) + 1

    def items_within(self, within: Key) -> list[tuple[Key, Value]]:
        """Every entry whose key starts with ``within``, in key order."""
        values = self.values
        if self._is_bucket_level(within):
            bucket = self.buckets.get(within, ())
            return [((*within, last), values[(*within, last)]) for last in bucket]
        # several buckets under ``within``: the general, slower path
        related = [b for b in self.buckets if within_prefix(b, within) or within_prefix(within, b)]
        keys = sorted(k for b in related for k in ((*b, x) for x in self.buckets[b]))
        return [(key, values[key]) for key in keys if within_prefix(key, within)]

    def first(self, low: Key, within: Key) -> tuple[Key, Value] | None:
        if len(low) <= len(within) + 1 and self._is_bucket_level(within):
            bucket = self.buckets.get(within)
            if bucket is None:
                return None
            if len(low) == len(within):
                item = bucket[0]
            elif isinstance(bucket, tuple):
                index = bisect_left(bucket, low[-1])
                if index == len(bucket):
                    return None
                item = bucket[index]
            else:
                item = bucket.ceiling(low[-1])
                if item is None:
                    return None
            key = (*within, item)
            return key, self.values[key]
        return next(((k, v) for k, v in self.items_within(within) if k >= low), None)

    def pop_first(self, within: Key) -> tuple[Key, Value] | None:
        """Remove and return the first entry under ``within`` (the IPAM core's most frequent seek + delete)."""
        bucket = self.buckets.get(within) if self._is_bucket_level(within) else None
        if bucket is None or isinstance(bucket, tuple):
            found = self.first(within, within)
            if found is not None:
                self.remove(found[0])
            return found
        key = (*within, bucket.pop(0))
        if not bucket:
            del self.buckets[within]
        return key, self.values.pop(key)

    def last(self, high: Key, within: Key) -> tuple[Key, Value] | None:
        if len(high) == len(within) + 1 and self._is_bucket_level(within):
            bucket = self.buckets.get(within)
            if bucket is None:
                return None
            if isinstance(bucket, tuple):
                index = bisect_right(bucket, high[-1]) - 1
                if index < 0:
                    return None
                item = bucket[index]
            else:
                item = bucket.floor(high[-1])
                if item is None:
                    return None
            key = (*within, item)
            return key, self.values[key]
        matches = [(k, v) for k, v in self.items_within(within) if k <= high]
        return matches[-1] if matches else None


class MemoryTransaction(Transaction):
    """Writes straight into the state and remembers old values so that it can undo them."""

    serial = True  # the store runs one transaction at a time (log-based stores: one per process)

    def __init__(self, state: MemoryState) -> None:
        self._state = state
        self._values = state.values
        # (key, value before the write) per write, in order: undoing them backwards restores the oldest
        # (a list, not a dict, so that a write pays no extra hashing of its key)
        self._undo: list[tuple[Key, object]] = []

    def get(self, key: Key) -> Value | None:
        return self._values.get(key)

    def put(self, key: Key, value: Value) -> None:
        values = self._values
        old = values.get(key, _MISSING)
        self._undo.append((key, old))
        if old is _MISSING:
            self._state.add(key, value)
        else:
            values[key] = value

    def insert(self, key: Key, value: Value) -> None:
        if key in self._values:
            raise KeyExistsError(key)
        self._undo.append((key, _MISSING))
        self._state.add(key, value)

    def delete(self, key: Key) -> None:
        old = self._values.get(key, _MISSING)
        if old is not _MISSING:
            self._undo.append((key, old))
            self._state.remove(key)

    def first(self, low: Key, within: Key) -> tuple[Key, Value] | None:
        return self._state.first(low, within)

    def pop_first(self, within: Key) -> tuple[Key, Value] | None:
        found = self._state.pop_first(within)
        if found is not None:
            self._undo.append(found)
        return found

    def last(self, high: Key, within: Key) -> tuple[Key, Value] | None:
        return self._state.last(high, within)

    def scan(self, within: Key) -> list[tuple[Key, Value]]:
        return self._state.items_within(within)

    def rollback(self) -> None:
        state = self._state
        for key, old in reversed(self._undo):
            if old is _MISSING:
                state.remove(key)
            else:
                state.set(key, old)  # type: ignore[arg-type]
        self._undo.clear()

    def forget(self) -> None:
        """Make what was written final: the undo log starts empty (for reusing the object)."""
        self._undo.clear()

    def effects(self) -> list[Effect]:
        """The final value of every key this transaction wrote (``None`` where it deleted)."""
        values = self._values
        return [(key, values.get(key)) for key in dict.fromkeys(key for key, _ in self._undo)]


class ReadOnlyMemoryTransaction(MemoryTransaction):
    """A transaction of ``run(..., readonly=True)``: reads as any, refuses every write (what the other
    backends mix in with :class:`~metalnet.storage.base.RefusesWrites`, spelled out: a compiled class has
    one base)."""

    def put(self, key: Key, value: Value) -> None:
        refuse_write("put", key)

    def insert(self, key: Key, value: Value) -> None:
        refuse_write("insert", key)

    def delete(self, key: Key) -> None:
        refuse_write("delete", key)

    def pop_first(self, within: Key) -> tuple[Key, Value] | None:
        refuse_write("pop_first", within)

    def append_event(self, event: EventRecord) -> None:
        refuse_write("append_event", (event.kind, event.ident))

    def put_many(self, items: Sequence[tuple[Key, Value]]) -> None:
        refuse_write("put_many", items[0][0] if items else ())

    def insert_many(self, items: Sequence[tuple[Key, Value]]) -> None:
        refuse_write("insert_many", items[0][0] if items else ())


# tests (and callers) wrap the store by subclassing it, which a compiled class allows only when it says so
@mypyc_attr(allow_interpreted_subclasses=True)
class MemoryStorage(Storage):
    """Process-local storage for tests and library use; thread-safe, transactions run one at a time."""

    name = "memory"

    def __init__(self) -> None:
        self._state = MemoryState()
        self._lock = threading.RLock()
        self._active = False  # only the thread holding the lock reads or sets it
        # transactions run one at a time, so one object serves them all (its undo log emptied in between)
        self._tx = MemoryTransaction(self._state)
        self._readonly_tx = ReadOnlyMemoryTransaction(self._state)

    def run(self, fn: Callable[[Transaction], T], *, readonly: bool = False, deadline: float | None = None) -> T:
        if deadline is None:
            self._lock.acquire()
        elif not self._lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise DeadlineExceededError("memory://: another transaction held the store past the deadline")
        try:
            if self._active:
                # as on the SQL backends: an inner run would not roll back with the outer one
                raise StorageError(
                    "storage.run() called inside a transaction of the same memory store: "
                    "pass the outer transaction down instead (for example IpamSession(tx))"
                )
            self._active = True
            tx = self._readonly_tx if readonly else self._tx
            try:
                result = fn(tx)
                if deadline is not None:  # past the deadline: roll back rather than commit
                    seconds_left(deadline, "memory://")
                return result
            except BaseException:
                tx.rollback()
                raise
            finally:
                tx.forget()
                self._active = False
        finally:
            self._lock.release()
