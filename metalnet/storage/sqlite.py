"""SQLite backend (stdlib ``sqlite3``): the embedded default, one file in WAL mode.

URL: ``sqlite:///PATH`` — everything after the third slash is the path, so ``sqlite:///metalnet.db`` is
relative to the working directory and ``sqlite:////var/lib/metalnet.db`` is absolute. Query options:
``synchronous=normal`` (default: a committed transaction survives a crash or SIGKILL of the process, since
it is in the WAL file; a power cut or kernel crash may undo the last few commits but never corrupts the file)
or ``synchronous=full`` (every commit is fsynced before it returns, so it also survives a power cut, at about
one fsync per transaction — see docs/storage.md for the measured cost), and
``timeout=SECONDS`` (how long a writer waits for the write lock, default 10; less where the caller's
deadline comes first).

Concurrency: every writing transaction starts with ``BEGIN IMMEDIATE``, which takes the database's single
write lock up front, so writers — threads and OS processes alike — run one after the other and a
read-then-write can never race; readers (``readonly=True``) use ``BEGIN DEFERRED`` and read a snapshot
without blocking anyone. Each thread gets its own connection.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from metalnet.storage import event_log, migrations, sql_events
from metalnet.storage.base import (
    Key,
    KeyExistsError,
    RefusesWrites,
    Storage,
    StorageBusyError,
    StorageError,
    StorageUnavailableError,
    Transaction,
    bounded,
    remaining,
)
from metalnet.storage.event_log import EVERY, EventBounds, EventFilter, EventRecord, StoredEvent
from metalnet.storage.keys import encode_key
from metalnet.storage.rows import Value, encode_value
from metalnet.storage.sql_common import (
    KV,
    NESTED_RUN,
    Row,
    SqlTransaction,
    backoff,
    check_schema_version,
)

T = TypeVar("T")
_SYNCHRONOUS = ("full", "normal")
#: ``KV.insert`` without RETURNING (executemany runs no statement that returns rows)
_INSERT_MANY = "INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO NOTHING"
#: a writer already waits up to ``timeout`` inside SQLite's busy handler, so few extra attempts are needed
_ATTEMPTS = 3
_BUSY_MARKERS = ("database is locked", "database is busy", "database table is locked")
#: connections a forked child inherited from its parent (see ``SqliteStorage._connection``)
_INHERITED: list[sqlite3.Connection] = []


class SqliteTransaction(SqlTransaction):
    """Statements on the calling thread's connection (``sqlite3`` caches their prepared form)."""

    serial = True  # BEGIN IMMEDIATE: one writer at a time

    def __init__(self, connection: sqlite3.Connection) -> None:
        super().__init__(KV)
        self._execute = connection.execute
        self._connection = connection
        #: history events, numbered and written just before COMMIT (storage/sql_events.py)
        self._events: list[EventRecord] = []

    def append_event(self, event: EventRecord) -> None:
        self._events.append(event)

    def write_events(self) -> None:
        """Number and store the events of this transaction (its last statements before COMMIT)."""
        if self._events:
            (newest,) = self._execute(sql_events.SERIAL_NEWEST).fetchone()
            self._connection.executemany(sql_events.INSERT, sql_events.numbered(newest, self._events))

    def rows(self, statement: str, params: Sequence[Any]) -> list[Sequence[Any]]:
        """The rows of any statement (the history's, see storage/sql_events.py)."""
        return self._execute(statement, params).fetchall()

    def _one(self, sql: str, params: tuple[bytes, ...]) -> Row | None:
        row: Row | None = self._execute(sql, params).fetchone()
        return row

    def _all(self, sql: str, params: tuple[bytes, ...]) -> list[Row]:
        return self._execute(sql, params).fetchall()

    def _write(self, sql: str, params: tuple[bytes, ...]) -> None:
        self._execute(sql, params)

    # bulk writes: one executemany, the statement prepared once, instead of a call per row
    def put_many(self, items: Sequence[tuple[Key, Value]]) -> None:
        self._connection.executemany(KV.put, [(encode_key(k), encode_value(v)) for k, v in items])

    def insert_many(self, items: Sequence[tuple[Key, Value]]) -> None:
        before = self._connection.total_changes
        self._connection.executemany(_INSERT_MANY, [(encode_key(k), encode_value(v)) for k, v in items])
        if self._connection.total_changes - before != len(items):
            # a key that was there keeps its old value (DO NOTHING); name it if it differs from ours
            raise KeyExistsError(next((k for k, v in items if self.get(k) != v), items[0][0]))


class SqliteReadOnlyTransaction(RefusesWrites, SqliteTransaction):
    """A transaction of ``run(..., readonly=True)``: reads as any, refuses every write."""


