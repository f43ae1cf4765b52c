"""Group commit: the transactions of several threads of one process committed as one log entry.

A commit costs one durable insert (about a millisecond here) whatever it holds, so while one thread's
commit is on its way the others queue their transactions, and the next thread to get the lock runs them
all, one after the other on the same state, and commits their effects together: one log entry, applied
atomically everywhere. Each transaction still sees the ones before it in the group, exactly as if they had
run one after another, and each caller gets its own result or exception.

If the commit loses the race for its log place, every transaction of the group is rolled back (in reverse
order, which restores the state exactly) and the whole group runs again on the current state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from metalnet.storage.base import Transaction
from metalnet.storage.memory import Effect, MemoryState, MemoryTransaction

T = TypeVar("T")
#: most transactions in one log entry (bounds the entry's size and the work lost to one conflict)
GROUP_MAX = 64


class Request(Generic[T]):
    """One caller's transaction, waiting to be run by whichever thread leads the next group."""

    def __init__(self, fn: Callable[[Transaction], T], readonly: bool) -> None:
        self.fn = fn
        self.readonly = readonly
        self.done = False
        self.result: T | None = None
        self.error: BaseException | None = None

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


class Group:
    """The requests run and committed together."""

    def __init__(self, requests: list[Request[Any]]) -> None:
        self.requests = requests
        self._written: list[MemoryTransaction] = []

    @property
    def readonly(self) -> bool:
        return all(request.readonly for request in self.requests)

    def run(self, state: MemoryState) -> list[Effect]:
        """Run every request on ``state``; returns their effects in order."""
        effects: list[Effect] = []
        self._written = []
        for request in self.requests:
            tx = MemoryTransaction(state)
            try:
                request.result, request.error = request.fn(tx), None
            except BaseException as exc:  # the caller's own error: it goes back to that caller alone
                tx.rollback()
                request.result, request.error = None, exc
                continue
            # taken now: a later transaction of the group may write the same keys again
            written = tx.effects()
            if written:
                effects += written
                self._written.append(tx)
        return effects

    def rollback(self) -> None:
        for tx in reversed(self._written):
            tx.rollback()
        self._written = []

    def finish(self) -> None:
        for request in self.requests:
            request.done = True

    def fail(self, exc: BaseException) -> None:
        """The group could not be committed: every caller gets ``exc``, nothing of it stays."""
        self.rollback()
        for request in self.requests:
            request.result, request.error, request.done = None, exc, True
