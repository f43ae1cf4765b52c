"""What the v2 services share: the network layer, how blocking calls run, the IP allocation batcher."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from metalnet.api.context import ApiContext
from metalnet.network import IP, IPAllocate, IPRequest, NetworkService
from metalnet.network.ids import new_id

T = TypeVar("T")


class HasMeta(Protocol):
    @property
    def meta(self) -> object: ...


M = TypeVar("M", bound=HasMeta)


@dataclass
class Runtime:
    """The network layer as v2 reads it (``available_prefixes`` counts free blocks) and the app's plumbing."""

    ctx: ApiContext
    networks: NetworkService

    @classmethod
    def of(cls, ctx: ApiContext) -> Runtime:
        return cls(ctx, NetworkService(ctx.storage, vrf_range=ctx.networks.vrf_range, count_blocks=True))

    def read(self, fn: Callable[[], T]) -> Awaitable[T]:
        return self.ctx.call(fn)

    def write(self, fn: Callable[[], T]) -> Awaitable[T]:
        return self.ctx.write(fn)

    async def allocate_ip(self, request: IPAllocate, specific: str | None, acting_for: str | None) -> IP:
        ip = await self.ctx.ip_batcher.submit(IPRequest(request, specific, acting_for))
        self.ctx.metrics.allocated("ip", "IPv6" if ":" in ip.ipaddress else "IPv4")
        return ip


def deleted(message: M) -> M:
    """A deleted entity as metal-stack returns it: the old record with ``meta.deletion_task_id`` set
    (the delete ran to completion before the answer; the id names it)."""
    message.meta.deletion_task_id = new_id()  # type: ignore[attr-defined]
    return message
