"""The actor of a request for the history (who, through which route), and batching per actor.

The access check sets it once the caller is authenticated; every change the request makes records it
(:mod:`metalnet.history.actor`). Group commit runs a batch of IP allocations in one transaction, in the
context of the batch's first request, so requests of different actors never share a batch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from metalnet.api.auth import Principal
from metalnet.api.batching import Batcher
from metalnet.history import Actor, current_actor
from metalnet.history import Principal as EventPrincipal
from metalnet.history.actor import LOCAL, set_actor

Item = TypeVar("Item")
Result = TypeVar("Result")


def request_actor(principal: Principal, authenticated: bool, method: str, route: str) -> Actor:
    """``local`` when authentication is off, else the HMAC user or token with its role and project."""
    name = principal.name if authenticated else LOCAL.principal.name
    return Actor(EventPrincipal(name, principal.role.name.lower(), principal.project), f"{method} {route}")


#: actors by (principal, authenticated, method, route): one object per caller and route, built once
_ACTORS: dict[tuple[Principal, bool, str, str], Actor] = {}
_MAX_ACTORS = 4096


def act(principal: Principal, authenticated: bool, scope: dict[str, Any]) -> None:
    """Make the caller of the request in ``scope`` the actor of what it changes."""
    key = (principal, authenticated, scope["method"], scope.get("path_template") or scope["path"])
    actor = _ACTORS.get(key)
    if actor is None:
        if len(_ACTORS) >= _MAX_ACTORS:  # route templates and credentials are few; unmatched paths are not
            _ACTORS.clear()
        actor = _ACTORS[key] = request_actor(principal, authenticated, key[2], key[3])
    set_actor(actor)


class PerActor(Generic[Item, Result]):
    """A :class:`Batcher` per actor (the actors are the configured credentials times the routes: few)."""

    def __init__(self, make: Callable[[], Batcher[Item, Result]]) -> None:
        self._make = make
        self._batchers: dict[Actor, Batcher[Item, Result]] = {}

    async def submit(self, item: Item) -> Result:
        actor = current_actor()
        batcher = self._batchers.get(actor)
        if batcher is None:
            batcher = self._batchers[actor] = self._make()
        return await batcher.submit(item)
