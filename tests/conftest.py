"""Shared fixtures: ``storage_url`` / ``storage`` run a test once per backend.

Servers (PostgreSQL, RethinkDB) are real, started once per test session by the plugins in ``tests/servers``;
each test gets a fresh database on them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from metalnet.storage import Storage, open_storage

pytest_plugins = ["tests.servers.postgres", "tests.servers.rethinkdb"]

BACKENDS = [
    pytest.param("memory", marks=pytest.mark.memory),
    pytest.param("sqlite", marks=pytest.mark.sqlite),
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("rethinkdb", marks=pytest.mark.rethinkdb),
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def storage_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty store of the parametrised backend."""
    if backend == "memory":
        return "memory://"
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'metalnet.db'}"
    if backend == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return str(request.getfixturevalue("rethinkdb_url"))


@pytest.fixture
def storage(storage_url: str) -> Iterator[Storage]:
    store = open_storage(storage_url)
    try:
        yield store
    finally:
        store.close()
