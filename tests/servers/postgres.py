"""A throwaway PostgreSQL 15 cluster for the test session, and a fresh store (schema) per test.

The cluster lives in a temporary directory under /tmp (owned by the ``postgres`` user when the tests run as
root, because the server refuses to run as root), listens on a free loopback port and on a unix socket in the
same directory, and is stopped and deleted when the session ends. Local connections are trusted, except for
the role :data:`PASSWORD_USER`, which must give :data:`PASSWORD` (so that tests can check bad credentials).

Without PostgreSQL binaries the fixtures skip with a reason; with ``CI=true`` they fail instead, because CI
must run these tests.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest

from scripts.servers import (
    PASSWORD,
    PASSWORD_USER,
    TEST_DATABASE,
    PostgresMissingError,
    PostgresServer,
    admin,
    as_server_user,
    find_bindir,
    throwaway_cluster,
)

__all__ = [
    "PASSWORD",
    "PASSWORD_USER",
    "TEST_DATABASE",
    "PostgresServer",
    "as_server_user",
    "cluster_or_skip",
    "find_bindir",
    "postgres_schema",
    "postgres_server",
    "postgres_url",
    "throwaway_cluster",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL tests must run in CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


def cluster_or_skip() -> Iterator[PostgresServer]:
    """A throwaway cluster for a fixture to yield (the test skipped, or failed in CI, when it cannot start)."""
    try:
        cluster = throwaway_cluster()
        server = cluster.__enter__()
    except PostgresMissingError as exc:
        _unavailable(str(exc))
        raise  # unreachable: _unavailable skips or fails
    try:
        yield server
    finally:
        cluster.__exit__(None, None, None)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One cluster for the whole test session (skipped, or failed in CI, when it cannot start)."""
    yield from cluster_or_skip()


_numbers = itertools.count(1)


@pytest.fixture
def postgres_schema(postgres_server: PostgresServer) -> Iterator[str]:
    """The name of a fresh, empty schema in the session's test database (dropped after the test)."""
    name = f"t_{next(_numbers)}"
    admin(postgres_server, f"CREATE SCHEMA {name}", TEST_DATABASE)
    yield name
    # a store the test left open must not hang the session: give up on the drop instead of waiting
    try:
        admin(postgres_server, "SET lock_timeout = '5s'", TEST_DATABASE,
               then=f"DROP SCHEMA IF EXISTS {name} CASCADE")
    except Exception as exc:  # the schema stays; the cluster is deleted at the end of the session anyway
        print(f"could not drop schema {name}: {exc}")


@pytest.fixture
def postgres_url(postgres_server: PostgresServer, postgres_schema: str) -> str:
    """The URL of a fresh, empty store on the session's cluster.

    Each test gets its own schema (``options=-csearch_path=t_N`` in the URL) rather than its own database:
    on this machine CREATE/DROP DATABASE cost 0.2-1.8 s (a copy of template1 and a checkpoint), a schema
    a few milliseconds, and metalnet names no schema, so the isolation is the same.
    """
    return postgres_server.url(TEST_DATABASE) + f"?options=-csearch_path%3D{postgres_schema}"
