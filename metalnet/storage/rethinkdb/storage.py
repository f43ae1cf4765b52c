"""RethinkDB backend: an append-only log of committed transactions, applied to an in-memory state.

RethinkDB changes one document atomically, never several, so the database holds the log and the log is the
truth (DESIGN.md, "Storage on RethinkDB"; docs/rethinkdb.md). Each process keeps a
:class:`~metalnet.storage.memory.MemoryState` equal to the log's entries ``1..head`` and runs a transaction so:

1. ``fn`` runs on a :class:`~metalnet.storage.memory.MemoryTransaction` over the local state.
2. With effects, commit = insert ``{id: head + 1, effects}`` with ``conflict="error"`` and hard durability.
   Inserted: committed. Place taken: another process was first; roll back, apply the entries we missed,
   run ``fn`` again (bounded, with jitter; then :class:`StorageBusyError`).
3. Without effects (a read, or ``fn`` raised), the answer holds only if the state was current: check once
   that the log has nothing past ``head`` (``readonly=True`` checks before ``fn`` instead); otherwise catch
   up and run ``fn`` again.

Writes need no read beforehand: the insert at ``head + 1`` succeeding proves the state was current (it
never lands at a place compaction freed, see :func:`~metalnet.storage.rethinkdb.log.insert_entry`). A lost
answer to the insert (connection broken, failover) is resolved by sending the same document again and, if
the place is taken, comparing the nonce stored there with ours once a majority read shows it.
``tx.lock`` is a no-op: within a process a lock serialises transactions, across processes the log's
primary key does. Threads of one process that call ``run`` at once share one log entry (group commit,
:mod:`metalnet.storage.rethinkdb.group`).
"""

from __future__ import annotations

import logging
import math
import random
import secrets
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from metalnet.storage.base import (
    DeadlineExceededError,
    Storage,
    StorageBusyError,
    StorageError,
    StorageUnavailableError,
    Transaction,
)
from metalnet.storage.memory import Effect, MemoryState
from metalnet.storage.rethinkdb.config import RethinkConfig, parse_url
from metalnet.storage.rethinkdb.conn import Connection, Connector
from metalnet.storage.rethinkdb.group import GROUP_MAX, Fairness, Group, Request
from metalnet.storage.rethinkdb.log import (
    decode_effects,
    durable_nonce,
    encode_effects,
    entries_after,
    has_entries_after,
    insert_entry,
)
from metalnet.storage.rethinkdb.schema import ensure_schema
from metalnet.storage.rethinkdb.snapshot import Item, load_snapshot, write_snapshot

T = TypeVar("T")
log = logging.getLogger(__name__)

#: log entries fetched per query while catching up
FETCH_BATCH = 2_000
#: attempts of one transaction that keeps losing the race for the next log place (within ``timeout``)
MAX_ATTEMPTS = 100_000
_RELOADS = 5


