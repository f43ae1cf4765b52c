"""Request limits every route gets, in front of the app: an early 413 and a deadline for the body.

- A request that *declares* a body larger than ``max_body_bytes`` (``Content-Length``) is answered 413 at
  once, before a byte of the body is read, whatever its route (unknown routes included). A body that only
  turns out too large while it streams in is still refused by Litestar's own limit.
- A request whose body has not arrived ``body_timeout`` seconds after its headers did is answered 408 with
  ``Connection: close`` (when no response has started yet). This holds on HTTP/1.1 and HTTP/2 alike,
  because it is ASGI, not socket, code.

Both answers carry the error body of the route's face (metal-api's or Connect's), as every other error does.
"""

from __future__ import annotations

import asyncio
from typing import Any

from litestar.exceptions import HTTPException

from metalnet.api.exceptions import error_parts
from metalnet.storage import deadlines

ASGIApp = Any


def _declared_length(scope: dict[str, Any]) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server's parser refuses a malformed one before we are called
    return None


async def answer(send: Any, scope: dict[str, Any], status: int, detail: str) -> None:
    """Send the error response ``status`` with ``detail`` in the route's error body."""
    # an HTTPException: the error table answers it with this status, in the route's error body
    _, body, extra = error_parts(scope["path"], scope["method"], HTTPException(status_code=status, detail=detail))
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in extra.items()]  # a 503's Retry-After included
    if status == 408:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def with_limits(app: ASGIApp, *, max_body_bytes: int, body_timeout: float,
                request_deadline: float | None = None) -> ASGIApp:
    """Wrap ``app`` with the early 413 and the body deadline; with ``request_deadline`` (seconds), each HTTP
    request also runs under the deadline that many seconds after it arrived (:mod:`metalnet.storage.deadlines`:
    the body's time counts too). One wrapper for all three: each layer of its own cost a coroutine per request.
    """

    async def limited(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        token = None if request_deadline is None else deadlines.enter(deadlines.after(request_deadline))
        try:
            declared = _declared_length(scope)
            if declared is not None and declared > max_body_bytes:
                await answer(send, scope, 413, "request body too large")
                return
            if not declared and not _chunked(scope):
                await app(scope, receive, send)  # no body to wait for
                return
            await _with_body_deadline(app, scope, receive, send, body_timeout)
        finally:
            if token is not None:
                deadlines.leave(token)

    return limited


async def _with_body_deadline(app: ASGIApp, scope: dict[str, Any], receive: Any, send: Any, seconds: float) -> None:
    """Run ``app``; if the body is not in and no response started after ``seconds``, answer 408 instead.

    One timer per request, cancelled as soon as the last body chunk arrives or a response starts; when it
    fires the request's task is cancelled — the app can only be waiting for the body then, before any work
    of its own — and the 408 is sent in its place.
    """
    task = asyncio.current_task()
    assert task is not None  # an ASGI app always runs in a task
    expired = False

    def expire() -> None:
        nonlocal expired
        expired = True
        task.cancel()

    timer = asyncio.get_running_loop().call_later(seconds, expire)

    async def body_receive() -> Any:
        message = await receive()
        if not message.get("more_body", False):
            timer.cancel()
        return message

    async def tracking_send(message: dict[str, Any]) -> None:
        timer.cancel()
        await send(message)

    try:
        await app(scope, body_receive, tracking_send)
    except asyncio.CancelledError:
        if not expired or task.uncancel() > 0:
            raise  # a cancellation that is not ours (shutdown, client gone)
        await answer(send, scope, 408, f"request body not received within {seconds:g} s")
    finally:
        timer.cancel()


def _chunked(scope: dict[str, Any]) -> bool:
    return any(name == b"transfer-encoding" for name, _ in scope["headers"])
