"""``/v1/events``: the history of changes, read in pages or followed as server-sent events (docs/history.md).

- ``GET /v1/events?after=N&limit=M&kind=&id=&project=&since=`` → ``{"oldest": O, "newest": N, "events": [...]}``
  in sequence order. ``oldest``/``newest`` bound what the store holds: a reader whose last number is below
  ``oldest - 1`` missed events that retention pruned.
- ``GET /v1/events/stream`` (same filters): ``text/event-stream``, one message per event with ``id:`` = its
  sequence number; a reconnect with ``Last-Event-ID: n`` (or ``?after=n``) resumes with event ``n + 1``, across
  server restarts. A reader that asks for pruned events first gets an ``event: gap`` message saying so.

Authorization as for reads (role view); a project-bound token sees only the events of its project.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from functools import partial
from typing import Any, cast

import msgspec
from litestar import Request, Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.response import Stream
from prometheus_client import Gauge
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from metalnet.api.context import ApiContext
from metalnet.api.documented_errors import v1_errors
from metalnet.api.errors import BadRequestError
from metalnet.api.guards import principal_of
from metalnet.api.settings import Role
from metalnet.history.model import KINDS, wire
from metalnet.history.retention import parse_since
from metalnet.network.access import check_owner
from metalnet.storage.event_log import EventBounds, EventFilter, StoredEvent

TAGS = ["events"]
Req = Request[Any, Any, Any]
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
#: how often a process looks for new events while a stream is open (bounds the delivery delay)
POLL_SECONDS = 0.01
#: a comment line this often keeps proxies from closing an idle stream
KEEPALIVE_SECONDS = 15.0
_STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
#: bad parameters, credentials, a foreign project, the store unavailable
ERRORS = v1_errors((400, 401, 403, 503))


class EventPage(msgspec.Struct):
    """The answer of ``GET /v1/events`` (what the OpenAPI document shows; the server splices stored events)."""

    oldest: int
    newest: int
    #: see docs/history.md, "An event"
    events: list[dict[str, Any]]


class EventHub:
    """Tells the open streams of this process when the store's newest event number grows.

    One poll of the store per ``interval`` while any stream is open, however many there are, so commits of
    other processes and workers are seen within it; a change recorded in this process (:meth:`poke`, called
    by the history as it records) makes the next poll come at once, after the current callback — by then an
    inline transaction has committed (a transaction in a worker thread may not have: the regular poll
    catches it).
    """

    def __init__(self, newest: Callable[[], Awaitable[int]], interval: float = POLL_SECONDS) -> None:
        self._read_newest = newest
        self._interval = interval
        self.newest = 0
        self.streams = 0
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def open(self) -> None:
        self.streams += 1
        self._loop = asyncio.get_running_loop()
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._poll())

    def poke(self) -> None:
        """A change was recorded in this process (any thread): look for it now rather than at the next poll."""
        loop = self._loop
        if self.streams > 0 and loop is not None and not self._wake.is_set():
            loop.call_soon_threadsafe(self._wake.set)

    def close(self) -> None:
        self.streams -= 1

    async def wait_beyond(self, position: int, timeout: float) -> None:
        """Return once the newest number exceeds ``position``, or after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while self.newest <= position:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                return

    async def _poll(self) -> None:
        while self.streams > 0:
            try:
                newest = await self._read_newest()
            except Exception:  # the store is briefly unavailable: the streams wait, the next poll retries
                newest = self.newest
            if newest != self.newest:
                self.newest = newest
                changed, self._changed = self._changed, asyncio.Event()
                changed.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()


class _NewestCollector(Collector):
    """``metalnet_history_newest_seq`` / ``metalnet_history_oldest_seq``, read from the store at scrape time."""

    def __init__(self, bounds: Callable[[], EventBounds]) -> None:
        self._bounds = bounds

    def collect(self) -> Iterator[Metric]:
        try:
            bounds = self._bounds()
        except Exception:  # a scrape must not fail because the store is briefly unavailable
            return
        yield GaugeMetricFamily("metalnet_history_newest_seq", "sequence number of the newest event",
                                value=bounds.newest)
        yield GaugeMetricFamily("metalnet_history_oldest_seq", "smallest retained sequence number",
                                value=bounds.oldest)

    def describe(self) -> Iterator[Metric]:
        return iter(())


def _int(params: Any, name: str, default: int, low: int, high: int | None = None) -> int:
    text = params.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise BadRequestError(f"{name} {text!r} is not an integer") from None
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise BadRequestError(f"{name} {value} must be {bounds}")
    return value


