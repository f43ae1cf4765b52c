"""Whether an idle pooled connection is still good to send a transaction's only message on."""

from __future__ import annotations

import select

import psycopg
from psycopg import pq


def peer_spoke(pgconn: pq.abc.PGconn) -> bool:
    """Whether anything arrived on this idle connection (one non-blocking look at its socket).

    The server sends nothing to an idle session of ours except to end it (a FATAL message, then the
    close), so anything there means: do not use this connection.
    """
    try:
        poller = select.poll()  # not select(): a busy server process may hold descriptors past 1024
        poller.register(pgconn.socket, select.POLLIN)
        ready = poller.poll(0)
    except (OSError, psycopg.OperationalError):
        return True
    return bool(ready) or pgconn.status != pq.ConnStatus.OK
