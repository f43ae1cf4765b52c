"""The store's history of changes as storage sees it: numbered, opaque event bodies (see docs/history.md).

A transaction appends events with ``Transaction.append_event``; the store numbers them when the transaction
commits, with a sequence that is gapless and strictly increasing per store, and a reader never sees event
``n + 1`` before event ``n``. Storage knows nothing of what an event says: it keeps the time, three labels
to filter on (``kind``, ``ident``, ``project``) and the body text.

This module is the implementation for stores whose writers are serial (memory, SQLite) or whose commits are
ordered by a log (RethinkDB, where a transaction's rows travel in its log entry): the events are rows of the
key space, numbered from a counter row written in the same transaction, so the counter moves in commit
order. Stores with concurrent writers (PostgreSQL) override the ``Transaction``/``Storage`` methods and
take their serialisation point themselves, as late as possible.

Key layout:

- ``("history/seq",)`` → the newest sequence number (``int``; absent: 0)
- ``("history/event", seq)`` → ``HEADER "\\n" body``, where ``HEADER`` is the JSON array
  ``[at, kind, ident, project]`` (JSON never holds a raw newline, so the first one ends it)
- ``("history/object", kind, ident, seq)`` → ``""``: the events of one object without a scan
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, NamedTuple

import msgspec

from metalnet.storage.rows import Value

if TYPE_CHECKING:
    from metalnet.storage.base import Key, Transaction

SEQ_KEY = ("history/seq",)
EVENT_BUCKET = ("history/event",)
OBJECT_TABLE = "history/object"
#: events a pruning transaction deletes at most, so that writers never wait long behind it
PRUNE_BATCH = 500

_header_encoder = msgspec.json.Encoder()
_header_decoder = msgspec.json.Decoder(tuple[float, str, str, str])


class EventRecord(NamedTuple):
    """One event as a transaction hands it to the store (the store adds its sequence number)."""

    #: seconds since the epoch
    at: float
    kind: str
    ident: str
    #: the project the object belongs to, ``""`` for none
    project: str
    #: the event itself, text the store keeps unchanged
    body: str


class StoredEvent(NamedTuple):
    seq: int
    at: float
    kind: str
    ident: str
    project: str
    body: str


class EventFilter(NamedTuple):
    """Which events a read returns; ``None`` matches anything."""

    kind: str | None = None
    ident: str | None = None
    project: str | None = None
    #: only events at or after this time (seconds since the epoch)
    since: float | None = None

    def matches(self, event: StoredEvent) -> bool:
        return (
            (self.kind is None or event.kind == self.kind)
            and (self.ident is None or event.ident == self.ident)
            and (self.project is None or event.project == self.project)
            and (self.since is None or event.at >= self.since)
        )


#: the filter that matches every event
EVERY = EventFilter()


class EventBounds(NamedTuple):
    """``oldest``: the smallest retained sequence number (``newest + 1`` when none is); ``newest``: the last
    one handed out (0 before the first event). A reader that last saw ``n < oldest - 1`` missed events."""

    oldest: int
    newest: int


def encode_entry(event: EventRecord) -> str:
    header = _header_encoder.encode((event.at, event.kind, event.ident, event.project)).decode()
    return f"{header}\n{event.body}"


def decode_entry(seq: int, entry: str) -> StoredEvent:
    header, _, body = entry.partition("\n")
    at, kind, ident, project = _header_decoder.decode(header)
    return StoredEvent(seq, at, kind, ident, project, body)


def append(tx: Transaction, event: EventRecord) -> None:
    """Number ``event`` with the next value of the counter row and store it (serial writers only)."""
    newest = tx.get(SEQ_KEY)
    seq = (newest if isinstance(newest, int) else 0) + 1
    tx.put(SEQ_KEY, seq)
    tx.put((*EVENT_BUCKET, seq), encode_entry(event))
    tx.put((OBJECT_TABLE, event.kind, event.ident, seq), "")


def bounds_in(tx: Transaction) -> EventBounds:
    newest = tx.get(SEQ_KEY)
    newest = newest if isinstance(newest, int) else 0
    found = tx.first(EVENT_BUCKET, EVENT_BUCKET)
    return EventBounds(newest + 1 if found is None else int(found[0][-1]), newest)


def read_in(tx: Transaction, after: int, limit: int, where: EventFilter) -> list[StoredEvent]:
    """Up to ``limit`` matching events numbered above ``after``, in order (one seek per event looked at)."""
    result: list[StoredEvent] = []
    for event in _candidates(tx, after, where):
        if len(result) >= limit:
            break
        if where.matches(event):
            result.append(event)
    return result


def _candidates(tx: Transaction, after: int, where: EventFilter) -> Iterator[StoredEvent]:
    """The events above ``after`` in order; of one object only (through its index rows) when asked for one."""
    if where.kind is not None and where.ident is not None:
        for key, _ in _walk(tx, (OBJECT_TABLE, where.kind, where.ident), after):
            entry = tx.get((*EVENT_BUCKET, key[-1]))
            if isinstance(entry, str):
                yield decode_entry(int(key[-1]), entry)
        return
    for key, entry in _walk(tx, EVENT_BUCKET, after):
        assert isinstance(entry, str)
        yield decode_entry(int(key[-1]), entry)


def _walk(tx: Transaction, space: Key, after: int) -> Iterator[tuple[Key, Value]]:
    """The entries of ``space`` numbered above ``after``, one seek each, so a reader stops after ``limit``."""
    position = after + 1
    while True:
        found = tx.first((*space, position), space)
        if found is None:
            return
        yield found
        position = int(found[0][-1]) + 1


def prune_in(tx: Transaction, older_than: float, keep: int, batch: int) -> int:
    """Delete up to ``batch`` of the oldest events that are older than ``older_than`` or beyond the newest
    ``keep``; the number deleted (fewer than ``batch``: nothing more to prune)."""
    newest = bounds_in(tx).newest
    deleted = 0
    while deleted < batch:
        found = tx.first(EVENT_BUCKET, EVENT_BUCKET)
        if found is None:
            break
        seq = int(found[0][-1])
        assert isinstance(found[1], str)
        event = decode_entry(seq, found[1])
        if event.at >= older_than and seq > newest - keep:
            break
        tx.delete(found[0])
        tx.delete((OBJECT_TABLE, event.kind, event.ident, seq))
        deleted += 1
    return deleted


def prune_until_done(prune_batch: Callable[[], int]) -> int:
    """Run ``prune_batch`` (one transaction deleting at most a batch) until it deletes less than a batch."""
    total = 0
    while True:
        deleted = prune_batch()
        total += deleted
        if deleted < PRUNE_BATCH:
            return total
