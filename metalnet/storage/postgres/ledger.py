"""What one PostgreSQL transaction took from and gives back to the row cache (:mod:`..row_cache`).

A row served from the cache is checked on the server in the transaction's next message; the transaction
reads it alike every later time. When the transaction ends, what it wrote replaces the cached rows (it
committed) or is dropped (it failed); a failed check marks the rows it served as contended.
"""

from __future__ import annotations

from typing import Final

from metalnet.storage.base import Key
from metalnet.storage.row_cache import Cached, RowCache
from metalnet.storage.rows import Value

#: :meth:`Ledger.known` of a key this transaction has neither written nor been served from the cache
UNKNOWN: Final = object()


class Ledger:
    """The row-cache bookkeeping of one transaction; a no-op without a cache (``row_cache=0``)."""

    def __init__(self, cache: RowCache | None) -> None:
        self._cache = cache
        #: what this transaction wrote, key → (value, stored bytes), None where it deleted
        self._written: dict[Key, Cached | None] = {}
        #: keys served from the cache, with the value served
        self.checked: dict[Key, Value] = {}

    def known(self, key: Key) -> Value | object | None:
        """The value this transaction already holds for ``key`` (written or checked), else :data:`UNKNOWN`."""
        written = self._written.get(key, UNKNOWN)
        if written is not UNKNOWN:
            return None if written is None else written[0]  # type: ignore[index]
        return self.checked.get(key, UNKNOWN)

    def serve(self, key: Key) -> Cached | None:
        """The cached row for ``key``, which the caller must have checked on the server; None: not cached."""
        found = None if self._cache is None else self._cache.get(key)
        if found is not None:
            self.checked[key] = found[0]
        return found

    def read(self, key: Key, value: Value, stored: bytes) -> None:
        """A row read from the server: worth caching."""
        if self._cache is not None:
            self._cache.put(key, value, stored)

    def wrote(self, key: Key, entry: Cached | None) -> None:
        """``key`` now holds ``entry`` in this transaction (None: deleted)."""
        self._written[key] = entry

    def committed(self) -> None:
        """The transaction committed: what it wrote is what the cache now holds."""
        if self._cache is not None:
            for key, entry in self._written.items():
                if entry is None:
                    self._cache.drop(key)
                else:
                    self._cache.put(key, *entry)

    def failed(self, stale: bool) -> None:
        """The transaction failed; ``stale``: a check of a cached row found it changed."""
        if self._cache is not None:
            for key in self._written:
                self._cache.drop(key)
            if stale:
                for key in self.checked:
                    self._cache.contended(key)
