"""Fixtures of the storage tests: ``sql_url`` is an empty store of each persistent SQL backend."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(params=[pytest.param("sqlite", marks=pytest.mark.sqlite),
                        pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty SQLite file or PostgreSQL store, shared by several processes in a test."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'metalnet.db'}"
    return str(request.getfixturevalue("postgres_url"))
