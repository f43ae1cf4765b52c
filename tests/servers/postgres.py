"""PostgreSQL fixtures (placeholder until the server fixture lands)."""

import pytest


@pytest.fixture
def postgres_url() -> str:
    pytest.skip("PostgreSQL fixture not implemented yet")