class SqliteStorage(Storage):
    """A store in one SQLite file; thread-safe and safe for several processes sharing the file."""

    name = "sqlite"
    persistent = True

    def __init__(self, path: str, *, synchronous: str = "normal", timeout: float = 10.0, url: str = "") -> None:
        self.path = path
        self.url = url or f"sqlite:///{path}"
        if synchronous not in _SYNCHRONOUS:
            raise StorageUnavailableError(
                f"bad synchronous={synchronous!r} for {self.url!r}: use one of {', '.join(_SYNCHRONOUS)}"
            )
        self._synchronous = synchronous
        self._timeout = timeout
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        self._closed = False
        self._pid = os.getpid()
        self._migrate(self._connection())

    @classmethod
    def from_url(cls, url: str) -> SqliteStorage:
        """Open ``sqlite:///PATH[?synchronous=full|normal&timeout=SECONDS]`` (see the module docstring)."""
        parts = urlsplit(url)
        path = parts.path[1:]
        if parts.scheme != "sqlite" or parts.netloc or not path:
            raise StorageUnavailableError(
                f"bad SQLite URL {url!r}: use sqlite:///relative/path.db or sqlite:////absolute/path.db"
            )
        options = dict(parse_qsl(parts.query))
        unknown = set(options) - {"synchronous", "timeout"}
        if unknown:
            raise StorageUnavailableError(f"unknown option(s) {sorted(unknown)} in SQLite URL {url!r}")
        try:
            timeout = float(options.get("timeout", "10"))
        except ValueError:
            raise StorageUnavailableError(f"timeout must be a number of seconds in {url!r}") from None
        return cls(path, synchronous=options.get("synchronous", "normal").lower(), timeout=timeout, url=url)

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None and self._pid == os.getpid():
            return connection
        if self._pid != os.getpid():
            # a forked child must not use its parent's connections (SQLite's locks are per process), nor
            # close them: closing one that another parent thread had inside a transaction rolls it back
            # into the WAL index the parent shares. So they stay referenced, never garbage collected.
            with self._guard:
                _INHERITED.extend(self._connections)
                self._pid, self._connections, self._local = os.getpid(), [], threading.local()
        if self._closed:
            raise StorageError(f"the store {self.url} is closed")
        try:
            connection = sqlite3.connect(
                self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StorageUnavailableError(f"cannot open SQLite store {self.url}: {exc}") from exc
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(f"PRAGMA synchronous={self._synchronous}")
        except sqlite3.Error as exc:
            connection.close()
            raise StorageUnavailableError(f"cannot open SQLite store {self.url}: {exc}") from exc
        with self._guard:
            self._connections.append(connection)
        self._local.connection = connection
        return connection

    def _migrate(self, connection: sqlite3.Connection) -> None:
        """Bring the file to the newest schema in one transaction (``PRAGMA user_version`` is the version)."""
        steps = migrations.load("sqlite")

        def migrate(_tx: Transaction) -> None:
            found = int(connection.execute("PRAGMA user_version").fetchone()[0])
            check_schema_version(found, len(steps), self.url)
            for step in steps[found:]:
                for statement in step.statements:
                    connection.execute(statement)
            if found < len(steps):
                connection.execute(f"PRAGMA user_version = {len(steps)}")

        self.run(migrate)

    def run(self, fn: Callable[[Transaction], T], *, readonly: bool = False, deadline: float | None = None) -> T:
        connection = self._connection()
        if connection.in_transaction:
            raise StorageError(NESTED_RUN.format(url=self.url))
        begin = "BEGIN DEFERRED" if readonly else "BEGIN IMMEDIATE"
        try:
            for attempt in range(_ATTEMPTS):
                try:
                    if deadline is not None:  # the wait for the write lock ends by the deadline
                        _busy_timeout(connection, bounded(self._timeout, deadline, self.url))
                    connection.execute(begin)
                    tx = SqliteReadOnlyTransaction(connection) if readonly else SqliteTransaction(connection)
                    result = fn(tx)
                    remaining(deadline, self.url)  # past the deadline: roll back rather than commit
                    tx.write_events()
                    connection.execute("COMMIT")
                    return result
                except sqlite3.Error as exc:
                    _rollback(connection)
                    if not _is_busy(exc):
                        raise _translate(exc, self.url) from exc
                    remaining(deadline, self.url)
                    backoff(attempt)
                except BaseException:
                    _rollback(connection)
                    raise
        finally:
            if deadline is not None:
                with contextlib.suppress(sqlite3.Error):  # a broken connection: its error is already on the way
                    _busy_timeout(connection, self._timeout)
        raise StorageBusyError(f"the store {self.url} stayed locked through {_ATTEMPTS} attempts")

    def event_bounds(self) -> EventBounds:
        return self._history(lambda tx: sql_events.bounds(tx.rows, serial=True), readonly=True)

    def read_events(self, after: int, limit: int, where: EventFilter = EVERY) -> list[StoredEvent]:
        return self._history(lambda tx: sql_events.read(tx.rows, after, limit, where), readonly=True)

    def prune_events(self, older_than: float, keep: int) -> int:
        # a write transaction per batch: writers never wait long behind it
        return event_log.prune_until_done(
            lambda: self._history(lambda tx: sql_events.prune_batch(tx.rows, older_than, keep, serial=True),
                                  readonly=False))

    def _history(self, fn: Callable[[SqliteTransaction], T], *, readonly: bool) -> T:
        def unit(tx: Transaction) -> T:
            assert isinstance(tx, SqliteTransaction)
            return fn(tx)

        return self.run(unit, readonly=readonly)

    def close(self) -> None:
        with self._guard:
            self._closed = True
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()
        self._local = threading.local()


def _busy_timeout(connection: sqlite3.Connection, seconds: float) -> None:
    """How long this connection waits for the write lock (SQLite's busy handler) from now on."""
    connection.execute(f"PRAGMA busy_timeout = {max(1, round(seconds * 1000))}")


def _rollback(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:
        # the failed transaction is gone either way; the original error is the one to report
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")


def _is_busy(exc: sqlite3.Error) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and any(m in str(exc) for m in _BUSY_MARKERS)


def _translate(exc: sqlite3.Error, url: str) -> StorageError:
    if isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError | sqlite3.InterfaceError):
        return StorageError(f"SQLite store {url}: {exc}")
    # the rest (I/O error, read-only file, not a database, corrupt) means the file cannot serve us
    return StorageUnavailableError(f"SQLite store {url} failed: {exc}")
