"""The history of changes on PostgreSQL: the statement behind ``append_event``, and event reads.

A transaction's events go out as its last statement before ``COMMIT``, in the same message: it increments the
counter row and inserts the events numbered from it, on the server, so the row lock it takes is the
transaction's last and is held only for the commit itself (per-prefix parallelism lasts until then). A
second writer waits on that lock until the first has committed and is visible, so numbers are gapless,
handed out in commit order, and no reader sees ``n + 1`` before ``n``. A transaction that rolls back gives
its numbers back with the counter's update.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from metalnet.storage import sql_events
from metalnet.storage.event_log import EventRecord


def _text(value: str) -> str:
    """``value`` as an SQL literal that no text can break out of.

    Printable ASCII without ``$`` goes verbatim between dollar quotes (the common case: the bytes once, no
    decoding on the server; without ``$`` the closing tag cannot occur early, and ASCII reads the same in
    every client encoding); anything else as hex digits decoded on the server (see statements.bytea).
    """
    if value.isascii() and value.isprintable() and "$" not in value:
        return f"$mn${value}$mn$"
    return f"convert_from(E'\\\\x{value.encode().hex()}'::bytea, 'UTF8')"


def append_statement(events: list[EventRecord]) -> str:
    """One statement numbering and inserting ``events`` (sent just before ``COMMIT``)."""
    count = len(events)
    rows = ",".join(
        f"({index},{float(event.at)!r}::float8,{_text(event.kind)},{_text(event.ident)},"
        f"{_text(event.project)},{_text(event.body)})"
        for index, event in enumerate(events, start=1)
    )
    # every value in it is a number or a literal made by _text
    return (
        f"WITH s AS (UPDATE metalnet_event_seq SET newest = newest + {count} RETURNING newest) "  # noqa: S608
        f"INSERT INTO metalnet_event ({sql_events.COLUMNS}) "
        f"SELECT s.newest - {count} + e.i, e.at, e.kind, e.ident, e.project, e.body "
        f"FROM s, (VALUES {rows}) AS e(i, at, kind, ident, project, body)"
    )


def executor(connection: psycopg.Connection[Any]) -> sql_events.Execute:
    """Statements of :mod:`sql_events` on an autocommit connection (each its own snapshot and commit)."""

    def execute(statement: str, params: Sequence[Any]) -> list[Sequence[Any]]:
        cursor = connection.execute(sql_events.for_psycopg(statement).encode(), params)
        return list(cursor.fetchall()) if cursor.description is not None else []

    return execute
