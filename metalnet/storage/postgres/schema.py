"""Schema migrations of a PostgreSQL store: one process at a time, all missing steps in one transaction."""

from __future__ import annotations

from typing import Any

import psycopg

from metalnet.storage import migrations
from metalnet.storage.postgres.errors import translate
from metalnet.storage.postgres.statements import lock
from metalnet.storage.sql_common import check_schema_version

#: the advisory lock that serialises schema migrations of concurrently starting processes
MIGRATION_LOCK = "metalnet:schema-migration"
_SCHEMA_TABLE = (
    "CREATE TABLE IF NOT EXISTS metalnet_schema ("
    " id boolean PRIMARY KEY DEFAULT true CHECK (id), version integer NOT NULL)"
)


def migrate(connection: psycopg.Connection[Any], where: str) -> None:
    """Bring the database to the newest schema; refuse one written by a newer metalnet."""
    steps = migrations.load("postgres")
    try:
        with connection.transaction():
            connection.execute(lock(MIGRATION_LOCK).encode())
            connection.execute(_SCHEMA_TABLE.encode())
            row = connection.execute(b"SELECT version FROM metalnet_schema").fetchone()
            found = 0 if row is None else int(row[0])
            check_schema_version(found, len(steps), where)
            for step in steps[found:]:
                for statement in step.statements:
                    connection.execute(statement.encode())
            connection.execute(
                b"INSERT INTO metalnet_schema (version) VALUES (%s)"
                b" ON CONFLICT (id) DO UPDATE SET version = excluded.version",
                (len(steps),),
            )
    except psycopg.Error as exc:
        raise translate(exc, where) from exc
