"""Fairness between processes that race for the next log entry.

Optimistic commits favour the process that just committed: it is already at the head and needs no catch-up,
so while it keeps committing, the others lose every race (measured here: single operations waiting
seconds, transactions giving up). The fix is a hint in ``meta``: a process that lost twice in a row stamps
``{id: "contention", at: now}``; every process looks at the stamp at most every ``CHECK_EVERY`` seconds and,
while it is fresh, pauses briefly after each of its own commits, outside its lock, so that a waiting process
can take the next entry. The hint changes only timing, never what is committed; a missing or stale stamp
costs nothing.
"""

from __future__ import annotations

import random
import time

from metalnet.storage.rethink_conn import Connection, r

#: seconds between two looks at the stamp by one process
CHECK_EVERY = 0.02
#: seconds a stamp stays fresh (server time)
FRESH_FOR = 0.25
#: upper bound of the pause after a commit while the stamp is fresh
PAUSE = 0.003


class Contention:
    """One process's view of whether others are starving."""

    def __init__(self, db: str) -> None:
        self._db = db
        self._checked = 0.0
        self._stamped = 0.0
        self._fresh = False

    def lost(self, conn: Connection, in_a_row: int) -> None:
        """Called after a lost race; stamps the hint (soft durability: it is only a hint)."""
        now = time.monotonic()
        if in_a_row >= 2 and now - self._stamped > CHECK_EVERY:
            self._stamped = now
            meta = r.db(self._db).table("meta")
            meta.insert({"id": "contention", "at": r.now()}, conflict="replace", durability="soft").run(conn)

    def pause_after_commit(self, conn: Connection) -> float:
        """Seconds to pause after a commit: 0 unless others recently said they were starving."""
        now = time.monotonic()
        if now - self._checked > CHECK_EVERY:
            self._checked = now
            stamp = r.db(self._db).table("meta").get("contention")["at"]
            self._fresh = bool(stamp.gt(r.now() - FRESH_FOR).default(False).run(conn))
        return random.uniform(0, PAUSE) if self._fresh else 0.0
