"""Fixtures of the network-layer tests; every test runs once per storage backend (``storage`` fixture)."""

from __future__ import annotations

import pytest

from metalnet.network import Network, NetworkService, PartitionCreate, ProjectCreate
from metalnet.storage import Storage
from tests.network.support import PARTITION, PROJECT, tenant_super


@pytest.fixture
def service(storage: Storage) -> NetworkService:
    return NetworkService(storage)


@pytest.fixture
def lab(service: NetworkService) -> Network:
    """Partition mini-lab, the proposal's project, and tenant-super.yaml's private super network."""
    service.create_partition(PartitionCreate(id=PARTITION, name="mini lab"))
    service.create_project(ProjectCreate(id=PROJECT, name="proposal"))
    return service.create_network(tenant_super())
