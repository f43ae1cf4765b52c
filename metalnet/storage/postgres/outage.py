"""Outages of the PostgreSQL server: fail at once while it is down, notice at once when it is back.

Without this a call during an outage waits for a pooled connection until its timeout (the pool keeps
reconnecting in the background, with a backoff that grows to many seconds), and after the server's return
the pool may still be sleeping in that backoff. Instead, a failure that looks like an outage (a connection
lost, none to be had from the pool) is confirmed with one direct connection attempt: refused means down.
While down, every call makes at most one such attempt per :data:`PROBE_EVERY` seconds (the others fail
at once), and the first attempt that succeeds ends the outage: the store then starts a fresh pool.
"""

from __future__ import annotations

import threading
import time

import psycopg

from metalnet.storage.base import StorageUnavailableError, bounded
from metalnet.storage.postgres.errors import first_line

#: seconds between two connection attempts while the server is down
PROBE_EVERY = 0.1


class Outage:
    """The down/up state of one server, as this process last saw it."""

    def __init__(self, url: str, where: str, connect_timeout: float) -> None:
        self._url = url
        self._where = where
        self._connect_timeout = connect_timeout
        self._down = False
        self._reason = ""
        self._probed = 0.0
        self._probing = threading.Lock()

    @property
    def down(self) -> bool:
        return self._down

    def confirm(self, deadline: float | None) -> None:
        """After a failure that may be an outage: raise :class:`StorageUnavailableError` if the server is down."""
        self._probe(deadline)

    def check(self, deadline: float | None) -> bool:
        """Before a call: raise while the server is down; True when it has just come back (start afresh)."""
        if not self._down:
            return False
        if time.monotonic() - self._probed < PROBE_EVERY or not self._probing.acquire(blocking=False):
            raise StorageUnavailableError(f"PostgreSQL at {self._where} is unavailable: {self._reason}")
        try:
            return self._recovered(deadline)
        finally:
            self._probing.release()

    def _recovered(self, deadline: float | None) -> bool:
        if not self._down:
            return False  # another thread saw it come back meanwhile
        self._probe(deadline)
        return True

    def _probe(self, deadline: float | None) -> None:
        self._probed = time.monotonic()
        # libpq counts connect_timeout in whole seconds, at least 2; a refused connection fails at once
        wait = max(2, round(bounded(self._connect_timeout, deadline, self._where)))
        try:
            psycopg.connect(self._url, autocommit=True, connect_timeout=wait).close()
        except psycopg.Error as exc:
            self._reason = first_line(exc)
            self._down = True
            raise StorageUnavailableError(f"PostgreSQL at {self._where} is unavailable: {self._reason}") from exc
        self._down = False
