"""One RethinkDB connection that fails over between hosts and turns driver errors into storage errors.

Error mapping (the driver's names on the left):

- ``ReqlAuthError``, ``ReqlPermissionError`` → :class:`StorageUnavailableError` at once (wrong credentials
  do not heal by waiting).
- ``ReqlDriverError`` (connection refused, reset, timed out), ``ReqlAvailabilityError`` (no primary, no
  majority: ``ReqlOpFailedError``, ``ReqlOpIndeterminateError``), ``ReqlInternalError`` (seen during
  failovers) → retried until the caller's deadline, then
  :class:`StorageUnavailableError` ("unavailable, retry"). Except when no listed server accepts a
  connection at all (each tried in turn): that is an outage, reported at once. Callers only pass queries
  that are safe to repeat: reads, and the commit insert, whose repeat is resolved by its nonce.
- any other ``ReqlError`` → :class:`StorageError` (a bug or a broken database, not worth retrying).

A ``Connector`` is not thread-safe; the storage uses it under its lock and gives background work its own.
"""

from __future__ import annotations

import contextlib
import random
import socket
import time
from collections.abc import Callable
from typing import Any, TypeVar

from rethinkdb import RethinkDB
from rethinkdb.errors import (
    ReqlAuthError,
    ReqlAvailabilityError,
    ReqlDriverError,
    ReqlError,
    ReqlInternalError,
    ReqlPermissionError,
)

from metalnet.storage.base import StorageError, StorageUnavailableError
from metalnet.storage.rethinkdb.config import RethinkConfig

T = TypeVar("T")
r = RethinkDB()
#: the driver's connection object (untyped)
Connection = Any
#: during a failover the server also answers "Unexpected exception: … none of the servers were accessible"
#: as an internal error; it heals like the others
_TRANSIENT = (ReqlDriverError, ReqlAvailabilityError, ReqlInternalError, OSError)
#: seconds between two attempts while the server answers but cannot serve yet (a restarted server readying its
#: tables, a failover): short and fixed, not a growing backoff, so that the first attempt after the tables take
#: writes again comes within this long (a growing pause reached 0.5 s and served up to 1.2 s late)
POLL_EVERY = 0.05


class Connector:
    """Runs queries on a connection to the first reachable host, reconnecting when it breaks."""

    def __init__(self, config: RethinkConfig) -> None:
        self.config = config
        self._conn: Connection | None = None
        self._socket: socket.socket | None = None
        self._host_index = 0

    def run(self, query: Callable[[Connection], T], *, deadline: float | None = None) -> T:
        """Run ``query(conn)``; retry transient failures until ``deadline`` (``time.monotonic()``).

        A server that answers but cannot serve yet (no primary, no majority: a failover) is waited out
        until the deadline. When no listed server accepts a connection at all, every one having been tried
        in turn, that is an outage: :class:`StorageUnavailableError` at once, not at the deadline. Without
        a deadline each host is tried once, for start-up: an address that is wrong is reported at once.
        """
        attempts = 0
        refused = 0
        while True:
            try:
                conn = self._connection(deadline)
            except (ReqlAuthError, ReqlPermissionError) as exc:
                raise StorageUnavailableError(f"{self.config.safe_url} refused the credentials: {exc}") from exc
            except (ReqlDriverError, OSError) as exc:
                refused += 1
                if refused >= len(self.config.hosts):
                    raise StorageUnavailableError(
                        f"{self.config.safe_url} is unavailable, retry: no server accepts a connection: {_reason(exc)}"
                    ) from exc
                continue  # the next listed server, at once
            try:
                return query(conn)
            except (ReqlAuthError, ReqlPermissionError) as exc:
                self.close()
                raise StorageUnavailableError(f"{self.config.safe_url} refused the credentials: {exc}") from exc
            except _TRANSIENT as exc:
                if isinstance(exc, ReqlDriverError | OSError):
                    self.close()  # the connection is gone; the next attempt opens a new one
                attempts += 1
                give_up = attempts >= len(self.config.hosts) if deadline is None else time.monotonic() >= deadline
                if give_up:
                    raise StorageUnavailableError(
                        f"{self.config.safe_url} is unavailable, retry: {_reason(exc)}"
                    ) from exc
                pause = POLL_EVERY * random.uniform(0.5, 1.0)
                if deadline is not None:
                    pause = min(pause, max(0.0, deadline - time.monotonic()))
                time.sleep(pause)
                refused = 0
            except ReqlError as exc:
                raise StorageError(f"{self.config.safe_url}: {_reason(exc)}") from exc

    def close(self) -> None:
        conn, self._conn = self._conn, None
        sock, self._socket = self._socket, None
        if conn is not None:
            with contextlib.suppress(ReqlError, OSError):  # a broken connection has nothing left to release
                conn.close(noreply_wait=False)
        if sock is not None:
            # the driver drops its socket without closing it when shutdown() fails on a connection the
            # peer already cut; close it here so that no file descriptor leaks
            sock.close()

    def _connection(self, deadline: float | None = None) -> Connection:
        if self._conn is not None and self._conn.is_open():
            return self._conn
        wait = self.config.timeout if deadline is None else min(self.config.timeout, deadline - time.monotonic())
        if wait <= 0:
            raise StorageUnavailableError(f"{self.config.safe_url}: the deadline passed before a connection was open")
        host, port = self.config.hosts[self._host_index]
        try:
            self._conn = r.connect(
                host=host,
                port=port,
                db=self.config.db,
                user=self.config.user,
                password=self.config.password,
                timeout=wait,
            )
        except (ReqlDriverError, OSError):
            # next time, try the next server of the cluster
            self._host_index = (self._host_index + 1) % len(self.config.hosts)
            raise
        self._socket = _raw_socket(self._conn)
        return self._conn


def _raw_socket(conn: Connection) -> socket.socket | None:
    raw = getattr(getattr(getattr(conn, "_instance", None), "_socket", None), "_socket", None)
    return raw if isinstance(raw, socket.socket) else None


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return str(text).splitlines()[0]