class RethinkStorage(Storage):
    """Storage on a RethinkDB database (one server or a replicated cluster)."""

    name = "rethinkdb"
    #: the data outlives the process (the contract suite reopens the store to check)
    persistent = True

    def __init__(self, config: RethinkConfig) -> None:
        self.config = config
        self._connector = Connector(config)
        self._lock = threading.Lock()
        # callers queue their requests under _turn and wait on it: a leader wakes them when their group is
        # done, or when it stops leading (then one of them leads)
        self._turn = threading.Condition()
        self._leading = False
        self._pending: list[Request[Any]] = []
        self._state = MemoryState()
        self._head = 0
        self._snapshotter: threading.Thread | None = None
        self._fairness = Fairness()
        self._leader = 0  # thread running transactions now (0: none)
        self._pause = 0.0
        self._commit_by: float | None = None  # the running group's deadline (its callers' earliest)
        self._closed = False
        try:
            ensure_schema(self._connector)
            deadline = time.monotonic() + config.timeout
            self._reload(deadline)
            self._catch_up(deadline)
        except BaseException:
            self._connector.close()
            raise

    @classmethod
    def from_url(cls, url: str) -> RethinkStorage:
        """Open ``rethinkdb://…`` (see :mod:`metalnet.storage.rethinkdb.config` for the options)."""
        return cls(parse_url(url))

    @property
    def head(self) -> int:
        """Id of the last log entry applied to this process's state."""
        return self._head

    def run(self, fn: Callable[[Transaction], T], *, readonly: bool = False, deadline: float | None = None) -> T:
        if self._leader == threading.get_ident():
            # the lock is ours already: waiting for it would never end
            raise StorageError(
                f"{self.config.safe_url}: storage.run called inside a transaction of the same store; "
                "pass the outer transaction down instead"
            )
        request = Request(fn, readonly, deadline)
        with self._turn:
            self._pending.append(request)
            while self._leading and not request.finished():
                if deadline is not None and deadline <= time.monotonic() and request in self._pending:
                    self._pending.remove(request)  # no leader took it yet: withdraw it, nothing ran
                    raise self._deadline_error()
                # past the deadline but in a group already: that group commits by this deadline or not at all
                self._turn.wait(None if deadline is None else max(deadline - time.monotonic(), 0.01))
            if request.finished():  # a leader ran it in one of its groups
                return request.outcome()
            self._leading = True
        pause = 0.0
        try:
            with self._lock:
                # lead: run what is queued as groups (see .group) until our own request is done;
                # whatever queues meanwhile waits for the next leader, and goes as one group then
                while not request.finished():
                    with self._turn:
                        group = Group(self._pending[:GROUP_MAX])
                        del self._pending[:GROUP_MAX]
                    self._leader = threading.get_ident()
                    try:
                        self._run_group(group)
                    except BaseException as exc:
                        group.fail(exc)
                    finally:
                        self._leader = 0
                    with self._turn:
                        self._turn.notify_all()
                pause, self._pause = self._pause, 0.0
        finally:
            with self._turn:
                self._leading = False
                self._turn.notify_all()
        if pause:
            time.sleep(pause)  # outside the lock: a turn for another process (see Fairness)
        return request.outcome()

    def _run_group(self, group: Group) -> None:
        if self._closed:
            raise StorageError(f"{self.config.safe_url}: storage is closed")
        now = time.monotonic()
        group.drop_expired(now, self._deadline_error)
        if not group.requests:
            return
        #: the callers' deadline: past it the group is not committed
        self._commit_by = group.deadline
        deadline = min(now + self.config.timeout, self._commit_by or math.inf)
        current = group.readonly
        if current:
            self._refresh(deadline)
        for attempt in range(MAX_ATTEMPTS):
            if attempt and time.monotonic() > deadline:
                break
            if self._stands(group, group.run(self._state), current, deadline):
                group.finish()
                return
            # the state has just been caught up, so a read-only outcome of the next attempt is valid
            current = True
            if attempt:
                time.sleep(random.uniform(0, min(0.002, 0.0002 * 2**attempt)))
        raise StorageBusyError(
            f"{self.config.safe_url} is busy, retry: the transaction lost the race for the next log entry "
            f"{attempt} times in {self.config.timeout:g} s"
        )

    def _deadline_error(self) -> DeadlineExceededError:
        return DeadlineExceededError(f"{self.config.safe_url}: the deadline passed; nothing was committed")

    def _stands(self, group: Group, effects: list[Effect], current: bool, deadline: float) -> bool:
        """Whether the outcome of the group's run holds; if not, the state has been caught up."""
        if effects and self._commit_by is not None and time.monotonic() >= self._commit_by:
            group.rollback()
            raise self._deadline_error()  # never start the commit insert after the callers' deadline
        if effects:
            return self._commit(group, effects, deadline)  # landing at head + 1 proves the state was current
        # a read, or an error, found on a stale state (say "no such prefix") may not hold on the current one
        return current or not self._refresh(deadline)

    def snapshot(self) -> int:
        """Write a snapshot of the current state now (normally done every ``snapshot_every`` entries).

        Returns the log id the snapshot stands for.
        """
        with self._lock:
            deadline = time.monotonic() + self.config.timeout
            self._refresh(deadline)
            head, items = self._head, list(self._state.values.items())
        self._write_snapshot(head, items)
        return head

    def close(self) -> None:
        with self._lock:
            self._closed = True
            snapshotter = self._snapshotter
        if snapshotter is not None:
            snapshotter.join(self.config.timeout)
        self._connector.close()

    def _commit(self, group: Group, effects: list[Effect], deadline: float) -> bool:
        entry_id, nonce, text = self._head + 1, secrets.token_hex(8), encode_effects(effects)
        db = self.config.db
        sends = 0

        def send(conn: Connection) -> bool:
            nonlocal sends
            sends += 1
            return insert_entry(conn, db, entry_id, nonce, text)

        try:
            inserted = self._connector.run(send, deadline=deadline)
            if not inserted and sends > 1:
                # an earlier send may have landed with its answer lost: the place may be ours
                inserted = self._settle(entry_id, nonce, send, deadline)
        except BaseException:
            group.rollback()
            raise
        if inserted:
            self._head = entry_id
            self._pause = self._fairness.committed()
            self._maybe_snapshot()
            return True
        group.rollback()
        self._catch_up(deadline)
        return False

    def _settle(self, entry_id: int, nonce: str, send: Callable[[Connection], bool], deadline: float) -> bool:
        """Whether the taken place ``entry_id`` holds our entry, waiting until that cannot change.

        Until the entry there is durable it may be ours (still replicating) or someone's that a failover
        will lose. Deciding early is wrong both ways: "not ours" would run ``fn`` again although its
        effects may yet commit, so one transaction would commit twice. So: wait for a majority read to
        show the entry, and meanwhile send ours again (the same nonce: landing is the same commit).
        """
        db, pause = self.config.db, 0.002
        while True:
            # in this order: a successor seen before the entry is missing means the entry was compacted
            successor = self._connector.run(lambda c: has_entries_after(c, db, entry_id, "majority"), deadline=deadline)
            stored = self._connector.run(lambda c: durable_nonce(c, db, entry_id), deadline=deadline)
            if stored is not None:
                return stored == nonce
            if successor:
                raise StorageUnavailableError(
                    f"{self.config.safe_url}: the outcome of the commit at log entry {entry_id} is unknown"
                )
            if time.monotonic() >= deadline:
                raise StorageUnavailableError(
                    f"{self.config.safe_url} is unavailable, retry: the commit at log entry {entry_id} "
                    "was not confirmed in time and may or may not have landed"
                )
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
            if self._connector.run(send, deadline=deadline):
                return True

    def _refresh(self, deadline: float) -> bool:
        """Catch up if the log moved past our head; True if the state changed."""
        db, head, mode = self.config.db, self._head, self.config.read_mode
        if not self._connector.run(lambda c: has_entries_after(c, db, head, mode), deadline=deadline):
            return False
        return self._catch_up(deadline)

    def _catch_up(self, deadline: float) -> bool:
        """Apply every durable entry past ``head``; True if the state changed."""
        db, changed, reloads = self.config.db, False, 0
        while True:
            head = self._head
            query = partial(entries_after, db=db, head=head, limit=FETCH_BATCH)
            batch, more = self._connector.run(query, deadline=deadline)
            if batch and batch[0][0] != head + 1:
                # compacted past our head while we were away: start again from the newest snapshot
                reloads += 1
                if reloads > _RELOADS:
                    raise StorageError(f"{self.config.safe_url}: the log moved on faster than it could be read")
                self._reload(deadline)
                changed = True
                continue
            for entry_id, _nonce, text in batch:
                self._state.apply(decode_effects(text, entry_id))
                self._head = entry_id
            if batch:
                changed = True
                self._fairness.others_committed()
            if not more:
                return changed

    def _reload(self, deadline: float) -> None:
        loaded = load_snapshot(self._connector, deadline)
        if loaded is not None:
            self._head, self._state = loaded

    def _maybe_snapshot(self) -> None:
        if self._head % self.config.snapshot_every:
            return
        if self._snapshotter is not None and self._snapshotter.is_alive():
            return  # the previous one is still being written; the next multiple will do
        items = list(self._state.values.items())  # values are immutable: a shallow copy is a consistent state
        self._snapshotter = threading.Thread(
            target=self._write_snapshot, args=(self._head, items), name="metalnet-rethink-snapshot", daemon=True
        )
        self._snapshotter.start()

    def _write_snapshot(self, head: int, items: list[Item]) -> None:
        connector = Connector(self.config)
        try:
            write_snapshot(connector, head, items, retain=self.config.retain)
        except StorageError as exc:
            # a missed snapshot costs only start-up time; the next multiple writes one
            log.warning("snapshot at log entry %d not written: %s", head, exc)
        finally:
            connector.close()
