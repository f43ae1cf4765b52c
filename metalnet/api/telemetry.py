"""One structured log line and the request metrics for every HTTP request, unmatched routes included.

This wraps the app's ASGI handler (outside routing), so 404s, 405s and 413s are counted and logged too.
Each response carries ``X-Request-Id`` (the client's, if it sent a sane one, else a fresh one); the log line
is JSON: ``{"ts": <unix seconds>, "event": "request", "method", "path", "status", "duration_ms",
"request_id"}``. Query strings
and headers are never logged (they may carry secrets).
"""

from __future__ import annotations

import logging
import os
import random
import time
from typing import Any

import msgspec

from metalnet.api.metrics import Metrics

ASGIApp = Any
log = logging.getLogger("metalnet.api.access")
_encode = msgspec.json.Encoder().encode


#: the methods metrics name; any other is counted as "OTHER" so clients cannot mint label values at will
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_generator = random.Random()  # seeded from the system's randomness at import, and again in a forked child
os.register_at_fork(after_in_child=_generator.seed)
_random_bits = _generator.getrandbits
_ID_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def _request_id(scope: dict[str, Any]) -> bytes:
    """The client's ``X-Request-Id`` when it is short and plain (it is echoed into logs), else a new one."""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id" and 0 < len(value) <= 64 and _ID_CHARS.issuperset(value):
            return bytes(value)
    # 64 random bits from the process's generator: an id to find a request by, no secret (no system call)
    return b"%016x" % _random_bits(64)


def instrument(app: ASGIApp, metrics: Metrics, *, log_requests: bool) -> ASGIApp:
    """Wrap ``app`` so every HTTP request is measured and logged."""

    async def instrumented(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        status = 500

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", request_id)]
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("path_template") or "unmatched"
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            metrics.observe_request(method, route, status, elapsed)
            if log_requests and log.isEnabledFor(logging.INFO):
                line = {
                    "ts": round(time.time(), 3), "event": "request", "method": scope["method"],
                    "path": scope["path"], "status": status,
                    "duration_ms": round(elapsed * 1000, 3), "request_id": request_id.decode(),
                }
                log.info(_encode(line).decode())

    return instrumented
