"""Start-up of the RethinkDB backend: database, tables, readiness and the stored format version.

Tables (all keyed by ``id``):

- ``log``: one document per committed transaction, ``{id: n, nonce, effects, at, by}`` (see .log).
- ``snapshots``: chunks ``{id: [log_id, i], data}`` of the encoded key space at log entry ``log_id``.
- ``meta``: ``{id: "format", version}``, ``{id: "snapshot", log_id, chunks}`` (the newest snapshot) and
  ``{id: "compacted", below}`` (log entries below ``below`` may be gone; no commit lands there).

The format version says how these documents are to be read. A store written by a newer metalnet (a higher
version) is refused, so an old binary never misreads or overwrites what it does not understand. An older
version is raised to this one at start-up once every step between them needs no rewrite of stored documents
(the steps are listed in ``FORMAT_STEPS``).
"""

from __future__ import annotations

import logging

from rethinkdb.errors import ReqlOpFailedError

from metalnet.storage.base import SchemaVersionError, StorageError
from metalnet.storage.rethinkdb.conn import Connection, Connector, r

#: what each version added; every step so far reads the documents of the version before it unchanged
FORMAT_STEPS = {
    1: "the transaction log, snapshots and meta documents",
    2: "IPAM prefix rows may carry reserved address ranges (older binaries would drop them on a write)",
}
FORMAT_VERSION = max(FORMAT_STEPS)
#: seconds to wait for lagging replicas once the tables take writes
ALL_REPLICAS_WAIT = 2.0
log = logging.getLogger(__name__)
TABLES = ("log", "snapshots", "meta")


def ensure_schema(connector: Connector) -> None:
    """Create what is missing, wait until the tables are ready, then check the format version."""
    config = connector.config

    def setup(conn: Connection) -> object:
        if config.db not in r.db_list().run(conn):
            _create(conn, r.db_create(config.db), f"database {config.db!r}")
        existing = set(r.db(config.db).table_list().run(conn))
        for name in TABLES:
            if name not in existing:
                term = r.db(config.db).table_create(name, replicas=config.replicas)
                _create(conn, term, f"table {config.db}.{name} with {config.replicas} replica(s)")
        _wait_ready(conn, config.db, config.timeout)
        meta = r.db(config.db).table("meta", read_mode="majority")
        meta.insert({"id": "format", "version": FORMAT_VERSION}, conflict="error", durability="hard").run(conn)
        # raise an older version in place (never lower a newer one): the steps between need no rewrite
        meta.get("format").update(
            lambda doc: r.branch(
                r.expr(list(range(1, FORMAT_VERSION))).contains(doc["version"]),
                {"version": FORMAT_VERSION},
                {},
            ),
            durability="hard",
        ).run(conn)
        return meta.get("format")["version"].default(None).run(conn)

    version = connector.run(setup)
    if not isinstance(version, int | float) or int(version) != version or version < 1:
        raise SchemaVersionError(f"{config.safe_url} holds an unreadable metalnet format version {version!r}")
    if version > FORMAT_VERSION:
        raise SchemaVersionError(
            f"{config.safe_url} was written by a newer metalnet (storage format {int(version)}; this version "
            f"reads up to {FORMAT_VERSION}): upgrade metalnet"
        )


def _wait_ready(conn: Connection, db: str, timeout: float) -> None:
    """Wait until the tables take writes (a majority of replicas), then briefly for every replica.

    A cluster that lost one server of three still commits; a process must be able to start then too, so
    all replicas being ready is waited for only a short while.
    """
    r.db(db).wait(wait_for="ready_for_writes", timeout=timeout).run(conn)
    try:
        r.db(db).wait(wait_for="all_replicas_ready", timeout=min(timeout, ALL_REPLICAS_WAIT)).run(conn)
    except ReqlOpFailedError as exc:
        log.warning("starting with replicas missing in %s: %s", db, str(exc).splitlines()[0])


def _create(conn: Connection, term: object, what: str) -> None:
    try:
        term.run(conn)  # type: ignore[attr-defined]
    except ReqlOpFailedError as exc:
        # another process may have created it between our look and our create
        if "already exists" not in str(exc):
            raise StorageError(f"cannot create {what}: {str(exc).splitlines()[0]}") from exc
