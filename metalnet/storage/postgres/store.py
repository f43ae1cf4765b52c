"""The PostgreSQL store: a connection pool per process, and ``run`` with its bounded retries."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
import psycopg_pool
from psycopg import errors as pg_errors

from metalnet.storage import event_log, sql_events
from metalnet.storage.base import (
    DeadlineExceededError,
    Storage,
    StorageBusyError,
    StorageError,
    StorageUnavailableError,
    Transaction,
    bounded,
    remaining,
)
from metalnet.storage.event_log import EVERY, EventBounds, EventFilter, StoredEvent
from metalnet.storage.postgres import events
from metalnet.storage.postgres.errors import (
    RETRYABLE,
    InsertConflictError,
    StaleConnectionError,
    StaleRowError,
    first_line,
    translate,
)
from metalnet.storage.postgres.in_doubt import CommitInDoubtError, settle
from metalnet.storage.postgres.options import PostgresOptions, split_url
from metalnet.storage.postgres.outage import Outage
from metalnet.storage.postgres.schema import migrate
from metalnet.storage.postgres.statements import BEGIN, BEGIN_READONLY, IN_TRANSACTION, STALE_ROW
from metalnet.storage.postgres.transaction import PostgresTransaction
from metalnet.storage.row_cache import DEFAULT_CAPACITY, RowCache
from metalnet.storage.sql_common import NESTED_RUN, RETRY_ATTEMPTS, backoff
from metalnet.storage.urls import redact_url

T = TypeVar("T")


class PostgresStorage(Storage):
    """A store in one PostgreSQL database, shared safely by any number of processes."""

    name = "postgres"
    persistent = True

    def __init__(self, url: str, *, pool_size: int = 10, timeout: float = 10.0,
                 row_cache: int = DEFAULT_CAPACITY) -> None:
        self.url = url
        #: rows recently read or written, checked whenever used (0: off; see storage/row_cache.py)
        self._cache = RowCache(row_cache) if row_cache > 0 else None
        self._where = redact_url(url)
        self._timeout = timeout
        self._pool_size = pool_size
        #: per thread: whether it is inside run(), to refuse a nested run that would wait on its own locks
        self._local = threading.local()
        with self._connect() as connection:
            migrate(connection, self._where)
        self._outage = Outage(url, self._where, timeout)
        self._pool = self._open_pool()
        try:
            self._pool.wait(timeout=timeout)
        except psycopg_pool.PoolTimeout as exc:
            self._pool.close()
            raise StorageUnavailableError(f"cannot connect to PostgreSQL at {self._where}") from exc

    def _open_pool(self) -> psycopg_pool.ConnectionPool[psycopg.Connection[Any]]:
        pool: psycopg_pool.ConnectionPool[psycopg.Connection[Any]] = psycopg_pool.ConnectionPool(
            self.url,
            min_size=1,
            max_size=self._pool_size,
            kwargs={"autocommit": True},
            timeout=self._timeout,
            open=False,
            name="metalnet",
        )
        pool.open(wait=False)
        return pool

    def _replace_pool(self) -> None:
        """The server is back after an outage: start a fresh pool rather than wait for the old one.

        The old pool's connections died with the server, and its reconnect attempts back off to many
        seconds apart; a fresh pool connects at once. The old one closes in the background (a connection
        still out is closed when it comes back).
        """
        old, self._pool = self._pool, self._open_pool()
        threading.Thread(target=old.close, name="metalnet-pool-close", daemon=True).start()

    @classmethod
    def from_url(cls, url: str) -> PostgresStorage:
        """Open ``postgresql://…[?pool_size=N&timeout=SECONDS&row_cache=N]`` (see :mod:`.options`)."""
        libpq_url, options = split_url(url)
        return cls.with_options(libpq_url, options)

    @classmethod
    def with_options(cls, url: str, options: PostgresOptions) -> PostgresStorage:
        return cls(url, pool_size=options.pool_size, timeout=options.timeout, row_cache=options.row_cache)

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=max(1, round(self._timeout)))
        except psycopg.Error as exc:
            raise StorageUnavailableError(
                f"cannot connect to PostgreSQL at {self._where}: {first_line(exc)}"
            ) from exc

    def run(self, fn: Callable[[Transaction], T], *, readonly: bool = False, deadline: float | None = None) -> T:
        if getattr(self._local, "active", False):
            raise StorageError(NESTED_RUN.format(url=self._where))
        self._local.active = True
        try:
            return self._run(fn, BEGIN_READONLY if readonly else BEGIN, deadline)
        finally:
            self._local.active = False

    def _run(self, fn: Callable[[Transaction], T], begin: str, deadline: float | None) -> T:
        if self._outage.down and self._outage.check(deadline):  # raises while the server is down
            self._replace_pool()
        stale = 0
        strict = False
        for attempt in range(RETRY_ATTEMPTS):
            try:
                wait = bounded(self._timeout, deadline, self._where)
                with self._pool.connection(timeout=wait) as connection:
                    tx = PostgresTransaction(connection, begin, strict=strict, cache=self._cache,
                                             deadline=deadline, where=self._where)
                    return _attempt(connection, tx, fn, lambda doubt: self._settle(doubt, deadline))
            except RETRYABLE:
                backoff(attempt)
            except InsertConflictError:
                strict = True
            except StaleRowError:
                pass  # at once: the rows that changed are no longer served from the cache
            except StaleConnectionError as exc:
                # the pool drops the dead connection; after a server restart every pooled one may be dead,
                # and a server that is gone is reported now rather than after draining the pool
                self._outage.confirm(deadline)
                stale += 1
                if stale > self._pool_size:
                    raise translate(exc, self._where) from exc
            except psycopg_pool.PoolTimeout as exc:
                remaining(deadline, self._where)  # raises when the deadline is what ended the wait
                self._outage.confirm(deadline)
                raise StorageUnavailableError(f"no connection to PostgreSQL at {self._where}") from exc
            except pg_errors.QueryCanceled as exc:
                if deadline is not None:  # the statement_timeout that the deadline set
                    raise DeadlineExceededError(
                        f"PostgreSQL at {self._where}: the deadline passed during a statement; nothing was committed"
                    ) from exc
                raise translate(exc, self._where) from exc
            except psycopg.OperationalError as exc:
                self._outage.confirm(deadline)
                raise translate(exc, self._where) from exc
            except psycopg.Error as exc:
                raise translate(exc, self._where) from exc
        raise StorageBusyError(
            f"PostgreSQL at {self._where}: transaction kept conflicting ({RETRY_ATTEMPTS} attempts)"
        )

    def _settle(self, doubt: CommitInDoubtError, deadline: float | None) -> bool:
        """Whether a COMMIT whose answer was lost took effect (see :mod:`.in_doubt`), asked by ``deadline``."""
        until = time.monotonic() + self._timeout if deadline is None else deadline
        return settle(self.url, doubt, until, self._where)

    def event_bounds(self) -> EventBounds:
        return self._outside_transaction(lambda execute: sql_events.bounds(execute))

    def read_events(self, after: int, limit: int, where: EventFilter = EVERY) -> list[StoredEvent]:
        return self._outside_transaction(lambda execute: sql_events.read(execute, after, limit, where))

    def prune_events(self, older_than: float, keep: int) -> int:
        # one batch per autocommit statement: writers never wait long behind it
        return event_log.prune_until_done(
            lambda: self._outside_transaction(lambda execute: sql_events.prune_batch(execute, older_than, keep)))

    def _outside_transaction(self, fn: Callable[[sql_events.Execute], T]) -> T:
        """``fn`` on a pooled connection in autocommit mode (each statement its own snapshot and commit)."""
        if self._outage.down and self._outage.check(None):  # raises while the server is down
            self._replace_pool()
        try:
            with self._pool.connection(timeout=self._timeout) as connection:
                return fn(events.executor(connection))
        except psycopg_pool.PoolTimeout as exc:
            self._outage.confirm(None)
            raise StorageUnavailableError(f"no connection to PostgreSQL at {self._where}") from exc
        except psycopg.OperationalError as exc:
            self._outage.confirm(None)
            raise translate(exc, self._where) from exc
        except psycopg.Error as exc:
            raise translate(exc, self._where) from exc

    def close(self) -> None:
        self._pool.close()


