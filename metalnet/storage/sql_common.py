"""What the SQL backends share: the ``kv`` statements, the transaction over them, retries, schema checks.

Both backends keep the whole key space in one table ``kv(k, v)``: ``k`` is the order-preserving encoding of
:mod:`metalnet.storage.keys`, ``v`` the JSON of :mod:`metalnet.storage.rows`. Because the encoding of a key
prefix is a byte prefix of every key under it, ``first``/``last``/``scan`` are range conditions on the primary
key index; the backends only differ in how they run a statement and how they serialise writers.
"""

from __future__ import annotations

import random
import time
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, fields

from metalnet.storage.base import Key, KeyExistsError, SchemaVersionError, Transaction
from metalnet.storage.keys import decode_key, encode_key, prefix_bounds
from metalnet.storage.rows import Value, decode_value, encode_value

#: how often ``run`` re-runs a transaction that lost a conflict before it gives up with StorageBusyError
RETRY_ATTEMPTS = 12
_BACKOFF_BASE = 0.001
_BACKOFF_CAP = 0.1

Row = Sequence[bytes]
#: a transaction inside a transaction of the same store would either fail or wait on its own locks
NESTED_RUN = (
    "storage.run() called inside a transaction of the same store {url}: "
    "pass the outer transaction down instead (for example IpamSession(tx))"
)


@dataclass(frozen=True)
class Statements:
    """The statements on ``kv``, in one parameter style."""

    get: str
    put: str
    insert: str
    delete: str
    first: str
    last: str
    scan: str

    def with_placeholder(self, mark: str) -> Statements:
        """The same statements with ``mark`` (e.g. ``{}``) in place of each ``?`` parameter."""
        return Statements(*(getattr(self, field.name).replace("?", mark) for field in fields(self)))


#: the ``kv`` statements with ``?`` parameters (the sqlite3 style)
KV = Statements(
    get="SELECT v FROM kv WHERE k = ?",
    put="INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v",
    # RETURNING tells "inserted" from "was there" without relying on each driver's rowcount semantics
    insert="INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO NOTHING RETURNING k",
    delete="DELETE FROM kv WHERE k = ?",
    first="SELECT k, v FROM kv WHERE k >= ? AND k < ? ORDER BY k LIMIT 1",
    # the upper bound is inclusive: ``high`` itself qualifies, and ``prefix + UPPER`` is never a key
    last="SELECT k, v FROM kv WHERE k >= ? AND k <= ? ORDER BY k DESC LIMIT 1",
    scan="SELECT k, v FROM kv WHERE k >= ? AND k < ? ORDER BY k",
)


class SqlTransaction(Transaction):
    """The key-value operations over ``kv``; a backend supplies how one statement is run."""

    def __init__(self, statements: Statements) -> None:
        self._sql = statements

    @abstractmethod
    def _one(self, sql: str, params: tuple[bytes, ...]) -> Row | None:
        """Run a query and return its first row."""

    @abstractmethod
    def _all(self, sql: str, params: tuple[bytes, ...]) -> list[Row]:
        """Run a query and return every row."""

    @abstractmethod
    def _write(self, sql: str, params: tuple[bytes, ...]) -> None:
        """Run a statement whose result nobody reads."""

    def get(self, key: Key) -> Value | None:
        row = self._one(self._sql.get, (encode_key(key),))
        return None if row is None else decode_value(row[0])

    def put(self, key: Key, value: Value) -> None:
        self._write(self._sql.put, (encode_key(key), encode_value(value)))

    def insert(self, key: Key, value: Value) -> None:
        if self._one(self._sql.insert, (encode_key(key), encode_value(value))) is None:
            raise KeyExistsError(key)

    def delete(self, key: Key) -> None:
        self._write(self._sql.delete, (encode_key(key),))

    def first(self, low: Key, within: Key) -> tuple[Key, Value] | None:
        start, end = prefix_bounds(within)
        row = self._one(self._sql.first, (max(encode_key(low), start), end))
        return None if row is None else _entry(row)

    def last(self, high: Key, within: Key) -> tuple[Key, Value] | None:
        start, end = prefix_bounds(within)
        upper = min(encode_key(high), end)
        if upper < start:
            return None
        row = self._one(self._sql.last, (start, upper))
        return None if row is None else _entry(row)

    def scan(self, within: Key) -> list[tuple[Key, Value]]:
        return [_entry(row) for row in self._all(self._sql.scan, prefix_bounds(within))]


def _entry(row: Row) -> tuple[Key, Value]:
    return decode_key(bytes(row[0])), decode_value(row[1])


def backoff(attempt: int) -> None:
    """Sleep a jittered, exponentially growing time before retry number ``attempt`` (0-based)."""
    time.sleep(random.uniform(0, min(_BACKOFF_CAP, _BACKOFF_BASE * 2**attempt)))


def check_schema_version(found: int, latest: int, where: str) -> None:
    """Refuse a store written by a newer metalnet (schema ``found`` > ``latest``)."""
    if found > latest:
        raise SchemaVersionError(
            f"the store at {where} has schema version {found}, but this metalnet knows versions up to "
            f"{latest}: upgrade metalnet (downgrades are not supported)"
        )
