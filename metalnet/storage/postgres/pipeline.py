"""A PostgreSQL transaction over psycopg's pipeline mode: the alternative to :mod:`.transaction`.

Every statement is an extended-protocol statement with bound parameters, queued without waiting; a read
asks the server to flush and waits for its own result (one round trip for all that was queued before it),
and ``commit`` queues COMMIT and syncs.
"""

from __future__ import annotations

import contextlib
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from metalnet.storage.base import Key
from metalnet.storage.keys import encode_key
from metalnet.storage.postgres.errors import StaleConnectionError, stale
from metalnet.storage.postgres.ledger import UNKNOWN, Ledger
from metalnet.storage.postgres.liveness import peer_spoke
from metalnet.storage.postgres.statements import STALE_ROW, lock
from metalnet.storage.row_cache import RowCache
from metalnet.storage.rows import Value, decode_value, encode_value
from metalnet.storage.sql_common import KV, Row, SqlTransaction

_SQL = KV.with_placeholder("%s")
_PLAIN_INSERT = "INSERT INTO kv (k, v) VALUES (%s, %s)"
_CHECK = "SELECT metalnet_check(%s, %s)"


class PipelineTransaction(SqlTransaction):
    """The same behaviour as :class:`.transaction.PostgresTransaction`, through psycopg's pipeline."""

    def __init__(self, connection: psycopg.Connection[Any], begin: str, *, strict: bool = False,
                 cache: RowCache | None = None) -> None:
        super().__init__(_SQL)
        if peer_spoke(connection.pgconn):
            connection.pgconn.finish()
            raise StaleConnectionError("the server closed or is closing the pooled connection")
        self._conn = connection
        self._stack = contextlib.ExitStack()
        self._pipeline = self._stack.enter_context(connection.pipeline())
        self._writes = connection.cursor()
        self._strict = strict
        self._answered = False
        self.optimistic = False
        self.ledger = Ledger(cache)
        self.unsent_checks = False
        self._writes.execute(begin.encode())

    def get(self, key: Key) -> Value | None:
        known = self.ledger.known(key)
        if known is not UNKNOWN:
            return known  # type: ignore[return-value]
        cached = self.ledger.serve(key)
        if cached is not None:
            self._writes.execute(_CHECK, (encode_key(key), cached[1]))
            self.unsent_checks = True
            return cached[0]
        row = self._one(self._sql.get, (encode_key(key),))
        if row is None:
            return None
        stored = bytes(row[0])
        value = decode_value(stored)
        self.ledger.read(key, value, stored)
        return value

    def put(self, key: Key, value: Value) -> None:
        stored = encode_value(value)
        self._writes.execute(self._sql.put, (encode_key(key), stored))
        self.ledger.wrote(key, (value, stored))

    def insert(self, key: Key, value: Value) -> None:
        stored = encode_value(value)
        if self._strict:
            super().insert(key, value)
        else:
            self._writes.execute(_PLAIN_INSERT, (encode_key(key), stored))
            self.optimistic = True
        self.ledger.wrote(key, (value, stored))

    def delete(self, key: Key) -> None:
        super().delete(key)
        self.ledger.wrote(key, None)

    def lock(self, name: str) -> None:
        self._writes.execute(lock(name).encode())

    def verify(self) -> bool:
        try:
            self._wait(self._pipeline.sync, committing=False)
        except psycopg.Error as exc:
            if exc.sqlstate == STALE_ROW:
                return False
            raise
        return True

    def commit(self) -> None:
        done = self._conn.cursor()
        done.execute(b"COMMIT")
        self._wait(self._pipeline.sync, committing=True)
        self.close()
        if done.statusmessage != "COMMIT":
            raise pg_errors.InFailedSqlTransaction(
                "the transaction was rolled back: a statement in it failed and its error was caught"
            )

    def close(self) -> None:
        """Leave pipeline mode (whatever state it is in), so that the connection can roll back."""
        with contextlib.suppress(psycopg.Error):
            self._stack.close()

    def _wait(self, step: Any, *, committing: bool) -> Any:
        self.unsent_checks = False
        first, self._answered = not self._answered, True
        try:
            return step()
        except psycopg.OperationalError as exc:
            raise stale(exc, first and not committing) from exc

    def _one(self, sql: str, params: tuple[bytes, ...]) -> Row | None:
        cursor = self._conn.cursor()
        cursor.execute(sql, params)
        row: Row | None = self._wait(cursor.fetchone, committing=False)
        return row

    def _all(self, sql: str, params: tuple[bytes, ...]) -> list[Row]:
        cursor = self._conn.cursor()
        cursor.execute(sql, params)
        rows: list[Row] = self._wait(cursor.fetchall, committing=False)
        return rows

    def _write(self, sql: str, params: tuple[bytes, ...]) -> None:
        self._writes.execute(sql, params)
