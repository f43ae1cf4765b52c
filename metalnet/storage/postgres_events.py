"""The history of changes on PostgreSQL: the statements behind ``append_event`` and the event reads.

Events live in their own table (migration 0003), not in ``kv``: their number must come from a counter that
every writer shares, and a counter row in ``kv`` would be read in one message and written in the next,
holding its lock across a round trip. Here the transaction's last statement before ``COMMIT`` increments
the counter row and inserts the events numbered from it, on the server, in the same message as the
``COMMIT``: the row lock it takes is the transaction's last, held only for the commit itself. A second writer
waits on that lock until the first has committed (and is visible), so numbers are gapless, handed out in
commit order, and no reader sees ``n + 1`` before ``n``. A transaction that rolls back gives its numbers back
with the counter's update.
"""

from __future__ import annotations

from typing import Any

import psycopg

from metalnet.storage.event_log import PRUNE_BATCH, EventBounds, EventFilter, EventRecord, StoredEvent

_COLUMNS = "seq, at, kind, ident, project, body"


def _text(value: str) -> str:
    # hex digits only (see postgres._bytea): no text from a caller ever reaches SQL as SQL
    return f"convert_from(E'\\\\x{value.encode().hex()}'::bytea, 'UTF8')"


def append_statement(events: list[EventRecord]) -> str:
    """One statement numbering and inserting ``events`` (sent just before ``COMMIT``)."""
    count = len(events)
    rows = ",".join(
        f"({index},{float(event.at)!r}::float8,{_text(event.kind)},{_text(event.ident)},"
        f"{_text(event.project)},{_text(event.body)})"
        for index, event in enumerate(events, start=1)
    )
    # every value in it is a number or a hex literal (see _text)
    return (
        f"WITH s AS (UPDATE metalnet_event_seq SET newest = newest + {count} RETURNING newest) "  # noqa: S608
        f"INSERT INTO metalnet_event ({_COLUMNS}) "
        f"SELECT s.newest - {count} + e.i, e.at, e.kind, e.ident, e.project, e.body "
        f"FROM s, (VALUES {rows}) AS e(i, at, kind, ident, project, body)"
    )


def bounds(connection: psycopg.Connection[Any]) -> EventBounds:
    # one statement: one snapshot for both numbers
    row = connection.execute(
        "SELECT (SELECT newest FROM metalnet_event_seq), (SELECT min(seq) FROM metalnet_event)"
    ).fetchone()
    assert row is not None
    newest = int(row[0])
    return EventBounds(newest + 1 if row[1] is None else int(row[1]), newest)


def read(connection: psycopg.Connection[Any], after: int, limit: int, where: EventFilter) -> list[StoredEvent]:
    conditions, params = ["seq > %s"], [after]
    for column, value in (("kind", where.kind), ("ident", where.ident), ("project", where.project),
                          ("at", where.since)):
        if value is not None:
            conditions.append(f"{column} {'>=' if column == 'at' else '='} %s")
            params.append(value)  # type: ignore[arg-type]
    # the columns are fixed names; every value is a bound parameter
    query = f"SELECT {_COLUMNS} FROM metalnet_event WHERE {' AND '.join(conditions)} ORDER BY seq LIMIT %s"  # noqa: S608
    rows = connection.execute(query.encode(), (*params, max(0, limit))).fetchall()
    return [StoredEvent(int(r[0]), float(r[1]), r[2], r[3], r[4], r[5]) for r in rows]


def prune(connection: psycopg.Connection[Any], older_than: float, keep: int) -> int:
    """Delete the oldest events that are too old or too many, a batch per statement (each its own commit)."""
    total = 0
    while True:
        newest = bounds(connection).newest
        rows = connection.execute(
            "SELECT seq, at FROM metalnet_event ORDER BY seq LIMIT %s", (PRUNE_BATCH,)
        ).fetchall()
        upto = None
        for seq, at in rows:
            if at >= older_than and seq > newest - keep:
                break
            upto = seq
        if upto is None:
            return total
        deleted = connection.execute("DELETE FROM metalnet_event WHERE seq <= %s", (upto,)).rowcount
        total += max(0, deleted)
        if upto != rows[-1][0] or len(rows) < PRUNE_BATCH:
            return total
