"""Every request's deadline, set at its arrival: its storage work commits by then or is rolled back (503).

The deadline is carried in the request's context (:mod:`metalnet.storage.deadlines`), so the network
layer's and the IPAM core's run paths hand it to ``Storage.run`` whatever thread or batch the work ends
up on; an outage is then answered within the deadline, and nothing is committed after its client was
answered.
"""

from __future__ import annotations

from typing import Any

from metalnet.storage import deadlines

ASGIApp = Any


def with_deadline(app: ASGIApp, seconds: float) -> ASGIApp:
    """Wrap ``app`` so each HTTP request runs under a deadline ``seconds`` after it arrived."""

    async def bounded(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        with deadlines.deadline_scope(deadlines.after(seconds)):
            await app(scope, receive, send)

    return bounded
