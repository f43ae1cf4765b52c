"""What every route handler works with: the storage, the domain services, settings and metrics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import anyio.to_thread

from metalnet.api.actors import PerActor
from metalnet.api.auth import Authenticator
from metalnet.api.batching import Batcher, IPRequest, allocate_ips, ip_batch_key
from metalnet.api.metrics import Metrics
from metalnet.api.settings import Settings
from metalnet.history import History
from metalnet.ipam import Ipamer
from metalnet.network import IP, NetworkService
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
    ip_batcher: Batcher[IPRequest, IP] | PerActor[IPRequest, IP] = field(init=False)

    def __post_init__(self) -> None:
        networks = self.networks

        def batcher() -> Batcher[IPRequest, IP]:
            return Batcher(lambda batch: allocate_ips(networks, batch), self.call, ip_batch_key,
                           observe=self.metrics.batch_sizes.observe)

        # with a history a batch records one actor, so each actor gets its batcher
        self.ip_batcher = batcher() if networks.history is None else PerActor(batcher)

    @classmethod
    def build(cls, storage: Storage, settings: Settings) -> ApiContext:
        history = History() if settings.history.enabled else None
        return cls(
            storage=storage,
            settings=settings,
            ipam=Ipamer(storage, history=history),
            networks=NetworkService(storage, history=history),
            auth=Authenticator(settings),
            metrics=Metrics(),
            offload=storage.name in NETWORKED_BACKENDS,
        )

    async def call(self, fn: Callable[[], T]) -> T:
        """Run a blocking domain call: inline for local stores (fastest), in a worker thread for networked ones."""
        if self.offload:
            return await anyio.to_thread.run_sync(fn)
        return fn()
