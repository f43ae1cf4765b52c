from __future__ import annotations

import pytest

from metalnet.ipam import Ipamer
from metalnet.storage import Storage


@pytest.fixture
def ipam(storage: Storage) -> Ipamer:
    """An Ipamer on an empty store of each backend: the core suite is the storage contract too."""
    return Ipamer(storage=storage)
