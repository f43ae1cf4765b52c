"""The deadline of the work a caller is doing, carried along with it (a :class:`contextvars.ContextVar`).

A server sets it once per request, at arrival (:func:`deadline_scope`); the layers above storage resolve it
in their one run path (:func:`resolve`: an explicit ``deadline`` argument wins) and hand it to
``Storage.run(fn, deadline=t)``. Carried, not threaded through every signature, because a request's work
crosses worker threads and batches whose code knows nothing of requests.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

_CURRENT: contextvars.ContextVar[float | None] = contextvars.ContextVar("metalnet_deadline", default=None)


#: the deadline (a :func:`time.monotonic` instant) of the work in progress, if it has one: ``current()``
#: (the context variable's own ``get``, which every call of the core pays for, without a Python-level call)
current: Callable[[], float | None] = _CURRENT.get


def resolve(deadline: float | None) -> float | None:
    """``deadline`` if given, else the one carried by the current context."""
    return deadline if deadline is not None else _CURRENT.get()


def after(seconds: float) -> float:
    """The deadline ``seconds`` from now."""
    return time.monotonic() + seconds


def enter(deadline: float | None) -> contextvars.Token[float | None]:
    """Carry ``deadline`` in the current context until :func:`leave` with the token (a hot path's
    :func:`deadline_scope`, without the context manager's generator)."""
    return _CURRENT.set(deadline)


def leave(token: contextvars.Token[float | None]) -> None:
    _CURRENT.reset(token)


@contextmanager
def deadline_scope(deadline: float | None) -> Iterator[None]:
    """Run the enclosed work under ``deadline`` (``None``: without one)."""
    token = _CURRENT.set(deadline)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def carried(fn: Callable[[], T]) -> Callable[[], T]:
    """``fn`` bound to the current deadline, for another thread (executors do not copy the context)."""
    deadline = _CURRENT.get()

    def bound() -> T:
        with deadline_scope(deadline):
            return fn()

    return bound
