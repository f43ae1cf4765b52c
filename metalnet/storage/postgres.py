"""PostgreSQL backend (psycopg 3 with psycopg-pool): the production store for many API processes.

URL: anything libpq accepts as a URI, e.g. ``postgresql://user:password@host:5432/metalnet`` or
``postgresql://user@/metalnet?host=/run/postgresql`` (unix socket). Extra options, removed before the URL
reaches libpq: ``pool_size`` (connections per process, default 10), ``timeout`` (seconds to wait for a
connection, default 10) and ``row_cache`` (rows kept by the row cache, default 4096; 0 switches it off).

Concurrency: transactions run at READ COMMITTED. ``Transaction.lock(name)`` takes a transaction-scoped
advisory lock on a 64-bit hash of ``name``; it is held until commit or rollback, so read-then-write sequences
on one prefix run one after the other while different prefixes proceed in parallel, and every statement after
the lock sees what the previous holder committed. Read-only transactions run at REPEATABLE READ READ ONLY:
one snapshot, no locks, and writing in them is refused. A deadlock or serialisation failure re-runs the whole
transaction (bounded, with jittered backoff).

Speed: statements whose result nobody reads (BEGIN, the lock, put, delete, and optimistically insert) are
buffered and sent together with the next read, and the last writes together with the COMMIT; a read of a
row the process read or wrote recently is answered from :mod:`metalnet.storage.row_cache` and checked on
the server in the same message. So an IPAM acquisition costs one message (``BEGIN; lock; check; write;
COMMIT``) where the uncached path took two, and seven or more unbuffered (see :class:`PostgresTransaction`).
"""

from __future__ import annotations

import contextlib
import hashlib
import select
import threading
from binascii import a2b_hex
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import psycopg
import psycopg_pool
from psycopg import errors as pg_errors
from psycopg import pq

from metalnet.storage import event_log, migrations, postgres_events, sql_events
from metalnet.storage.base import Key, Storage, StorageBusyError, StorageError, StorageUnavailableError, Transaction
from metalnet.storage.event_log import EVERY, EventBounds, EventFilter, EventRecord, StoredEvent
from metalnet.storage.factory import redact_url
from metalnet.storage.keys import encode_key
from metalnet.storage.row_cache import DEFAULT_CAPACITY, RowCache
from metalnet.storage.rows import Value, decode_value, encode_value
from metalnet.storage.sql_common import (
    KV,
    NESTED_RUN,
    RETRY_ATTEMPTS,
    Row,
    SqlTransaction,
    backoff,
    check_schema_version,
)

T = TypeVar("T")
#: statements are rendered with literals (see :func:`_bytea`), so the placeholder is a format field
_SQL = KV.with_placeholder("{}")
#: URL query options that configure the pool rather than libpq
_OPTIONS = ("pool_size", "timeout", "row_cache")
_MAX_BUFFERED = 1000
_PLAIN_INSERT = "INSERT INTO kv (k, v) VALUES ({}, {})"
#: fails the transaction with SQLSTATE ``STALE_ROW`` unless the row holds the given bytes (migration 0002)
_CHECK = "SELECT metalnet_check({}, {})"
STALE_ROW = "MN001"
_UNSET = object()
_BEGIN = "BEGIN ISOLATION LEVEL READ COMMITTED"
# a read-only transaction sees one snapshot throughout; read-only transactions never fail to serialise
_BEGIN_READONLY = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
_OK = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK)
_IN_TRANSACTION = (pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR)
_RETRYABLE = (pg_errors.SerializationFailure, pg_errors.DeadlockDetected)
#: the advisory lock that serialises schema migrations of concurrently starting processes
_MIGRATION_LOCK = "metalnet:schema-migration"
_SCHEMA_TABLE = (
    "CREATE TABLE IF NOT EXISTS metalnet_schema ("
    " id boolean PRIMARY KEY DEFAULT true CHECK (id), version integer NOT NULL)"
)


