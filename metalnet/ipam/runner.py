"""How :class:`~metalnet.ipam.ipamer.Ipamer` runs a change: one storage transaction of an
:class:`~metalnet.ipam.session.IpamSession` operation, recorded in the history when there is one.

Compiled with the core: every change a library user makes passes here, so the namespace checks, the
deadline and the history test cost no Python-level call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from metalnet.history.recorder import History
from metalnet.ipam.errors import InvalidInputError
from metalnet.ipam.model import UsageSource
from metalnet.ipam.namespaces import PROTECTED_NAMESPACES, check_namespace_name, check_writable
from metalnet.ipam.session import IpamSession, SessionCall
from metalnet.storage import deadlines
from metalnet.storage.base import Storage, Transaction

T = TypeVar("T")

#: what a change records: (kind, id, action, state) from its result; the state is "after" for acquisitions
#: and creations, "before" for releases and deletions
Describe = Callable[[T], tuple[str, str, str, dict[str, str]]]
_REMOVALS = ("delete", "release")


class ChangeRunner:
    """Runs changes on ``storage``; the prefixes they return read their usage through ``source``."""

    def __init__(self, storage: Storage, source: UsageSource, history: History | None) -> None:
        self.storage = storage
        self.source = source
        self.history = history

    def change(self, namespace: object, fn: Callable[[IpamSession], T], describe: Describe[T]) -> T:
        """Run the change ``fn`` in ``namespace``; with a history, record the event ``describe`` makes of its
        result in the same transaction."""
        if not isinstance(namespace, str):
            check_namespace_name(namespace)  # refuses it, naming it
            raise InvalidInputError(f"invalid namespace {namespace!r}: not a string")
        if namespace in PROTECTED_NAMESPACES:
            check_writable(namespace)
        history = self.history
        if history is None:
            return self.storage.run(SessionCall(fn, namespace, self.source), deadline=deadlines.current())
        source = self.source

        def unit(tx: Transaction) -> T:
            result = fn(IpamSession(tx, namespace, source))
            kind, ident, action, state = describe(result)
            state = {**state, "namespace": namespace}
            removed = action in _REMOVALS
            history.record_state(tx, kind, ident, action, before=state if removed else None,
                                 after=None if removed else state)
            return result

        return self.storage.run(unit, deadline=deadlines.current())
