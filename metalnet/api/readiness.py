"""Readiness: can the store take a write right now? A real, tiny, rate-limited write answers it.

A read (``ping``) succeeds on a full disk, a read-only file system or a read-only replica, while every
allocation fails; so readiness commits one heartbeat row (the same key, overwritten: the store does not
grow). It is rate-limited to one write per :data:`PROBE_INTERVAL` per process (callers in between get the
last answer), and never runs twice at once. On a store that can wait (``offload``) the write runs off the
event loop — where the app runs its writes (``run``, e.g. SQLite's writer thread, whose one connection
stays), else in a worker thread — bounded by :data:`PROBE_TIMEOUT` (a store that hangs is not ready; while a
probe hangs, later checks report it as failing instead of piling up threads). The in-memory store is written
inline, as every request writes it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio
import anyio.to_thread

from metalnet.storage.base import Storage

#: the row the probe overwrites; its first item names a table of its own
HEARTBEAT_KEY = ("health", "heartbeat")
#: seconds an answer is reused before the next probe writes again
PROBE_INTERVAL = 1.0
#: seconds a probe may take before the store counts as not ready
PROBE_TIMEOUT = 2.0


@dataclass(frozen=True)
class Probe:
    """One probe's answer: whether the write committed, and what went wrong (may name the database)."""

    ok: bool
    detail: str
    at: float


class WriteProbe:
    """Rate-limited heartbeat writes to ``storage``."""

    def __init__(self, storage: Storage, *, offload: bool, interval: float = PROBE_INTERVAL,
                 timeout: float = PROBE_TIMEOUT,
                 run: Callable[[Callable[[], Probe]], Awaitable[Probe]] | None = None) -> None:
        self._storage = storage
        self._offload = offload
        self._run = run
        self._interval = interval
        self._timeout = timeout
        self._last: Probe | None = None
        self._running = threading.Event()  # set while a probe thread is inside the store
        self._started = 0.0
        self._lock = anyio.Lock()

    async def check(self) -> Probe:
        """The answer of a probe at most ``interval`` seconds old (writing one if needed)."""
        async with self._lock:
            now = time.monotonic()
            if self._last is not None and now - self._last.at < self._interval:
                return self._last
            if self._running.is_set():
                stuck = now - self._started
                self._last = Probe(False, f"the previous write probe has not returned for {stuck:.1f} s", now)
                return self._last
            self._running.set()
            self._started = now
            if not self._offload:
                self._last = self._write()
                return self._last
            with anyio.move_on_after(self._timeout):
                if self._run is not None:
                    self._last = await self._run(self._write)
                else:
                    self._last = await anyio.to_thread.run_sync(self._write, abandon_on_cancel=True)
                return self._last
            self._last = Probe(False, f"a write did not commit within {self._timeout:g} s", time.monotonic())
            return self._last

    def _write(self) -> Probe:
        try:
            self._storage.run(lambda tx: tx.put(HEARTBEAT_KEY, f"{time.time():.3f}"))
        except Exception as exc:  # every failure of the store means "cannot take a write", reported as such
            return Probe(False, f"{type(exc).__name__}: {exc}", time.monotonic())
        finally:
            self._running.clear()
        return Probe(True, "a write committed", time.monotonic())
