"""A lean path for the hottest call, ``POST /v1/ip/allocate``, in front of the Litestar app.

Litestar's per-request machinery (kwargs model, signature validation, response objects) costs about as
much CPU as the allocation itself. This ASGI wrapper serves exactly that one route with the same
pieces the Litestar route uses — :class:`~metalnet.api.auth.Authenticator`, the wire model, the group
commit batcher, the response conversion and the error table — and hands every other request to Litestar.
The Litestar route stays registered (OpenAPI, and ``Settings(fast_path=False)``); the API tests run the
IP allocation cases through both, and tests/api/test_hotpath.py pins that both answer, count and log the
same requests alike.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar._asgi.utils import is_valid_host

from metalnet.api import v1_wire as w
from metalnet.api.bodies import decode_body
from metalnet.api.context import ApiContext
from metalnet.api.errors import BodyTooLargeError
from metalnet.api.exceptions import error_parts
from metalnet.api.settings import Role
from metalnet.api.v1_convert import family_of, ip_response, to_domain
from metalnet.network import IPAllocate, IPRequest

ROUTE = "/v1/ip/allocate"
AUTH_HEADERS = (b"authorization", b"x-date", b"x-data-salt")
_encoder = msgspec.json.Encoder()
_JSON = (b"content-type", b"application/json")


async def _read_body(receive: Any, limit: int) -> bytes:
    chunks = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError("request body too large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _auth_headers(scope: dict[str, Any]) -> list[str | None]:
    """The Authorization, X-Date and X-Data-Salt header values (``None`` when absent)."""
    found: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        if name in AUTH_HEADERS:
            found[name] = value.decode("latin-1")
    return [found.get(name) for name in AUTH_HEADERS]


def _serves(scope: dict[str, Any]) -> bool:
    """Whether the lean path serves this request; anything unusual goes to Litestar, which answers it.

    Litestar refuses a malformed ``Host`` header (400) before routing and strips a ``root_path``; handing
    such requests over keeps the two paths' answers identical without copying those rules.
    """
    if scope["type"] != "http" or scope["method"] != "POST" or scope["path"].rstrip("/") != ROUTE:
        return False
    if scope.get("root_path"):
        return False
    if any(name == b"idempotency-key" for name, _ in scope["headers"]):
        return False  # a keyed request needs the key check in its transaction (metalnet.api.idempotency)
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    return host is None or is_valid_host(host)


def with_hot_path(app: Any, ctx: ApiContext) -> Any:
    """Wrap the ASGI ``app`` so ``POST /v1/ip/allocate`` is served directly."""
    authenticate, limit = ctx.auth.authenticate, ctx.settings.max_body_bytes

    async def allocate(scope: dict[str, Any], receive: Any) -> tuple[int, bytes, dict[str, str]]:
        try:
            authorization, date, salt = _auth_headers(scope)
            principal = authenticate("POST", authorization, date, salt)
            principal.require(Role.EDIT)
            data = decode_body(await _read_body(receive, limit), w.V1IPAllocateRequest)
            ip = await ctx.ip_batcher.submit(IPRequest(to_domain(data, IPAllocate), None, principal.project))
        except Exception as exc:  # every error becomes its response, exactly as on the Litestar route
            return error_parts(ROUTE, "POST", exc)
        ctx.metrics.allocated("ip", family_of(ip.ipaddress))
        return 201, _encoder.encode(ip_response(ip)), {}

    async def hot(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not _serves(scope):
            await app(scope, receive, send)
            return
        scope["path"] = scope["path_template"] = ROUTE  # as Litestar normalises it: logs show one path
        status, body, extra = await allocate(scope, receive)
        headers = [_JSON, (b"content-length", str(len(body)).encode())]
        headers += [(k.lower().encode(), v.encode()) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return hot
