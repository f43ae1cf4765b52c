"""The storage contract every backend fulfils.

The core and the network layer see storage as an *ordered key-value store with transactions*:

- A key is a tuple of ``str`` and non-negative ``int`` (< 2**136) items, ordered item by item.
  Strings must not contain NUL. Keys whose first items are equal have equal lengths (a first item names a
  table), and ordered look-ups (``first``, ``last``, ``scan``) are asked within a *bucket*: a key without its
  last item. Backends may answer other ``within`` values more slowly. Backends that persist keys encode
  them with :mod:`metalnet.storage.keys`, which preserves this order byte for byte (integers become
  fixed-width big-endian items).
- A value is a row (a registered :class:`~metalnet.storage.rows.Row`), an ``int`` or a ``str``. Values are
  immutable: callers never change a value after ``put`` or one returned by ``get``.
- ``Storage.run(fn)`` runs ``fn(tx)`` as one transaction: it commits when ``fn`` returns and rolls back when it
  raises, re-raising the error. A backend may call ``fn`` more than once (after a serialisation failure or a
  lost commit race), so ``fn`` must have no side effects outside ``tx``.
- ``Storage.run(fn, deadline=t)`` (``t`` a :func:`time.monotonic` instant) bounds the transaction in time:
  work that would finish after ``t`` is abandoned and rolled back, never committed, and ``run`` raises
  :class:`DeadlineExceededError`. Every wait inside ``run`` (a pooled connection, a lock, SQLite's busy
  handler, a server's answer) ends by ``t``; ``fn`` itself is not interrupted, but nothing it did commits
  once ``t`` has passed (each backend checks right before its commit). An outage of the store raises
  :class:`StorageUnavailableError` without waiting for ``t``, and the first call after the store is back
  works again (no restart). Without a deadline a backend waits as long as its own ``timeout`` option says.
- ``Transaction.lock(name)`` declares that the transaction reads-then-writes the state guarded by ``name``
  (for example one prefix). Backends that run transactions concurrently serialise them per name; the others
  treat it as a no-op and say so with ``Transaction.serial`` (callers on a hot path may then skip the call).
  Every write to shared state happens under a lock or through ``insert``.
- ``Transaction.append_event(event)`` appends to the store's history of changes, numbered at commit; the
  ``Storage`` reads it back with ``read_events``/``event_bounds`` and trims it with ``prune_events``
  (see :mod:`metalnet.storage.event_log` and docs/history.md).
- ``Transaction.pop_first(within)`` removes and returns the first entry of a bucket: ``first`` then
  ``delete``, which a backend may do in one step.

Errors (all subclasses of :class:`StorageError`):

- :class:`StorageUnavailableError`: the store cannot be reached or refused us (message names the URL, no password).
- :class:`StorageBusyError`: a transaction kept conflicting and was given up after bounded retries.
- :class:`DeadlineExceededError` (a :class:`StorageUnavailableError`): the deadline passed first; nothing
  was committed.
- :class:`CommitOutcomeUnknownError` (a :class:`StorageUnavailableError`): the connection was lost while the
  store committed, and whether it did could not be learnt by the deadline; a retry with the same
  Idempotency-Key is what tells.
- :class:`SchemaVersionError`: the store was written by a newer metalnet.
- :class:`KeyExistsError`: ``insert`` of a key that exists (inside ``run`` it is retried only when the backend
  saw a concurrent writer; otherwise it reaches the caller, who turns it into a domain error).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from typing import ClassVar, NoReturn, TypeVar

from metalnet.storage import event_log
from metalnet.storage.event_log import EventBounds, EventFilter, EventRecord, StoredEvent
from metalnet.storage.rows import Value
from metalnet.storage.transaction import Key as Key
from metalnet.storage.transaction import Transaction as Transaction

T = TypeVar("T")


class StorageError(Exception):
    """Base class of every storage failure."""


class StorageUnavailableError(StorageError):
    """The store cannot be reached, refused the credentials, or has no quorum."""


class DeadlineExceededError(StorageUnavailableError):
    """The caller's deadline passed before the transaction could commit; it was rolled back.

    A subclass of :class:`StorageUnavailableError`: to the caller the store could not serve in time, and
    a retry may succeed.
    """


class CommitOutcomeUnknownError(StorageUnavailableError):
    """The commit was sent but its answer was lost, and the store could not be asked in time whether it happened.

    The transaction may be durable. A subclass of :class:`StorageUnavailableError` (the protocols answer
    503): a client that retries with the same Idempotency-Key gets the committed answer if there is one,
    because idempotency keys are written in the transaction they answer.
    """


class StorageBusyError(StorageError):
    """A transaction conflicted with concurrent writers more often than the retry budget allows."""


class SchemaVersionError(StorageError):
    """The stored schema is newer (or otherwise unknown) to this version of metalnet."""


class KeyExistsError(StorageError):
    """``Transaction.insert`` found the key already present."""

    def __init__(self, key: Key) -> None:
        super().__init__(f"key {key!r} exists")
        self.key = key


class Storage(ABC):
    """A store of keys and values that runs transactions."""

    #: short backend name, shown in logs and metrics
    name: str = "abstract"
    #: whether the data outlives the process (reopening the same URL finds it again)
    persistent: ClassVar[bool] = False

    @abstractmethod
    def run(self, fn: Callable[[Transaction], T], *, readonly: bool = False, deadline: float | None = None) -> T:
        """Run ``fn`` in one transaction and return its result (see module docstring).

        ``readonly=True`` is the caller's promise that ``fn`` only reads: backends may serve it from a snapshot
        without taking the write lock, and every backend refuses a write in it with a :class:`StorageError`.
        ``deadline`` (a :func:`time.monotonic` instant): commit by then or not at all
        (:class:`DeadlineExceededError`).
        """

    def close(self) -> None:  # noqa: B027 - stores without resources need nothing
        """Release connections and files; the storage is unusable afterwards."""

    def event_bounds(self) -> EventBounds:
        """The oldest retained and the newest sequence number of the history."""
        return self.run(event_log.bounds_in, readonly=True)

    def read_events(self, after: int, limit: int, where: EventFilter = event_log.EVERY) -> list[StoredEvent]:
        """Up to ``limit`` events numbered above ``after`` that match ``where``, in sequence order."""
        return self.run(lambda tx: event_log.read_in(tx, after, limit, where), readonly=True)

    def prune_events(self, older_than: float, keep: int) -> int:
        """Delete the events older than ``older_than`` (seconds since the epoch) or beyond the newest ``keep``,
        oldest first, in small transactions so that writers never wait long; the number deleted."""
        batch = event_log.PRUNE_BATCH
        return event_log.prune_until_done(lambda: self.run(lambda tx: event_log.prune_in(tx, older_than, keep, batch)))

    def ping(self, deadline: float | None = None) -> None:
        """Raise :class:`StorageUnavailableError` unless the store answers (by ``deadline``, if given)."""
        self.run(lambda tx: tx.get(("ping",)), readonly=True, deadline=deadline)

    def __enter__(self) -> Storage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def refuse_write(action: str, key: Key) -> NoReturn:
    """What a read-only transaction does when asked to write."""
    raise StorageError(f"{action} of {key!r} in a read-only transaction (run(..., readonly=True))")


class RefusesWrites:
    """Mixed in before a backend's transaction class: the transaction of ``run(..., readonly=True)``."""

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


def seconds_left(deadline: float, where: str) -> float:
    """Seconds left until ``deadline``; raises :class:`DeadlineExceededError` when none are."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlineExceededError(f"{where}: the deadline passed {-left:.3f} s ago; nothing was committed")
    return left


def remaining(deadline: float | None, where: str) -> float | None:
    """Seconds left until ``deadline`` (None: no deadline); raises :class:`DeadlineExceededError` when none are."""
    return None if deadline is None else seconds_left(deadline, where)


def bounded(seconds: float, deadline: float | None, where: str) -> float:
    """``seconds``, or less where the deadline comes first (raises once it has passed)."""
    left = remaining(deadline, where)
    return seconds if left is None else min(seconds, left)


def within_prefix(key: Key, within: Key) -> bool:
    return key[: len(within)] == within


def iter_chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
