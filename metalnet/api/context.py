"""What every route handler works with: the storage, the domain services, settings and metrics.

Storage calls block, and the event loop must never wait on them: a worker waiting for SQLite's write lock
(up to its timeout) or for a database's answer would stall every request it holds. So every storage call
of a store that can wait leaves the loop (:meth:`ApiContext.call` for reads, :meth:`ApiContext.write` for
writes); only the in-memory store, which never waits, runs inline (fastest). SQLite admits one writer at a
time, so its writes queue on one thread per store (in order, no two threads fighting over the lock in
SQLite's sleeping busy handler) while its reads, which never wait for the write lock in WAL mode, run on
a few threads of their own beside it. These threads live as long as the app: SQLite keeps one connection per
thread, and threads that come and go (the shared worker pool's) would leave a connection each behind.
Networked stores run both in the shared worker threads, in parallel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import anyio.to_thread

from metalnet.api.auth import Authenticator
from metalnet.api.batching import Batcher
from metalnet.api.metrics import Metrics
from metalnet.api.settings import Settings
from metalnet.ipam import Ipamer
from metalnet.network import IP, IPRequest, NetworkService, allocation_key
from metalnet.storage import deadlines
from metalnet.storage.base import Storage

T = TypeVar("T")

#: backends whose calls never wait (no lock another process holds, no network): they run on the loop
INLINE_BACKENDS = frozenset({"memory"})
#: backends with one write lock per store: their writes run one after the other on the store's own thread
SERIAL_WRITE_BACKENDS = frozenset({"sqlite"})
#: reads of such a store at once (each reader thread keeps its own connection)
READER_THREADS = 4


@dataclass
class ApiContext:
    """One app's dependencies, captured by its route handlers (no module globals)."""

    storage: Storage
    settings: Settings
    ipam: Ipamer
    networks: NetworkService
    auth: Authenticator
    metrics: Metrics
    #: whether storage calls leave the event loop (every store that can wait)
    offload: bool
    #: the thread every write of a serial-write store runs on (``None``: writes run like reads)
    writer: ThreadPoolExecutor | None = None
    #: the threads the reads of a serial-write store run on (``None``: the shared worker threads)
    readers: ThreadPoolExecutor | None = None
    ip_batcher: Batcher[IPRequest, IP] = field(init=False)

    def __post_init__(self) -> None:
        self.ip_batcher = Batcher(self.networks.allocate_ips, self.write, allocation_key,
                                  observe=self.metrics.batch_sizes.observe)

    @classmethod
    def build(cls, storage: Storage, settings: Settings) -> ApiContext:
        serial = storage.name in SERIAL_WRITE_BACKENDS
        return cls(
            storage=storage,
            settings=settings,
            ipam=Ipamer(storage),
            networks=NetworkService(storage),
            auth=Authenticator(settings),
            metrics=Metrics(),
            offload=storage.name not in INLINE_BACKENDS,
            # the thread starts with the first write (after any fork of the worker processes)
            writer=ThreadPoolExecutor(1, thread_name_prefix=f"metalnet-{storage.name}-writer") if serial else None,
            readers=ThreadPoolExecutor(READER_THREADS, thread_name_prefix=f"metalnet-{storage.name}-reader")
            if serial else None,
        )

    async def call(self, fn: Callable[[], T]) -> T:
        """Run a blocking call that does not write: inline for the in-memory store, else in a worker thread."""
        if not self.offload:
            return fn()
        if self.readers is not None:  # an executor does not copy the context: the request's deadline is carried
            return await asyncio.get_running_loop().run_in_executor(self.readers, deadlines.carried(fn))
        return await anyio.to_thread.run_sync(fn)

    async def write(self, fn: Callable[[], T]) -> T:
        """Run a blocking call that writes: inline for the in-memory store, else off the loop (see module doc)."""
        if not self.offload:
            return fn()
        if self.writer is not None:
            return await asyncio.get_running_loop().run_in_executor(self.writer, deadlines.carried(fn))
        return await anyio.to_thread.run_sync(fn)
