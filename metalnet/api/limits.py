"""Request limits every route gets, in front of the app: an early 413 and a deadline for the body.

- A request that *declares* a body larger than ``max_body_bytes`` (``Content-Length``) is answered 413 at
  once, before a byte of the body is read, whatever its route (unknown routes included). A body that only
  turns out too large while it streams in is still refused by Litestar's own limit.
- A request whose body has not arrived ``body_timeout`` seconds after its headers did is answered 408 with
  ``Connection: close`` (when no response has started yet); the app then sees a disconnect, and whatever it
  still sends is dropped. This holds on HTTP/1.1 and HTTP/2 alike, because it is ASGI, not socket, code.

Both answers carry the error body of the route's face (metal-api's or Connect's), as every other error does.
"""

from __future__ import annotations

import asyncio
from typing import Any

from litestar.exceptions import HTTPException

from metalnet.api.exceptions import error_parts

ASGIApp = Any
_DISCONNECT = {"type": "http.disconnect"}


def _declared_length(scope: dict[str, Any]) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server's parser refuses a malformed one before we are called
    return None


async def _answer(send: Any, scope: dict[str, Any], status: int, detail: str) -> None:
    # an HTTPException: the error table answers it with this status, in the route's error body
    _, body, extra = error_parts(scope["path"], scope["method"], HTTPException(status_code=status, detail=detail))
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in extra.items()]
    if status == 408:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def with_limits(app: ASGIApp, *, max_body_bytes: int, body_timeout: float) -> ASGIApp:
    """Wrap ``app`` with the early 413 and the body deadline."""

    async def limited(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > max_body_bytes:
            await _answer(send, scope, 413, "request body too large")
            return
        deadline = asyncio.get_running_loop().time() + body_timeout
        state = {"body_done": not declared and not _chunked(scope), "started": False, "answered": False}

        async def timed_receive() -> Any:
            if state["body_done"]:
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                state["body_done"] = True
                if not state["started"]:
                    state["answered"] = True
                    await _answer(send, scope, 408, f"request body not received within {body_timeout:g} s")
                return _DISCONNECT
            if message["type"] != "http.request" or not message.get("more_body", False):
                state["body_done"] = True
            return message

        async def guarded_send(message: dict[str, Any]) -> None:
            if state["answered"]:
                return
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        await app(scope, timed_receive, guarded_send)

    return limited


def _chunked(scope: dict[str, Any]) -> bool:
    return any(name == b"transfer-encoding" for name, _ in scope["headers"])
