"""The SQL text the PostgreSQL backend sends, and how a parameter becomes a literal in it."""

from __future__ import annotations

import hashlib

from psycopg import pq

from metalnet.storage.sql_common import KV

#: statements are rendered with literals (see :func:`bytea`), so the placeholder is a format field
SQL = KV.with_placeholder("{}")
PLAIN_INSERT = "INSERT INTO kv (k, v) VALUES ({}, {})"
#: fails the transaction with SQLSTATE ``STALE_ROW`` unless the row holds the given bytes (migration 0002)
CHECK = "SELECT metalnet_check({}, {})"
STALE_ROW = "MN001"
BEGIN = "BEGIN ISOLATION LEVEL READ COMMITTED"
# a read-only transaction sees one snapshot throughout; read-only transactions never fail to serialise
BEGIN_READONLY = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
IN_TRANSACTION = (pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR)


def lock_id(name: str) -> int:
    """A stable signed 64-bit advisory lock number for ``name`` (the same in every process)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def lock(name: str) -> str:
    return f"SELECT pg_advisory_xact_lock({lock_id(name)})"


def bytea(data: bytes) -> str:
    # hex digits only, inside an escape string: safe whatever standard_conforming_strings says
    return f"E'\\\\x{data.hex()}'::bytea"


def statement_timeout(seconds: float) -> str:
    """For the rest of the transaction, statements that run longer than ``seconds`` are cancelled."""
    return f"SET LOCAL statement_timeout = {max(1, int(seconds * 1000))}"
