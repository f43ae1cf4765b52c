"""RethinkDB fixtures (placeholder until the server fixture lands)."""

import pytest


@pytest.fixture
def rethinkdb_url() -> str:
    pytest.skip("RethinkDB fixture not implemented yet")
