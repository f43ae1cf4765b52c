"""Idempotency keys: a change and the answer to its request, committed in one transaction.

A caller names a request with a key (the ``Idempotency-Key`` header). :class:`IdempotentStorage` wraps the
store every service writes through; while a :class:`Guard` is active on the calling thread (:func:`guarded`),
the next writing ``run`` becomes:

1. lock the key's name (concurrent repeats of one key queue here, on every backend);
2. read the key row: a live one with the same fingerprint ends the run with :class:`Replay` (nothing is
   written) and ``run`` returns the stored result again (``decode``; a stored refusal is raised again), one
   with another fingerprint raises :class:`KeyReused`;
3. run the change, encode its answer with the guard's ``encode``, and write the key row and its expiry
   index entry in the same transaction; delete a few expired keys (the oldest first, from the index).

So a crash can never leave a change without its key or a key without its change. A refused change (an
exception ``encode_error`` turns into an answer) rolls back; its answer is then stored alone, in a second
transaction, so a repeat gets the same refusal. An exception ``encode_error`` returns ``None`` for (a server
error, an outage) is not stored: a retry runs again.

Key space (all keys of one kind have the same length, see :mod:`metalnet.storage.base`):

- ``("idem", scope, key)`` → JSON ``{"fingerprint", "expires", "answer"}``
- ``("idem-expiry", expires as integer milliseconds, scope, key)`` → ``""``: the expiry order, so cleanup
  reads the oldest entries only, never the whole store.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar, cast

import msgspec

from metalnet.storage.base import Key, Storage, Transaction

T = TypeVar("T")

#: how long a key is kept unless configured otherwise (the IETF draft suggests at least 24 hours)
DEFAULT_TTL = 24 * 3600.0
#: expired keys removed per guarded write: cleanup keeps pace with creation without a scan
CLEANUP_BATCH = 8
_KEY, _EXPIRY = "idem", "idem-expiry"


class Replay(Exception):  # noqa: N818 - not an error: the answer of the first request with the key
    """A repeat of a finished request (ends its transaction): ``answer`` is what the guard's ``encode`` stored."""

    def __init__(self, answer: str) -> None:
        super().__init__("replayed")
        self.answer = answer


class KeyReused(Exception):  # noqa: N818 - named after what the client did
    """The key was used before for another request (route, body or caller)."""


@dataclass
class Guard:
    """One request's key: who sent it (``scope``), the key, what the request was (``fingerprint``)."""

    scope: str
    key: str
    fingerprint: str
    #: the answer of a finished change, as text (the API's encoding of the result)
    encode: Callable[[object], str]
    #: the answer of a refused change, or ``None``: not stored (server errors, outages)
    encode_error: Callable[[BaseException], str | None]
    #: the result (or raised refusal) a stored answer stands for
    decode: Callable[[str], object]
    ttl: float = DEFAULT_TTL
    #: set once a run has used the guard: an operation's later runs (if any) are not guarded again
    used: bool = False


class _Stored(msgspec.Struct):
    fingerprint: str
    expires: int
    answer: str


_active = threading.local()


@contextmanager
def guarded(guard: Guard | None) -> Iterator[None]:
    """Guard the next writing ``run`` of an :class:`IdempotentStorage` on this thread (``None``: no guard)."""
    previous = getattr(_active, "guard", None)
    _active.guard = guard
    try:
        yield
    finally:
        _active.guard = previous


def _millis(seconds: float) -> int:
    return int(seconds * 1000)


class IdempotentStorage(Storage):
    """``inner`` with the key check and the key row added to a guarded write (see the module docstring)."""

    def __init__(self, inner: Storage, clock: Callable[[], float] = time.time) -> None:
        self.inner = inner
        self.name = inner.name
        self.persistent = inner.persistent  # type: ignore[misc]
        self._clock = clock

    def run(self, fn: Callable[[Transaction], T], *, readonly: bool = False, deadline: float | None = None) -> T:
        guard: Guard | None = getattr(_active, "guard", None)
        if readonly or guard is None or guard.used:
            return self._inner_run(fn, readonly, deadline)
        guard.used = True
        try:
            return self._inner_run(lambda tx: self._guarded(tx, guard, fn), False, deadline)
        except Replay as replay:
            # the caller goes on as if the change had just run: the same result, or the same refusal raised
            return cast(T, guard.decode(replay.answer))
        except KeyReused:
            raise
        except Exception as exc:
            answer = guard.encode_error(exc)
            if answer is not None:
                self._inner_run(lambda tx: self._store_refusal(tx, guard, answer), False, deadline)
            raise

    def _inner_run(self, fn: Callable[[Transaction], T], readonly: bool, deadline: float | None) -> T:
        # the deadline is passed on only when given: the call is then exactly the caller's
        if deadline is None:
            return self.inner.run(fn, readonly=readonly)
        return self.inner.run(fn, readonly=readonly, deadline=deadline)

    def _guarded(self, tx: Transaction, guard: Guard, fn: Callable[[Transaction], T]) -> T:
        now = _millis(self._clock())
        self._check(tx, guard, now)
        result = fn(tx)
        self._store(tx, guard, guard.encode(result), now)
        return result

    def _check(self, tx: Transaction, guard: Guard, now: int) -> None:
        tx.lock(f"idempotency/{guard.scope}/{guard.key}")
        found = tx.get(_row_key(guard))
        if found is None:
            return
        assert isinstance(found, str)
        stored = msgspec.json.decode(found, type=_Stored)
        if stored.expires <= now:  # expired: the key is free again (its row is replaced below)
            tx.delete((_EXPIRY, stored.expires, guard.scope, guard.key))
            return
        if stored.fingerprint != guard.fingerprint:
            raise KeyReused(f"Idempotency-Key {guard.key!r} was used for another request")
        raise Replay(stored.answer)

    def _store(self, tx: Transaction, guard: Guard, answer: str, now: int) -> None:
        expires = now + max(1, _millis(guard.ttl))
        row = _Stored(guard.fingerprint, expires, answer)
        tx.put(_row_key(guard), msgspec.json.encode(row).decode())
        tx.put((_EXPIRY, expires, guard.scope, guard.key), "")
        self._expire(tx, now)

    def _store_refusal(self, tx: Transaction, guard: Guard, answer: str) -> None:
        now = _millis(self._clock())
        try:
            self._check(tx, guard, now)
        except Replay:
            return  # a concurrent repeat stored its answer first
        self._store(tx, guard, answer, now)

    def _expire(self, tx: Transaction, now: int) -> None:
        """Delete up to :data:`CLEANUP_BATCH` expired keys, oldest first (one ordered seek each)."""
        for _ in range(CLEANUP_BATCH):
            found = tx.first((_EXPIRY,), (_EXPIRY,))
            if found is None:
                return
            key = found[0]
            expires, scope, name = key[1], key[2], key[3]
            assert isinstance(expires, int)
            assert isinstance(scope, str)
            assert isinstance(name, str)
            if expires > now:
                return
            tx.delete(key)
            tx.delete((_KEY, scope, name))

    def close(self) -> None:
        self.inner.close()

    def ping(self, deadline: float | None = None) -> None:
        self.inner.ping(deadline)

    def stored_keys(self) -> int:
        """How many keys are stored (live or not yet cleaned up): for tests and metrics."""
        return len(self.inner.run(lambda tx: tx.scan((_EXPIRY,)), readonly=True))


def _row_key(guard: Guard) -> Key:
    return (_KEY, guard.scope, guard.key)
