"""What every route handler works with: the storage, the domain services, settings and metrics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import anyio.to_thread

from metalnet.api.auth import Authenticator
from metalnet.api.batching import Batcher
from metalnet.api.metrics import Metrics
from metalnet.api.settings import Settings
from metalnet.ipam import Ipamer
from metalnet.network import IP, IPRequest, NetworkService, allocation_key
from metalnet.storage.base import Storage

T = TypeVar("T")

#: backends whose calls wait on the network; their calls leave the event loop so requests overlap
NETWORKED_BACKENDS = frozenset({"postgres", "postgresql", "rethinkdb"})


@dataclass
class ApiContext:
    """One app's dependencies, captured by its route handlers (no module globals)."""

    storage: Storage
    settings: Settings
    ipam: Ipamer
    networks: NetworkService
    auth: Authenticator
    metrics: Metrics
    offload: bool
    ip_batcher: Batcher[IPRequest, IP] = field(init=False)

    def __post_init__(self) -> None:
        self.ip_batcher = Batcher(self.networks.allocate_ips, self.call, allocation_key,
                                  observe=self.metrics.batch_sizes.observe)

    @classmethod
    def build(cls, storage: Storage, settings: Settings) -> ApiContext:
        return cls(
            storage=storage,
            settings=settings,
            ipam=Ipamer(storage),
            networks=NetworkService(storage),
            auth=Authenticator(settings),
            metrics=Metrics(),
            offload=storage.name in NETWORKED_BACKENDS,
        )

    async def call(self, fn: Callable[[], T]) -> T:
        """Run a blocking domain call: inline for local stores (fastest), in a worker thread for networked ones."""
        if self.offload:
            return await anyio.to_thread.run_sync(fn)
        return fn()
