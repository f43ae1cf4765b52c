"""Who makes a change and through which route, for the events it records.

The API sets the actor of a request once it has authenticated it (:func:`acting_as` or
:func:`set_actor`); the recorder reads it when the change is made. A context variable carries it from the
request to the storage call without a parameter through every layer: asyncio tasks and worker threads
started with ``anyio.to_thread.run_sync`` inherit it. Changes made outside a request (library use, the CLI's
embedded server start-up) are ``local``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

import msgspec


class Principal(msgspec.Struct, frozen=True, omit_defaults=True):
    """``name``: the HMAC user (``Metal-Edit``), the token (``token:edit@project``) or ``local`` when
    authentication is off; ``role`` and ``project`` (of a project-bound token) as authenticated."""

    name: str
    role: str | None = None
    project: str | None = None


class Actor(msgspec.Struct, frozen=True):
    principal: Principal
    #: the route (``POST /v1/ip/allocate``) or RPC (``POST /api.v1.IpamService/AcquireIP``); "" outside the API
    route: str = ""


LOCAL = Actor(Principal("local"))
_current: ContextVar[Actor] = ContextVar("metalnet.history.actor", default=LOCAL)


def current_actor() -> Actor:
    return _current.get()


def set_actor(actor: Actor) -> Token[Actor]:
    """Make ``actor`` the current one for the rest of this context (a request's task)."""
    return _current.set(actor)


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    token = _current.set(actor)
    try:
        yield
    finally:
        _current.reset(token)