def _attempt(connection: psycopg.Connection[Any], tx: PostgresTransaction, fn: Callable[[Transaction], T],
             settle_doubt: Callable[[CommitInDoubtError], bool]) -> T:
    """One try of ``fn``; leaves the connection outside any transaction whatever happens."""
    try:
        result = fn(tx)
        tx.commit()
    except CommitInDoubtError as doubt:
        # the connection died with the COMMIT out: ask the server whether it committed
        try:
            committed = settle_doubt(doubt)
        except BaseException:
            tx.ledger.failed(False)
            raise  # CommitOutcomeUnknownError: nobody can tell in time
        if not committed:
            tx.ledger.failed(False)
            raise  # it did not: the lost connection, reported as any other
        tx.ledger.committed()
        return result
    except BaseException as exc:
        stale = isinstance(exc, psycopg.Error) and exc.sqlstate == STALE_ROW
        # fn's own error, not the store's nor the deadline's: only such an error may rest on a changed row or
        # have followed from an optimistic insert
        own = isinstance(exc, Exception) and not isinstance(exc, psycopg.Error | DeadlineExceededError)
        try:
            if not stale and tx.unsent_checks and own:
                stale = not tx.verify()  # fn's error may rest on a cached row that changed
        finally:
            if connection.info.transaction_status in IN_TRANSACTION:
                with contextlib.suppress(psycopg.Error):  # the error that got us here is the one to report
                    connection.execute(b"ROLLBACK")
        tx.ledger.failed(stale)
        if stale:
            raise StaleRowError from exc
        # fn failed after an optimistic insert: had that insert met an existing key, strict mode would have
        # raised KeyExistsError at the call and fn might have taken another path, so only a strict run tells
        # which error is the real one (connection and conflict errors are not fn's doing)
        if tx.optimistic and isinstance(exc, Exception) and not isinstance(
            exc, psycopg.OperationalError | DeadlineExceededError
        ):
            raise InsertConflictError from exc
        raise
    tx.ledger.committed()
    return result
