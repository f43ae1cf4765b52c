"""The app-wide guard: authenticates the caller and checks the role a route declares in ``opt["role"]``."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from metalnet.api.auth import ANONYMOUS_ADMIN, Authenticator, Principal
from metalnet.api.settings import Role

PRINCIPAL_KEY = "metalnet.principal"


def auth_guard(authenticator: Authenticator) -> Guard:
    """A guard for ``authenticator``; routes without ``opt["role"]`` (health, metrics, schema) are open."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        role: Role | None = handler.opt.get("role")
        if role is None:
            return
        headers = connection.headers
        principal = authenticator.authenticate(
            connection.scope["method"],  # type: ignore[typeddict-item]
            headers.get("authorization"),
            headers.get("x-date"),
            headers.get("x-data-salt"),
        )
        principal.require(role)
        connection.scope["state"][PRINCIPAL_KEY] = principal

    return guard


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The principal the guard stored for this request."""
    found: Principal = connection.scope["state"].get(PRINCIPAL_KEY, ANONYMOUS_ADMIN)
    return found
