"""A PostgreSQL transaction whose statements travel in as few messages as its reads allow.

Statements whose result nobody reads (BEGIN, locks, puts, deletes, row-cache checks) wait in a buffer and
travel in one simple-protocol message with the next read, or with the COMMIT. The server runs them in
order, so a read sees every earlier write; an error in a buffered statement surfaces at that read or at
commit, and either way aborts the whole transaction. Messages go straight through libpq's ``PQexec`` (which
releases the GIL and returns the last statement's result): the per-statement cost of the cursor layer is
what would otherwise dominate on a fast local server. Several statements in one message need the simple
protocol, so parameters are rendered as literals (:func:`.statements.bytea`: hex digits only).

psycopg's pipeline mode was measured against this (docs/storage.md, "Hand-built batching or psycopg's
pipeline"): the same round trips, but 0.80× the acquisitions per second, the cost of psycopg's per-statement
layer. So the batching stays hand-built.
"""

from __future__ import annotations

from binascii import a2b_hex
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg import pq

from metalnet.storage.base import Key, remaining, seconds_left
from metalnet.storage.event_log import EventRecord
from metalnet.storage.keys import encode_key
from metalnet.storage.postgres.errors import StaleConnectionError, stale
from metalnet.storage.postgres.events import append_statement
from metalnet.storage.postgres.in_doubt import ANNOUNCE, Announced, CommitInDoubtError
from metalnet.storage.postgres.ledger import UNKNOWN, Ledger
from metalnet.storage.postgres.liveness import peer_spoke
from metalnet.storage.postgres.statements import (
    CHECK,
    PLAIN_INSERT,
    SQL,
    STALE_ROW,
    bytea,
    lock,
    statement_timeout,
)
from metalnet.storage.row_cache import RowCache
from metalnet.storage.rows import Value, decode_value, encode_value
from metalnet.storage.sql_common import Row, SqlTransaction

_MAX_BUFFERED = 1000
_OK = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK)