def _filter(request: Req) -> EventFilter:
    """The filters of the query, with a project-bound caller limited to its own project."""
    params = request.query_params
    kind = params.get("kind") or None
    if kind is not None and kind not in KINDS:
        raise BadRequestError(f"kind {kind!r} is unknown: use one of {', '.join(KINDS)}")
    project = params.get("project") or None
    principal = principal_of(request)
    if project is not None:  # the network layer's rule: a bound caller reads its own project's resources only
        check_owner(principal.project, project)
    since = params.get("since") or None
    try:
        at = None if since is None else parse_since(since, time.time())
    except ValueError as exc:
        raise BadRequestError(str(exc)) from None
    return EventFilter(kind=kind, ident=params.get("id") or None, project=project or principal.project, since=at)


def _page(bounds: EventBounds, events: list[StoredEvent]) -> bytes:
    items = ",".join(wire(event.seq, event.at, event.body) for event in events)
    return f'{{"oldest":{bounds.oldest},"newest":{bounds.newest},"events":[{items}]}}'.encode()


def _message(event: StoredEvent) -> bytes:
    return f"id: {event.seq}\ndata: {wire(event.seq, event.at, event.body)}\n\n".encode()


def event_handlers(ctx: ApiContext) -> list[HTTPRouteHandler]:
    storage = ctx.storage

    async def newest() -> int:
        return (await ctx.call(storage.event_bounds)).newest

    hub = EventHub(newest)
    if ctx.networks.history is not None:
        ctx.networks.history.listeners.append(hub.poke)
    if ctx.ipam.history is not None and ctx.ipam.history is not ctx.networks.history:
        ctx.ipam.history.listeners.append(hub.poke)
    open_streams = Gauge("metalnet_history_streams", "open event streams", registry=ctx.metrics.registry,
                         multiprocess_mode="livesum")
    ctx.metrics.add_collector(_NewestCollector(storage.event_bounds))

    @get("/v1/events", operation_id="listEvents", responses=ERRORS, tags=TAGS, opt={"role": Role.VIEW})
    async def list_events(request: Req) -> Response[EventPage]:
        """Events after ``after`` in sequence order, at most ``limit`` (1–1000, default 100)."""
        params = request.query_params
        after = _int(params, "after", 0, 0)
        limit = _int(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        where = _filter(request)

        def read() -> tuple[EventBounds, list[StoredEvent]]:
            # the bounds first: every event up to ``newest`` is visible to the read that follows
            return storage.event_bounds(), storage.read_events(after, limit, where)

        bounds, events = await ctx.call(read)
        # the stored bodies go out as they are: no decode and re-encode of each event's states
        return cast("Response[EventPage]", Response(_page(bounds, events), media_type="application/json"))

    # not in the OpenAPI document: a never-ending text/event-stream is beyond what it describes (docs/history.md)
    @get("/v1/events/stream", operation_id="streamEvents", tags=TAGS, opt={"role": Role.VIEW},
         include_in_schema=False)
    async def stream_events(request: Req) -> Stream:
        """Server-sent events from ``Last-Event-ID`` (or ``after``) on, then each new one as it commits."""
        where = _filter(request)
        resume = request.headers.get("last-event-id")
        after = _int({"Last-Event-ID": resume}, "Last-Event-ID", 0, 0) if resume else _int(
            request.query_params, "after", -1, -1)
        return Stream(_follow(after, where), media_type="text/event-stream", headers=_STREAM_HEADERS)

    async def _follow(after: int, where: EventFilter) -> AsyncIterator[bytes]:
        hub.open()
        open_streams.inc()
        try:
            bounds = await ctx.call(storage.event_bounds)
            position = bounds.newest if after < 0 else after  # no position given: only what comes next
            if position < bounds.oldest - 1:
                gap = msgspec.json.encode({"after": position, "oldest": bounds.oldest})
                yield b"event: gap\ndata: " + gap + b"\n\n"
            yield b"retry: 1000\n\n"
            while True:
                newest = (await ctx.call(storage.event_bounds)).newest
                hub.newest = max(hub.newest, newest)
                if newest > position:
                    events = await ctx.call(partial(storage.read_events, position, MAX_LIMIT, where))
                    for event in events:
                        yield _message(event)
                    if len(events) == MAX_LIMIT:
                        position = events[-1].seq
                        continue
                    # everything up to ``newest`` was visible to that read, so the filter saw it all; the read
                    # may also have found events committed after ``newest`` was read
                    position = max(newest, events[-1].seq if events else position)
                    continue
                before = time.monotonic()
                await hub.wait_beyond(position, KEEPALIVE_SECONDS)
                if hub.newest <= position and time.monotonic() - before >= KEEPALIVE_SECONDS:
                    yield b": keepalive\n\n"
        finally:
            open_streams.dec()
            hub.close()

    return [list_events, stream_events]
