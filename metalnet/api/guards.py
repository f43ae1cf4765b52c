"""The app-wide access check: authenticates the caller and checks the role a route declares in ``opt["role"]``.

It runs as the app's ``before_request`` hook rather than as a Litestar guard: Litestar copies the route
handler object for every guard call, which costs more than the whole check.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection

from metalnet.api.actors import act
from metalnet.api.auth import ANONYMOUS_ADMIN, Authenticator, Principal
from metalnet.api.settings import Role

PRINCIPAL_KEY = "metalnet.principal"


AccessCheck = Callable[[Request[Any, Any, Any]], Awaitable[None]]


def access_check(authenticator: Authenticator) -> AccessCheck:
    """The hook for ``authenticator``; routes without ``opt["role"]`` (health, metrics, schema) are open."""

    async def check(request: Request[Any, Any, Any]) -> None:
        # async on purpose: Litestar would run a sync hook in a worker thread
        role: Role | None = request.route_handler.opt.get("role")
        if role is None:
            return
        headers = request.headers
        principal = authenticator.authenticate(
            request.method, headers.get("authorization"), headers.get("x-date"), headers.get("x-data-salt")
        )
        principal.require(role)
        request.scope["state"][PRINCIPAL_KEY] = principal
        act(principal, authenticator.enabled, request.scope)  # type: ignore[arg-type]

    return check


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The principal the guard stored for this request."""
    found: Principal = connection.scope["state"].get(PRINCIPAL_KEY, ANONYMOUS_ADMIN)
    return found