class PostgresTransaction(SqlTransaction):
    """Statements on one pooled connection, sent in as few round trips as the reads allow.

    ``insert`` is optimistic unless ``strict``: a plain INSERT joins the buffer as if the key were new. If it
    was not, the server's unique violation aborts the transaction, and the store runs ``fn`` again in strict
    mode (as it does whenever ``fn`` fails after an optimistic insert), where each insert asks the server at
    once and raises :class:`KeyExistsError` at the call, keeping the transaction usable. Inserts of existing
    keys are rare (a domain conflict), so the common case saves the round trip an insert would otherwise
    cost; the price is that ``fn`` may run twice, which the contract allows.
    """

    def __init__(self, connection: psycopg.Connection[Any], begin: str, *, strict: bool = False,
                 cache: RowCache | None = None, deadline: float | None = None, where: str = "PostgreSQL") -> None:
        super().__init__(SQL)
        self._pgconn = connection.pgconn
        self._encoding = connection.info.encoding
        self._pending = [begin]
        self._deadline = deadline
        self._where = where
        if deadline is not None:
            # the server cancels any statement (a lock wait included) still running at the deadline
            self._pending.append(statement_timeout(seconds_left(deadline, where)))
        self._sent = False
        self._strict = strict
        #: whether an optimistic insert was buffered, so that a unique violation means "re-run strict"
        self.optimistic = False
        self.ledger = Ledger(cache)
        #: whether a check waits in the buffer (a failure of ``fn`` must then be verified before it is believed)
        self.unsent_checks = False
        #: history events, numbered by the last statement before COMMIT (see postgres/events.py)
        self._events: list[EventRecord] = []
        #: whether :data:`.in_doubt.ANNOUNCE` was buffered (the transaction writes), and whether it waits unsent
        self._announced = False
        self._announcing = False
        self._ended_by_server = False
        #: the transaction's id, once the server announced it (see postgres/in_doubt.py)
        self.xid: int | None = None

    def get(self, key: Key) -> Value | None:
        known = self.ledger.known(key)
        if known is not UNKNOWN:
            return known  # type: ignore[return-value]
        cached = self.ledger.serve(key)
        if cached is not None:
            self._pending.append(CHECK.format(bytea(encode_key(key)), bytea(cached[1])))
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
        self._buffer(self._sql.put.format(bytea(encode_key(key)), bytea(stored)))
        self.ledger.wrote(key, (value, stored))

    def insert(self, key: Key, value: Value) -> None:
        if self._strict:
            self._announce()
            super().insert(key, value)
            self.ledger.wrote(key, (value, encode_value(value)))
        else:
            stored = encode_value(value)
            self._buffer(PLAIN_INSERT.format(bytea(encode_key(key)), bytea(stored)))
            self.ledger.wrote(key, (value, stored))
            self.optimistic = True

    def delete(self, key: Key) -> None:
        super().delete(key)
        self.ledger.wrote(key, None)

    def lock(self, name: str) -> None:
        self._pending.append(lock(name))

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

    def append_event(self, event: EventRecord) -> None:
        self._events.append(event)

    def commit(self) -> None:
        """Send what is buffered together with ``COMMIT``; raises unless the server really committed.

        Past the deadline nothing is sent: :class:`DeadlineExceededError`, and the caller rolls back.
        """
        remaining(self._deadline, self._where)
        if peer_spoke(self._pgconn):
            # the COMMIT must not go out on a connection that the server is closing (a lost answer could not
            # be told from a lost commit), so look first; the connection is closed, so that the pool replaces
            # it. A transaction of one message then runs again; one that had begun on the server ended with
            # its session, having committed nothing
            self._pgconn.finish()
            if not self._sent:
                raise StaleConnectionError("the server closed or is closing the pooled connection")
            raise psycopg.OperationalError("the server ended the session before the transaction's COMMIT")
        if self._events:
            self._announce()
            self._pending.append(append_statement(self._events))
        try:
            result = self._send("COMMIT")
        except psycopg.OperationalError as exc:
            if self._announced and self._pgconn.status != pq.ConnStatus.OK and not (
                    self.xid is None and self._ended_by_server):
                # the connection died with the COMMIT out: it may have committed (see postgres/in_doubt.py);
                # not so when the server ended the session in words and no id came before them: it ran nothing
                # of the message that announces the id, the COMMIT included
                raise CommitInDoubtError(str(exc), self.xid) from exc
            raise
        if result.command_status != b"COMMIT":
            # the server answers COMMIT of a transaction that an error aborted with "ROLLBACK", not an
            # error: that happens when fn caught the error of a statement and carried on
            raise pg_errors.InFailedSqlTransaction(
                "the transaction was rolled back: a statement in it failed and its error was caught"
            )

    def _send(self, statement: str) -> pq.abc.PGresult:
        pending = self._pending
        pending.append(statement)
        query = ";".join(pending).encode()
        pending.clear()
        self.unsent_checks = False
        first_send, self._sent = not self._sent, True
        if self._announcing:
            result = self._exec_announcing(query, first_send and statement != "COMMIT")
        else:
            try:
                result = self._pgconn.exec_(query)
            except psycopg.OperationalError as exc:
                raise stale(exc, first_send and statement != "COMMIT") from exc
        if result.status not in _OK:
            if self._pgconn.status != pq.ConnStatus.OK:
                # the server's own word (a FATAL with its SQLSTATE), not libpq's "connection lost": what the
                # server sent before it is known to have arrived too
                self._ended_by_server = result.error_field(pq.DiagnosticField.SQLSTATE) is not None
                error = psycopg.OperationalError(result.get_error_message(self._encoding) or "connection lost")
                raise stale(error, first_send and statement != "COMMIT") from error
            raise pg_errors.error_from_result(result, encoding=self._encoding)
        return result

    def _exec_announcing(self, query: bytes, nothing_done: bool) -> pq.abc.PGresult:
        """``exec_`` of a message that carries :data:`.in_doubt.ANNOUNCE`, catching the id it announces."""
        self._announcing = False
        pgconn = self._pgconn
        previous = pgconn.notice_handler
        catcher = Announced(previous)
        pgconn.notice_handler = catcher
        try:
            return pgconn.exec_(query)
        except psycopg.OperationalError as exc:
            raise stale(exc, nothing_done) from exc
        finally:
            pgconn.notice_handler = previous
            self.xid = catcher.xid

    def _announce(self) -> None:
        """Before the first write: have the server announce the transaction's id (see postgres/in_doubt.py)."""
        if not self._announced:
            self._announced = self._announcing = True
            self._pending.append(ANNOUNCE)

    def _one(self, sql: str, params: tuple[bytes, ...]) -> Row | None:
        result = self._send(sql.format(*map(bytea, params)))
        return _row(result, 0) if result.ntuples else None

    def _all(self, sql: str, params: tuple[bytes, ...]) -> list[Row]:
        result = self._send(sql.format(*map(bytea, params)))
        return [_row(result, index) for index in range(result.ntuples)]

    def _write(self, sql: str, params: tuple[bytes, ...]) -> None:
        self._buffer(sql.format(*map(bytea, params)))

    def _buffer(self, statement: str) -> None:
        self._announce()  # only writes are buffered this way
        if len(self._pending) >= _MAX_BUFFERED:
            # a bulk transaction (a dump being loaded) goes out in slices rather than as one huge message
            self._send(statement)
        else:
            self._pending.append(statement)


def _row(result: pq.abc.PGresult, index: int) -> Row:
    # text-format bytea is ``\x`` followed by hex digits; every column we select is bytea
    return tuple(a2b_hex((result.get_value(index, column) or b"")[2:]) for column in range(result.nfields))