def lock_id(name: str) -> int:
    """A stable signed 64-bit advisory lock number for ``name`` (the same in every process)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def _bytea(data: bytes) -> str:
    # hex digits only, inside an escape string: safe whatever standard_conforming_strings says
    return f"E'\\\\x{data.hex()}'::bytea"


class PostgresTransaction(SqlTransaction):
    """Statements on one pooled connection, sent in as few round trips as the reads allow.

    Statements whose result nobody reads (BEGIN, locks, puts, deletes) wait in a buffer and travel in one
    simple-protocol message with the next read, or with the COMMIT. The server runs them in order, so a read
    sees every earlier write; an error in a buffered statement surfaces at that read or at commit, and either
    way aborts the whole transaction. Messages go straight through libpq's ``PQexec`` (which releases the GIL
    and returns the last statement's result): the per-statement cost of the cursor layer is what would
    otherwise dominate on a fast local server.

    ``insert`` is optimistic unless ``strict``: a plain INSERT joins the buffer as if the key were new. If it
    was not, the server's unique violation aborts the transaction, and :class:`PostgresStorage` runs ``fn``
    again in strict mode (as it does whenever ``fn`` fails after an optimistic insert), where each insert
    asks the server at once and raises :class:`KeyExistsError` at the call, keeping the transaction usable.
    Inserts of existing keys are rare (a domain conflict), so the common case saves the round trip an insert
    would otherwise cost; the price is that ``fn`` may run twice, which the contract allows.
    """

    def __init__(self, connection: psycopg.Connection[Any], begin: str, *, strict: bool = False,
                 cache: RowCache | None = None) -> None:
        super().__init__(_SQL)
        self._pgconn = connection.pgconn
        self._encoding = connection.info.encoding
        self._pending = [begin]
        self._sent = False
        self._strict = strict
        #: whether an optimistic insert was buffered, so that a unique violation means "re-run strict"
        self.optimistic = False
        self._cache = cache
        #: what this transaction wrote, key → (value, stored bytes), None where it deleted
        self._written: dict[Key, tuple[Value, bytes] | None] = {}
        #: keys served from the cache, with the value served: each checked in the next message, and served
        #: alike to any later read in this transaction
        self.checked: dict[Key, Value] = {}
        #: whether a check waits in the buffer (a failure of ``fn`` must then be verified before it is believed)
        self.unsent_checks = False
        #: history events, numbered by the last statement before COMMIT (see storage/postgres_events.py)
        self._events: list[EventRecord] = []

    def get(self, key: Key) -> Value | None:
        written = self._written.get(key, _UNSET)
        if written is not _UNSET:
            return None if written is None else written[0]  # type: ignore[index]
        if key in self.checked:
            return self.checked[key]
        cache = self._cache
        if cache is not None:
            found = cache.get(key)
            if found is not None:
                value, stored = found
                self._pending.append(_CHECK.format(_bytea(encode_key(key)), _bytea(stored)))
                self.checked[key] = value
                self.unsent_checks = True
                return value
        row = self._one(self._sql.get, (encode_key(key),))
        if row is None:
            return None
        stored = bytes(row[0])
        value = decode_value(stored)
        if cache is not None:
            cache.put(key, value, stored)
        return value

    def put(self, key: Key, value: Value) -> None:
        stored = encode_value(value)
        self._buffer(self._sql.put.format(_bytea(encode_key(key)), _bytea(stored)))
        self._written[key] = (value, stored)

    def insert(self, key: Key, value: Value) -> None:
        if self._strict:
            super().insert(key, value)
            self._written[key] = (value, encode_value(value))
        else:
            stored = encode_value(value)
            self._buffer(_PLAIN_INSERT.format(_bytea(encode_key(key)), _bytea(stored)))
            self._written[key] = (value, stored)
            self.optimistic = True

    def delete(self, key: Key) -> None:
        super().delete(key)
        self._written[key] = None

    def append_event(self, event: EventRecord) -> None:
        self._events.append(event)

    def verify(self) -> bool:
        """Send the checks still buffered; False when a cached row this transaction used had changed.

        For a transaction whose ``fn`` raised without sending them: its error (say "no IP left") may have
        come from a cached row that another process changed, and must not reach the caller then.
        """
        try:
            self._send("SELECT 1")
        except psycopg.Error as exc:
            if exc.sqlstate == STALE_ROW:
                return False
            raise  # no answer to the checks: the store's error, not fn's, is the one to report
        return True

    def committed(self) -> None:
        """The transaction committed: what it wrote is what the cache now holds."""
        if self._cache is not None:
            for key, entry in self._written.items():
                if entry is None:
                    self._cache.drop(key)
                else:
                    self._cache.put(key, *entry)

    def failed(self, stale: bool) -> None:
        """The transaction failed; ``stale``: a check of a cached row found it changed."""
        if self._cache is not None:
            for key in self._written:
                self._cache.drop(key)
            if stale:
                for key in self.checked:
                    self._cache.contended(key)

    def _send(self, statement: str) -> pq.abc.PGresult:
        pending = self._pending
        pending.append(statement)
        query = ";".join(pending).encode()
        pending.clear()
        self.unsent_checks = False
        first_send, self._sent = not self._sent, True
        try:
            result = self._pgconn.exec_(query)
        except psycopg.OperationalError as exc:
            raise _stale(exc, first_send and statement != "COMMIT") from exc
        if result.status not in _OK:
            if self._pgconn.status != pq.ConnStatus.OK:
                error = psycopg.OperationalError(result.get_error_message(self._encoding) or "connection lost")
                raise _stale(error, first_send and statement != "COMMIT") from error
            raise pg_errors.error_from_result(result, encoding=self._encoding)
        return result

    def _one(self, sql: str, params: tuple[bytes, ...]) -> Row | None:
        result = self._send(sql.format(*map(_bytea, params)))
        return _row(result, 0) if result.ntuples else None

    def _all(self, sql: str, params: tuple[bytes, ...]) -> list[Row]:
        result = self._send(sql.format(*map(_bytea, params)))
        return [_row(result, index) for index in range(result.ntuples)]

    def _write(self, sql: str, params: tuple[bytes, ...]) -> None:
        self._buffer(sql.format(*map(_bytea, params)))

    def _buffer(self, statement: str) -> None:
        if len(self._pending) >= _MAX_BUFFERED:
            # a bulk transaction (a dump being loaded) goes out in slices rather than as one huge message
            self._send(statement)
        else:
            self._pending.append(statement)

    def lock(self, name: str) -> None:
        self._pending.append(f"SELECT pg_advisory_xact_lock({lock_id(name)})")

    def commit(self) -> None:
        """Send what is buffered together with ``COMMIT``; raises unless the server really committed."""
        if not self._sent and self._peer_spoke():
            # a transaction of one message carries its COMMIT: it must not go out on a connection that the
            # server is closing (a lost answer could not be told from a lost commit), so look first; the
            # connection is closed, so that the pool replaces it, and the transaction runs again
            self._pgconn.finish()
            raise _StaleConnectionError("the server closed or is closing the pooled connection")
        if self._events:
            self._pending.append(postgres_events.append_statement(self._events))
        result = self._send("COMMIT")
        if result.command_status != b"COMMIT":
            # the server answers COMMIT of a transaction that an error aborted with "ROLLBACK", not an
            # error: that happens when fn caught the error of a statement and carried on
            raise pg_errors.InFailedSqlTransaction(
                "the transaction was rolled back: a statement in it failed and its error was caught"
            )


    def _peer_spoke(self) -> bool:
        """Whether anything arrived on this idle connection (one non-blocking look at its socket).

        The server sends nothing to an idle session of ours except to end it (a FATAL message, then
        the close), so anything there means: do not use this connection.
        """
        try:
            poller = select.poll()  # not select(): a busy server process may hold descriptors past 1024
            poller.register(self._pgconn.socket, select.POLLIN)
            ready = poller.poll(0)
        except (OSError, psycopg.OperationalError):
            return True
        return bool(ready) or self._pgconn.status != pq.ConnStatus.OK


class _InsertConflictError(Exception):
    """An optimistic insert hit an existing key: run the transaction again with strict inserts."""


class _StaleRowError(Exception):
    """A row served from the cache had changed: run the transaction again, reading it from the server."""


class _StaleConnectionError(psycopg.OperationalError):
    """The pooled connection was dead before this transaction reached the server: safe to run it again."""


def _stale(exc: psycopg.OperationalError, nothing_done: bool) -> psycopg.OperationalError:
    # a pool keeps connections that a server restart has cut; only the first message of a transaction that
    # does not carry its COMMIT can be known not to have changed anything
    return _StaleConnectionError(str(exc)) if nothing_done else exc


def _row(result: pq.abc.PGresult, index: int) -> Row:
    # text-format bytea is ``\x`` followed by hex digits; every column we select is bytea
    return tuple(a2b_hex((result.get_value(index, column) or b"")[2:]) for column in range(result.nfields))


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
        self._migrate()
        self._pool: psycopg_pool.ConnectionPool[psycopg.Connection[Any]] = psycopg_pool.ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True},
            timeout=timeout,
            open=False,
            name="metalnet",
        )
        try:
            self._pool.open(wait=True, timeout=timeout)
        except psycopg_pool.PoolTimeout as exc:
            self._pool.close()
            raise StorageUnavailableError(f"cannot connect to PostgreSQL at {self._where}") from exc

    @classmethod
    def from_url(cls, url: str) -> PostgresStorage:
        """Open ``postgresql://…[?pool_size=N&timeout=SECONDS]`` (see the module docstring)."""
        base, _, query = url.partition("?")
        # our options are cut out of the raw query; the rest reaches libpq exactly as written
        pairs = [pair for pair in query.split("&") if pair]
        ours = dict(parse_qsl("&".join(p for p in pairs if p.split("=", 1)[0] in _OPTIONS)))
        rest = "&".join(p for p in pairs if p.split("=", 1)[0] not in _OPTIONS)
        libpq_url = f"{base}?{rest}" if rest else base
        try:
            pool_size = int(ours.get("pool_size", "10"))
            timeout = float(ours.get("timeout", "10"))
            row_cache = int(ours.get("row_cache", str(DEFAULT_CAPACITY)))
        except ValueError:
            raise StorageUnavailableError(f"bad pool_size, timeout or row_cache in {redact_url(url)!r}") from None
        return cls(libpq_url, pool_size=pool_size, timeout=timeout, row_cache=row_cache)

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=max(1, round(self._timeout)))
        except psycopg.Error as exc:
            raise StorageUnavailableError(
                f"cannot connect to PostgreSQL at {self._where}: {_first_line(exc)}"
            ) from exc

    def _migrate(self) -> None:
        """Bring the database to the newest schema, one process at a time, in one transaction."""
        steps = migrations.load("postgres")
        with self._connect() as connection:
            try:
                with connection.transaction():
                    connection.execute(f"SELECT pg_advisory_xact_lock({lock_id(_MIGRATION_LOCK)})".encode())
                    connection.execute(_SCHEMA_TABLE.encode())
                    row = connection.execute(b"SELECT version FROM metalnet_schema").fetchone()
                    found = 0 if row is None else int(row[0])
                    check_schema_version(found, len(steps), self._where)
                    for step in steps[found:]:
                        for statement in step.statements:
                            connection.execute(statement.encode())
                    connection.execute(
                        b"INSERT INTO metalnet_schema (version) VALUES (%s)"
                        b" ON CONFLICT (id) DO UPDATE SET version = excluded.version",
                        (len(steps),),
                    )
            except psycopg.Error as exc:
                raise _translate(exc, self._where) from exc

    def run(self, fn: Callable[[Transaction], T], *, readonly: bool = False) -> T:
        if getattr(self._local, "active", False):
            raise StorageError(NESTED_RUN.format(url=self._where))
        self._local.active = True
        try:
            return self._run(fn, _BEGIN_READONLY if readonly else _BEGIN)
        finally:
            self._local.active = False

    def _run(self, fn: Callable[[Transaction], T], begin: str) -> T:
        stale = 0
        strict = False
        for attempt in range(RETRY_ATTEMPTS):
            try:
                with self._pool.connection() as connection:
                    tx = PostgresTransaction(connection, begin, strict=strict, cache=self._cache)
                    return self._attempt(connection, tx, fn)
            except _RETRYABLE:
                backoff(attempt)
            except _InsertConflictError:
                strict = True
            except _StaleRowError:
                pass  # at once: the rows that changed are no longer served from the cache
            except _StaleConnectionError as exc:
                # the pool drops the dead connection; after a server restart every pooled one may be dead
                stale += 1
                if stale > self._pool_size:
                    raise _translate(exc, self._where) from exc
            except psycopg_pool.PoolTimeout as exc:
                raise StorageUnavailableError(f"no connection to PostgreSQL at {self._where}") from exc
            except psycopg.Error as exc:
                raise _translate(exc, self._where) from exc
        raise StorageBusyError(
            f"PostgreSQL at {self._where}: transaction kept conflicting ({RETRY_ATTEMPTS} attempts)"
        )

    @staticmethod
    def _attempt(connection: psycopg.Connection[Any], tx: PostgresTransaction, fn: Callable[[Transaction], T]) -> T:
        """One try of ``fn``; leaves the connection outside any transaction whatever happens."""
        try:
            result = fn(tx)
            tx.commit()
        except BaseException as exc:
            stale = isinstance(exc, psycopg.Error) and exc.sqlstate == STALE_ROW
            try:
                if not stale and tx.unsent_checks and isinstance(exc, Exception) and not isinstance(exc, psycopg.Error):
                    stale = not tx.verify()  # fn's error may rest on a cached row that changed
            finally:
                if connection.info.transaction_status in _IN_TRANSACTION:
                    with contextlib.suppress(psycopg.Error):  # the error that got us here is the one to report
                        connection.execute(b"ROLLBACK")
            tx.failed(stale)
            if stale:
                raise _StaleRowError from exc
            # fn failed after an optimistic insert: had that insert met an existing key, strict mode would
            # have raised KeyExistsError at the call and fn might have taken another path, so only a strict
            # run tells which error is the real one (connection and conflict errors are not fn's doing)
            if tx.optimistic and isinstance(exc, Exception) and not isinstance(exc, psycopg.OperationalError):
                raise _InsertConflictError from exc
            raise
        tx.committed()
        return result

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
        try:
            with self._pool.connection() as connection:
                return fn(postgres_events.executor(connection))
        except psycopg_pool.PoolTimeout as exc:
            raise StorageUnavailableError(f"no connection to PostgreSQL at {self._where}") from exc
        except psycopg.Error as exc:
            raise _translate(exc, self._where) from exc

    def close(self) -> None:
        self._pool.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _translate(exc: psycopg.Error, where: str) -> StorageError:
    if isinstance(exc, pg_errors.QueryCanceled | pg_errors.LockNotAvailable):
        # a statement_timeout or lock_timeout the operator configured: the store is there, but too busy
        return StorageBusyError(f"PostgreSQL at {where} is busy: {_first_line(exc)}")
    if isinstance(exc, psycopg.OperationalError):
        return StorageUnavailableError(f"PostgreSQL at {where} is unavailable: {_first_line(exc)}")
    return StorageError(f"PostgreSQL at {where}: {_first_line(exc)}")
