"""Fixtures of the RethinkDB tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.rethinkdb.support import reap


@pytest.fixture(autouse=True)
def _no_worker_left_running() -> Iterator[None]:
    yield
    reap()
