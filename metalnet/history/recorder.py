"""``History``: turns a change into an event in the transaction that makes the change."""

from __future__ import annotations

import time
from collections.abc import Callable

import msgspec

from metalnet.history.actor import current_actor
from metalnet.history.model import encode_bodies, encode_body
from metalnet.storage.base import Transaction
from metalnet.storage.event_log import EventRecord

_encoder = msgspec.json.Encoder()


class History:
    """Records events; one object serves every transaction of a service (it keeps no state of its own).

    Args:
        clock: the time of an event (seconds since the epoch); tests pass a fixed one.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        #: called after each event is handed to its transaction (before it commits): the API's streams
        self.listeners: list[Callable[[], None]] = []

    def record(self, tx: Transaction, kind: str, ident: str, action: str, *, project: str | None = None,
               before: str | bytes | None = None, after: str | bytes | None = None) -> None:
        """Append the event of one change to ``tx``; the states are the object's JSON (stored form)."""
        actor = current_actor()
        at = self._clock()
        body = encode_body(actor.principal, actor.route, kind, ident, project, action, before, after)
        tx.append_event(EventRecord(at, kind, ident, project or "", body))
        for listener in self.listeners:
            listener()

    def record_many(self, tx: Transaction, kind: str, action: str,
                    changes: list[tuple[str, str | None, str | bytes | None, str | bytes | None]]) -> None:
        """:meth:`record` for many changes of one kind and action, ``(ident, project, before, after)`` each: the
        same events, in order, at one time (a bulk operation's)."""
        if not changes:
            return
        actor = current_actor()
        at = self._clock()
        bodies = encode_bodies(actor.principal, actor.route, kind, action, changes)
        append = tx.append_event
        for (ident, project, _, _), body in zip(changes, bodies, strict=True):
            append(EventRecord(at, kind, ident, project or "", body))
        for listener in self.listeners:
            listener()

    def record_state(self, tx: Transaction, kind: str, ident: str, action: str, *, project: str | None = None,
                     before: object = None, after: object = None) -> None:
        """:meth:`record` for states given as plain data (dicts) rather than JSON."""
        self.record(tx, kind, ident, action, project=project,
                    before=None if before is None else _encoder.encode(before),
                    after=None if after is None else _encoder.encode(after))
