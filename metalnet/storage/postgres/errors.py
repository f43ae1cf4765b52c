"""PostgreSQL errors: the signals that make ``run`` try again, and the translation into storage errors."""

from __future__ import annotations

import psycopg
from psycopg import errors as pg_errors

from metalnet.storage.base import StorageBusyError, StorageError, StorageUnavailableError

#: a deadlock or serialisation failure: the whole transaction runs again after a backoff
RETRYABLE = (pg_errors.SerializationFailure, pg_errors.DeadlockDetected)


class InsertConflictError(Exception):
    """An optimistic insert hit an existing key: run the transaction again with strict inserts."""


class StaleRowError(Exception):
    """A row served from the cache had changed: run the transaction again, reading it from the server."""


class StaleConnectionError(psycopg.OperationalError):
    """The pooled connection was dead before this transaction reached the server: safe to run it again."""


def stale(exc: psycopg.OperationalError, nothing_done: bool) -> psycopg.OperationalError:
    # a pool keeps connections that a server restart has cut; only the first message of a transaction that
    # does not carry its COMMIT can be known not to have changed anything
    return StaleConnectionError(str(exc)) if nothing_done else exc


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def translate(exc: psycopg.Error, where: str) -> StorageError:
    if isinstance(exc, pg_errors.QueryCanceled | pg_errors.LockNotAvailable):
        # a statement_timeout or lock_timeout the operator configured: the store is there, but too busy
        return StorageBusyError(f"PostgreSQL at {where} is busy: {first_line(exc)}")
    if isinstance(exc, psycopg.OperationalError):
        return StorageUnavailableError(f"PostgreSQL at {where} is unavailable: {first_line(exc)}")
    return StorageError(f"PostgreSQL at {where}: {first_line(exc)}")
