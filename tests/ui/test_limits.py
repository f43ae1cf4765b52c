"""Long child lists are cut in the tree and the IPAM page and paged on a network's page (no browser needed:
the pages are read as HTML through the app)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from metalnet.api.app import create_app
from metalnet.api.settings import Settings
from metalnet.api.ui.routes import CHILD_LIMIT
from metalnet.network import NetworkAllocate, NetworkCreate, NetworkService, PartitionCreate, ProjectCreate
from metalnet.storage import MemoryStorage

CHILDREN = CHILD_LIMIT + 10


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:  # type: ignore[type-arg]
    storage = MemoryStorage()
    service = NetworkService(storage)
    service.create_partition(PartitionCreate(id="p"))
    service.create_project(ProjectCreate(id="proj"))
    service.create_network(NetworkCreate(id="super", partitionid="p", prefixes=["10.0.0.0/16"], privatesuper=True,
                                         defaultchildprefixlength={"IPv4": 26}))
    for i in range(CHILDREN):
        service.allocate_network(NetworkAllocate(partitionid="p", projectid="proj", name=f"c{i}"))
    with TestClient(create_app(storage, Settings(request_log=False))) as test_client:
        yield test_client


def test_tree_lists_the_first_children_and_links_the_rest(client: TestClient) -> None:  # type: ignore[type-arg]
    page = client.get("/ui/").text
    assert page.count('class="network depth-1"') == CHILD_LIMIT
    assert "+ 10 more children" in page


def test_network_page_pages_its_children(client: TestClient) -> None:  # type: ignore[type-arg]
    first = client.get("/ui/network/super").text
    assert len(re.findall(r'<tr class="network" data-network-id=', first)) == CHILD_LIMIT
    assert f"children 1–{CHILD_LIMIT} of {CHILDREN}" in first
    assert 'id="children-next"' in first
    rest = client.get(f"/ui/network/super?children={CHILD_LIMIT}").text
    assert len(re.findall(r'<tr class="network" data-network-id=', rest)) == 10
    assert 'id="children-prev"' in rest
    assert 'id="children-next"' not in rest


def test_ipam_page_lists_the_first_child_prefixes(client: TestClient) -> None:  # type: ignore[type-arg]
    page = client.get("/ui/ipam").text
    assert page.count('class="prefix depth-1"') == CHILD_LIMIT
    assert "+ 10 more child prefixes" in page
