"""Commits in doubt: the connection was lost after COMMIT went out, so its answer never came.

The server may have made the transaction durable just before the connection died (a crash at that
instant, a backend terminated, a network cut); answering such a call with "unavailable" would leave what it
wrote (an allocation) without an owner. So a transaction that writes learns its own id, and a lost COMMIT is
settled by asking the server about that id:

- **the id, at no extra round trip**: :data:`ANNOUNCE` joins the buffer just before the transaction's first
  write (or its events), so it travels in a message the transaction sends anyway (for a one-message
  transaction, the one that carries the COMMIT). It raises a notice holding ``pg_current_xact_id()``; the
  server sends a notice to the client as soon as it is raised, whereas results wait for the end of the
  message, so the notice is on its way before the COMMIT that follows it runs. :class:`Announced` catches it
  while that message is out (libpq hands notices to a callback), and passes any other notice on. (A session
  whose ``client_min_messages`` is above ``notice`` gets no id, and each doubt is then unknown.)
- **the question**: after a connection error at COMMIT, :func:`settle` connects afresh (until the request's
  deadline, every :data:`POLL_EVERY` s while the server cannot be reached) and asks ``pg_xact_status``:
  ``committed``: the call succeeded; ``aborted``: it did not (the caller reports the lost connection as
  before); ``in progress`` (the old backend is still finishing): asked again. No answer by the deadline, or
  no id announced (the notice lost with the connection): :class:`CommitOutcomeUnknownError`, a 503 after
  which a client's retry with the same Idempotency-Key tells, since idempotency keys are written in the
  transaction they answer.

The cost is in the common case: one function call and one notice per writing transaction (measured in
docs/storage.md, "Commits in doubt").
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import psycopg
from psycopg import pq

from metalnet.storage.base import CommitOutcomeUnknownError
from metalnet.storage.postgres.errors import first_line

#: the statement that announces the transaction's id in a notice (migration 0005)
ANNOUNCE = "SELECT metalnet_announce_xact()"
_PREFIX = b"metalnet-xact "
#: seconds between two attempts to ask the server while it cannot be reached or has not decided
POLL_EVERY = 0.05
_STATUS = b"SELECT pg_xact_status(%s::xid8)"

NoticeHandler = Callable[[pq.abc.PGresult], None]


class Announced:
    """The notice handler of a connection while a message carrying :data:`ANNOUNCE` is out."""

    __slots__ = ("_previous", "xid")

    def __init__(self, previous: NoticeHandler | None) -> None:
        self._previous = previous
        #: the transaction id the server announced, None until it did
        self.xid: int | None = None

    def __call__(self, result: pq.abc.PGresult) -> None:
        message = result.error_field(pq.DiagnosticField.MESSAGE_PRIMARY) or b""
        if message.startswith(_PREFIX):
            self.xid = int(message[len(_PREFIX):])
        elif self._previous is not None:
            self._previous(result)


class CommitInDoubtError(psycopg.OperationalError):
    """The connection was lost after COMMIT was sent; ``xid`` is the transaction's id if it was announced."""

    def __init__(self, message: str, xid: int | None) -> None:
        super().__init__(message)
        self.xid = xid


def settle(url: str, doubt: CommitInDoubtError, deadline: float, where: str) -> bool:
    """Whether the transaction in doubt committed, asked of the server until ``deadline`` (a monotonic time).

    Raises:
        CommitOutcomeUnknownError: no id was announced, or the server could not say by the deadline.
    """
    if doubt.xid is None:
        raise CommitOutcomeUnknownError(
            f"PostgreSQL at {where}: the connection was lost during COMMIT ({first_line(doubt)}) before the "
            "transaction's id arrived; it may have committed"
        )
    reason = first_line(doubt)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            # libpq counts connect_timeout in whole seconds; a refused connection fails at once
            with psycopg.connect(url, autocommit=True, connect_timeout=max(1, math.ceil(left))) as connection:
                while True:
                    row = connection.execute(_STATUS, (str(doubt.xid),)).fetchone()
                    status = None if row is None else row[0]
                    if status == "committed":
                        return True
                    if status == "aborted":
                        return False
                    if status is None:  # too old to be known: cannot happen within a deadline's time
                        break
                    if time.monotonic() + POLL_EVERY >= deadline:  # "in progress": the old backend is finishing
                        break
                    time.sleep(POLL_EVERY)
                break
        except psycopg.Error as exc:
            reason = first_line(exc)
        if time.monotonic() + POLL_EVERY >= deadline:
            break
        time.sleep(POLL_EVERY)
    raise CommitOutcomeUnknownError(
        f"PostgreSQL at {where}: the connection was lost during the COMMIT of transaction {doubt.xid}, and "
        f"whether it committed could not be learnt in time ({reason}); it may have committed"
    )
