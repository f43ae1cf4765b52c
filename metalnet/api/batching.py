"""Group commit for the hot path: concurrent IP allocations share one storage transaction.

Under load many ``POST /v1/ip/allocate`` requests are parsed in the same turn of the event loop. Instead
of one transaction (and one commit) each, :class:`Batcher` collects the requests that arrive before its
flush runs and hands them to ``run_batch`` together; each request still gets its own result or error.

The batch itself is the network layer's (:meth:`metalnet.network.NetworkService.allocate_ips`: one
transaction, a refused request re-run alone, an outage failing the batch at once); this module only
queues requests and groups them by the key the network layer names (:func:`metalnet.network.allocation_key`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

from metalnet.storage import deadlines

Item = TypeVar("Item")
Result = TypeVar("Result")
#: a submitted item and the future its submitter waits on
Pending = tuple[Item, "asyncio.Future[Result]"]
#: what a batch run returns: one result or exception per item, in order
Outcomes = Sequence[Result | Exception]

#: the most requests one transaction carries (bounds the latency a batch adds to its first request)
MAX_BATCH = 64


class Batcher(Generic[Item, Result]):
    """Collects items submitted in the same event-loop turn and runs them as one batch.

    Args:
        run_batch: runs a batch, returning one result or exception per item, in order.
        call: how to run blocking work (inline, or in a worker thread).
        key: items with different keys never share a batch.
        max_batch: the largest batch.
        observe: called with the size of every batch run (a metric).
    """

    def __init__(
        self,
        run_batch: Callable[[list[Item]], Outcomes[Result]],
        call: Callable[[Callable[[], Outcomes[Result]]], Awaitable[Outcomes[Result]]],
        key: Callable[[Item], Hashable],
        max_batch: int = MAX_BATCH,
        observe: Callable[[int], None] | None = None,
    ) -> None:
        self._observe = observe
        self._run_batch = run_batch
        self._call = call
        self._key = key
        self._max = max_batch
        self._pending: list[tuple[Item, asyncio.Future[Result]]] = []
        #: each waiting request's deadline (the context it was submitted in is not the batch's)
        self._deadlines: dict[asyncio.Future[Result], float | None] = {}
        self._flushing = False
        self._task: asyncio.Future[None] | None = None

    async def submit(self, item: Item) -> Result:
        """Queue ``item`` for the next batch and wait for its result (its exception is raised here)."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        self._deadlines[future] = deadlines.current()
        if not self._flushing:
            self._flushing = True
            # the flush runs after the callbacks already queued in this turn: their requests join the batch
            asyncio.get_running_loop().call_soon(self._start_flush)
        return await future

    def _start_flush(self) -> None:
        # the loop keeps only weak references to tasks: without this one a flush could vanish mid-way
        self._task = asyncio.ensure_future(self._flush())

    async def _flush(self) -> None:
        try:
            while self._pending:
                pending, self._pending = self._pending, []
                await self._run_all(pending)
                await asyncio.sleep(0)  # let requests that arrived meanwhile queue up for the next batch
        finally:
            self._flushing = False

    async def _run_all(self, pending: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        """Run ``pending`` in batches; requests a broken callback (key, metric) left unanswered get its error."""
        try:
            # different keys take different locks: on networked stores (worker threads) they run in parallel
            outcomes = await asyncio.gather(*(self._run(batch) for batch in self._batches(pending)),
                                            return_exceptions=True)
            error = next((o for o in outcomes if isinstance(o, Exception)), None)
        except Exception as exc:
            error = exc
        for _, future in pending:
            if not future.done():  # no request may wait forever
                future.set_exception(error or RuntimeError("the request was left out of its batch"))

    def _batches(self, pending: list[Pending[Item, Result]]) -> list[list[Pending[Item, Result]]]:
        groups: dict[Hashable, list[Pending[Item, Result]]] = {}
        for entry in pending:
            groups.setdefault(self._key(entry[0]), []).append(entry)
        return [group[start : start + self._max] for group in groups.values()
                for start in range(0, len(group), self._max)]

    async def _run(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        items = [item for item, _ in batch]
        if self._observe is not None:
            self._observe(len(items))
        # the batch commits by its members' earliest deadline: none of them is ever answered after its own
        given = [d for d in (self._deadlines.pop(future, None) for _, future in batch) if d is not None]
        deadline = min(given, default=None)

        def run() -> Outcomes[Result]:
            with deadlines.deadline_scope(deadline):
                return self._run_batch(items)

        results: Outcomes[Result]
        try:
            results = await self._call(run)
            if len(results) != len(batch):
                raise RuntimeError(f"a batch of {len(batch)} requests returned {len(results)} results")
        except Exception as exc:  # the batch failed as a whole: every item gets the error
            results = [exc] * len(batch)
        for (_, future), result in zip(batch, results, strict=True):
            if future.cancelled():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)
