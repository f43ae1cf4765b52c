"""The connection protocol uvicorn runs for every connection: HTTP/1.1 by httptools, cleartext HTTP/2 by h2.

uvicorn (with httptools and uvloop) is the fastest server measured for this app (docs/api.md, "Choosing the
server"), but speaks neither HTTP/2 nor closes a connection that never completes its headers. This subclass of
its httptools protocol adds exactly that:

- **Cleartext HTTP/2 with prior knowledge** on the same port: a connection whose first bytes are the HTTP/2
  preface is handed, bytes and socket, to hypercorn's connection handler (its HTTP/2 stack over the ``h2``
  library: streams, flow control, settings), which serves the same ASGI app.
- **A header deadline**: from the moment a connection is accepted, and from the first byte of every further
  request on it, the complete header block must arrive within ``header_timeout`` or the connection is
  closed (silent and slowloris connections).
- **A connection cap**: a request on a worker with more than ``max_connections`` open connections is answered
  503 at once, with the API's error body and ``Retry-After`` (uvicorn's ``limit_concurrency`` would answer
  in plain text). Idle keep-alive (``timeout_keep_alive``) is uvicorn's own; the body deadline and the early
  413 live in the ASGI layer (:mod:`metalnet.api.limits`), so they hold for HTTP/2 too.
- **One write per small response**: uvicorn writes a response's header block and its body with two writes,
  which with ``TCP_NODELAY`` are two packets (and two wake-ups of the client). The header block is held back
  until the body follows in the same turn of the event loop and both leave in one write; a response whose
  body comes later (a stream) gets its header block sent at the end of that turn.
- ``TCP_NODELAY`` on every connection: with ``--workers`` uvicorn creates the listening socket itself
  (protocol number 0), asyncio then leaves Nagle on, and each response waited ~40 ms for the client's
  delayed ACK.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
from typing import Any

import uvicorn
from hypercorn.app_wrappers import ASGIWrapper
from hypercorn.asyncio.tcp_server import TCPServer
from hypercorn.asyncio.worker_context import WorkerContext
from hypercorn.config import Config as HypercornConfig
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from metalnet.api.limits import answer

#: what an HTTP/2 client with prior knowledge sends first (RFC 9113, 3.4)
H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


class ServerConfig(uvicorn.Config):
    """uvicorn's configuration plus the header deadline and the connection cap (pickled to worker processes)."""

    def __init__(self, app: Any, *, header_timeout: float, max_connections: int, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.header_timeout = header_timeout
        self.max_connections = max_connections


async def _busy(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The answer beyond the connection cap: 503 with the route's error body and ``Retry-After``."""
    await answer(send, scope, 503, "server busy: too many open connections, retry shortly")


def _no_delay(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class CoalescingTransport:
    """A connection's transport whose writes of one event-loop turn leave as one write (see module doc).

    The first write is held and a flush is scheduled for the end of the turn; the next write sends both at
    once. Everything else is the transport's own.
    """

    __slots__ = ("_flush_scheduled", "_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None
        self._flush_scheduled = False

    def write(self, data: bytes) -> None:
        held = self._held
        if held is None:
            self._held = bytes(data)
            if not self._flush_scheduled:
                self._flush_scheduled = True
                self._loop.call_soon(self._flush)
            return
        self._held = None
        self._transport.write(held + data)

    def _flush(self) -> None:
        self._flush_scheduled = False
        self.flush()

    def flush(self) -> None:
        """Send what is held now."""
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


@functools.cache
def _h2_config(keep_alive_timeout: float) -> HypercornConfig:
    """hypercorn's settings for the HTTP/2 connections of a server (one object, not one per connection)."""
    h2 = HypercornConfig()
    # a connection without open streams (also one that sent the preface and nothing since, or only part of a
    # frame) is closed after this; no read timeout besides, so a slow answer does not cut its connection
    h2.keep_alive_timeout = keep_alive_timeout
    h2.read_timeout = None
    h2.include_server_header = False
    h2.accesslog = None
    h2.errorlog = logging.getLogger("hypercorn.error")  # a logger: hypercorn then adds no handler of its own
    return h2


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header deadline and a hand-over of HTTP/2 connections."""

    def __init__(self, config: uvicorn.Config, server_state: Any, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._header_timeout: float = getattr(config, "header_timeout", 10.0)
        self._max_connections: int | None = getattr(config, "max_connections", None)
        self._deadline: asyncio.TimerHandle | None = None
        #: bytes seen before we know whether the connection speaks HTTP/1 or HTTP/2 (None: decided)
        self._opening: bytes | None = b""
        self._h2 = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        _no_delay(transport)
        super().connection_made(transport)
        self._raw_transport = transport
        # the requests' cycles write through it: a small response leaves in one write
        self.transport = CoalescingTransport(transport, self.loop)  # type: ignore[assignment]
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._opening is not None:
            data = self._opening + data
            if H2_PREFACE.startswith(data[: len(H2_PREFACE)]):
                if len(data) < len(H2_PREFACE):
                    self._opening = data
                    return
                self._hand_over_to_h2(data)
                return
            self._opening = None
        if self._deadline is None and (self.cycle is None or self.cycle.response_complete):
            self._arm()  # the first byte of a further request on a kept-alive connection
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._disarm()
        cap = self._max_connections
        if cap is not None and (len(self.connections) > cap or len(self.tasks) >= cap):
            # uvicorn's own limit answers in plain text; this one in the API's error body
            app, self.app = self.app, _busy
            try:
                super().on_headers_complete()
            finally:
                self.app = app
            return
        super().on_headers_complete()

    def _arm(self) -> None:
        self._deadline = self.loop.call_later(self._header_timeout, self._header_deadline_passed)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _header_deadline_passed(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def _hand_over_to_h2(self, opening: bytes) -> None:
        """Give the connection to hypercorn's HTTP/2 handler; it stays counted until it closes."""
        self._disarm()
        self._opening, self._h2 = None, True
        self.transport = self._raw_transport  # nothing was written through the coalescing one yet
        loop = self.loop
        reader = asyncio.StreamReader(loop=loop)
        stream = asyncio.StreamReaderProtocol(reader, loop=loop)
        self.transport.set_protocol(stream)
        stream.connection_made(self.transport)
        reader.feed_data(opening)
        writer = asyncio.StreamWriter(self.transport, stream, reader, loop)
        server = TCPServer(ASGIWrapper(self.app), loop, _h2_config(self.config.timeout_keep_alive), WorkerContext(None),
                           self.app_state, reader, writer)
        task = loop.create_task(server.run())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        task.add_done_callback(lambda _: self.connections.discard(self))

    def shutdown(self) -> None:
        if self._h2:
            self.transport.close()  # hypercorn's handler sees the close and cancels its streams
            return
        super().shutdown()
