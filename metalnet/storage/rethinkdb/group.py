"""Group commit: the transactions of several threads of one process committed as one log entry.

A commit costs one durable insert (about a millisecond here) whatever it holds, so while one thread (the
leader) commits, the others queue their transactions and wait. The leader wakes the callers of each group
it finished; once its own transaction is done it stops leading and one waiting caller leads next: it runs
everything queued meanwhile, one after the other on the same state, and commits their effects together:
one log entry, applied atomically everywhere. (Callers whose transaction is done return without waiting
for the lock, so a group holds what arrived during a whole commit, not what arrived during one lock
hand-over.) Each transaction still sees the ones before it in the group, exactly as if they had
run one after another, and each caller gets its own result or exception.

If the commit loses the race for its log place, every transaction of the group is rolled back (in reverse
order, which restores the state exactly) and the whole group runs again on the current state.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from metalnet.storage.base import Transaction
from metalnet.storage.memory import Effect, MemoryState, MemoryTransaction, ReadOnlyMemoryTransaction

T = TypeVar("T")
#: most transactions in one log entry (bounds the entry's size and the work lost to one conflict)
GROUP_MAX = 64


class Request(Generic[T]):
    """One caller's transaction, waiting to be run by whichever thread leads the next group."""

    def __init__(self, fn: Callable[[Transaction], T], readonly: bool, deadline: float | None = None) -> None:
        self.fn = fn
        self.readonly = readonly
        #: commit by then or not at all (``time.monotonic()``; None: the store's own timeout)
        self.deadline = deadline
        self.done = False
        self.result: T | None = None
        self.error: BaseException | None = None

    def finished(self) -> bool:
        """Whether a leader ran it (a call, so that a type checker never takes a check of it as settled)."""
        return self.done

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

    @property
    def deadline(self) -> float | None:
        """The earliest deadline of the group's requests: the group commits by then or not at all."""
        return min((r.deadline for r in self.requests if r.deadline is not None), default=None)

    def drop_expired(self, now: float, error: Callable[[], BaseException]) -> None:
        """Fail the requests whose deadline has passed before the group ran (each alone, with ``error()``)."""
        for request in [r for r in self.requests if r.deadline is not None and r.deadline <= now]:
            self.requests.remove(request)
            request.result, request.error, request.done = None, error(), True

    def run(self, state: MemoryState) -> list[Effect]:
        """Run every request on ``state``; returns their effects in order."""
        effects: list[Effect] = []
        self._written = []
        for request in self.requests:
            tx = ReadOnlyMemoryTransaction(state) if request.readonly else MemoryTransaction(state)
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


class Fairness:
    """Keeps one busy process from starving the others of log places.

    Optimistic commits favour the process that just committed: it is already at the head, while a process
    that lost must first catch up (a majority read, ~1.5 ms here), by which time the winner has taken the
    next place too. Measured with 8 processes in a tight loop: some waited 10 s and gave up. So a process
    that has seen other writers in the last ``WINDOW`` seconds pauses briefly, outside its lock, after every
    ``STREAK`` commits in a row, long enough for a waiting process to take one place. Alone, it never
    pauses. This shapes timing only, never what is committed.
    """

    STREAK = 32
    WINDOW = 5.0
    PAUSE = (0.003, 0.006)

    def __init__(self) -> None:
        self._streak = 0
        self._others_at = -self.WINDOW

    def others_committed(self) -> None:
        self._streak = 0
        self._others_at = time.monotonic()

    def committed(self) -> float:
        """Seconds to pause after this commit (usually 0)."""
        self._streak += 1
        if self._streak < self.STREAK or time.monotonic() - self._others_at > self.WINDOW:
            return 0.0
        self._streak = 0
        return random.uniform(*self.PAUSE)
