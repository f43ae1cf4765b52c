"""Rows a PostgreSQL store read or wrote recently, so that a transaction can skip the round trip of a read.

A cached row is never trusted: a transaction that uses one sends, in its next message to the server, a
check that the stored bytes still equal the cached ones (``metalnet_check``, migration 0002), which fails
the transaction when another process changed the row in between. Since that check runs after the locks the
transaction took before the read, the transaction sees what an uncached read at that moment would have
seen; the cache only decides how many round trips it costs. An IP acquisition that finds its prefix row
here is a single message: ``BEGIN; lock; check; write; COMMIT``.

A row whose check failed is *contended* (other processes write it): it is not served from the cache for
``CONTENDED_SECONDS``, so that processes taking turns on one prefix do not each pay a failed attempt.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from metalnet.storage.base import Key
from metalnet.storage.rows import Value

#: rows kept per store (least recently used go first)
DEFAULT_CAPACITY = 4096
CONTENDED_SECONDS = 1.0

#: a cached row: the decoded value and the bytes stored in the database
Cached = tuple[Value, bytes]


class RowCache:
    """A bounded, thread-safe map from key to (value, stored bytes)."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._rows: OrderedDict[Key, Cached] = OrderedDict()
        self._contended: dict[Key, float] = {}
        self._lock = threading.Lock()

    def get(self, key: Key) -> Cached | None:
        with self._lock:
            found = self._rows.get(key)
            if found is None:
                return None
            if self._contended and key in self._contended:
                if time.monotonic() < self._contended[key]:
                    return None
                del self._contended[key]
            self._rows.move_to_end(key)
            return found

    def put(self, key: Key, value: Value, stored: bytes) -> None:
        if not self.capacity:
            return
        with self._lock:
            self._rows[key] = (value, stored)
            self._rows.move_to_end(key)
            if len(self._rows) > self.capacity:
                self._rows.popitem(last=False)

    def drop(self, key: Key) -> None:
        with self._lock:
            self._rows.pop(key, None)

    def contended(self, key: Key) -> None:
        """The check of ``key`` failed: forget it, and serve it from the server for a while."""
        with self._lock:
            self._rows.pop(key, None)
            self._contended[key] = time.monotonic() + CONTENDED_SECONDS
            if len(self._contended) > self.capacity:  # bounded too: drop the oldest marks
                for stale in list(self._contended)[: len(self._contended) // 2]:
                    del self._contended[stale]
