"""The history of changes on the SQL backends: the event table of migration 0003 and its statements.

Events live in a table of their own rather than in ``kv``: stored as they are (no key encoding, the body as
text), with an index for the events of one object, and numbered as the last thing a writing transaction
does before its ``COMMIT``:

- PostgreSQL moves one counter row and holds its lock from that statement until the commit (see
  :mod:`metalnet.storage.postgres.events`);
- SQLite's writers are serial, so the next number is simply one more than the newest: the largest ``seq``
  in the table, or the counter row where pruning left it (pruning raises the counter to the newest number
  before it deletes, so numbers never repeat). Appending then writes no counter page: a commit writes the
  event table's last page and its index's, nothing else.

Statements use ``?`` placeholders (sqlite3); PostgreSQL's driver gets them with ``%s`` (:func:`for_psycopg`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from metalnet.storage.event_log import PRUNE_BATCH, EventBounds, EventFilter, EventRecord, StoredEvent

#: runs one statement with parameters and returns its rows
Execute = Callable[[str, Sequence[Any]], list[Sequence[Any]]]

COLUMNS = "seq, at, kind, ident, project, body"
INSERT = "INSERT INTO metalnet_event (seq, at, kind, ident, project, body) VALUES (?, ?, ?, ?, ?, ?)"
#: PostgreSQL: the newest number is the counter row's
BOUNDS = "SELECT (SELECT newest FROM metalnet_event_seq), (SELECT min(seq) FROM metalnet_event)"
#: SQLite: the newest number is the table's largest, or the counter where pruning raised it
SERIAL_NEWEST = (
    "SELECT max(coalesce((SELECT max(seq) FROM metalnet_event), 0), (SELECT newest FROM metalnet_event_seq))"
)
SERIAL_BOUNDS = (
    "SELECT max(coalesce((SELECT max(seq) FROM metalnet_event), 0), (SELECT newest FROM metalnet_event_seq)),"
    " (SELECT min(seq) FROM metalnet_event)"
)
RAISE_FLOOR = "UPDATE metalnet_event_seq SET newest = ?"
OLDEST_BATCH = "SELECT seq, at FROM metalnet_event ORDER BY seq LIMIT ?"
DELETE_UPTO = "DELETE FROM metalnet_event WHERE seq <= ?"
_FILTERS = (("kind", "="), ("ident", "="), ("project", "="), ("at", ">="))


def for_psycopg(statement: str) -> str:
    return statement.replace("?", "%s")


def numbered(newest: int, events: list[EventRecord]) -> list[tuple[int, float, str, str, str, str]]:
    """The rows of ``events`` numbered after ``newest``."""
    return [(newest + 1 + index, *event) for index, event in enumerate(events)]


def bounds(execute: Execute, *, serial: bool = False) -> EventBounds:
    # one statement: one snapshot for both numbers
    (newest, oldest), = execute(SERIAL_BOUNDS if serial else BOUNDS, ())
    return EventBounds(int(newest) + 1 if oldest is None else int(oldest), int(newest))


def read_query(after: int, limit: int, where: EventFilter) -> tuple[str, list[Any]]:
    conditions, params = ["seq > ?"], list[Any]([after])
    for (column, operator), value in zip(_FILTERS, (where.kind, where.ident, where.project, where.since),
                                         strict=True):
        if value is not None:
            conditions.append(f"{column} {operator} ?")
            params.append(value)
    params.append(max(0, limit))
    # fixed column names and operators; every value is a parameter
    return f"SELECT {COLUMNS} FROM metalnet_event WHERE {' AND '.join(conditions)} ORDER BY seq LIMIT ?", params  # noqa: S608


def read(execute: Execute, after: int, limit: int, where: EventFilter) -> list[StoredEvent]:
    query, params = read_query(after, limit, where)
    return [StoredEvent(int(r[0]), float(r[1]), r[2], r[3], r[4], r[5]) for r in execute(query, params)]


def prune_batch(execute: Execute, older_than: float, keep: int, *, serial: bool = False) -> int:
    """Delete the oldest events (at most one batch) that are older than ``older_than`` or beyond the newest
    ``keep``; the number deleted (less than a batch: nothing more to prune). ``serial``: SQLite's numbering,
    whose counter row must hold the newest number before the newest event may go."""
    newest = bounds(execute, serial=serial).newest
    upto, deleted = None, 0
    for seq, at in execute(OLDEST_BATCH, (PRUNE_BATCH,)):
        if at >= older_than and seq > newest - keep:
            break
        upto, deleted = seq, deleted + 1
    if upto is not None:
        if serial:
            execute(RAISE_FLOOR, (newest,))
        execute(DELETE_UPTO, (upto,))
    return deleted
