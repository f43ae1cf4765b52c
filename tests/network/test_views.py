"""The read-only views of :mod:`metalnet.network.views`: tree, search, detail with occupancy, IP pages."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metalnet.network import (
    ErrorKind,
    IPAllocate,
    Network,
    NetworkAllocate,
    NetworkCreate,
    NetworkService,
    PartitionCreate,
    ProjectCreate,
)
from metalnet.network.views import BATCH_READ, NetworkViews, matches
from metalnet.storage import MemoryStorage
from tests.network.support import PARTITION, PROJECT, SUPER_ID, refused

OTHER = "other-project"


@pytest.fixture
def child(service: NetworkService, lab: Network) -> Network:
    return service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT, name="my-node-network"))


def views(service: NetworkService) -> NetworkViews:
    return NetworkViews(service.storage)


def test_tree_puts_children_below_their_super_network(service: NetworkService, child: Network) -> None:
    service.create_network(NetworkCreate(id="internet", prefixes=["185.1.2.0/24"]))
    service.allocate_ip(IPAllocate(networkid=child.id, projectid=PROJECT))
    trees = views(service).tree()
    assert [t.partition for t in trees] == [PARTITION, ""]  # networks without a partition last
    rows = trees[0].rows
    assert [(r.network.id, r.depth) for r in rows] == [(SUPER_ID, 0), (child.id, 1)]
    super_v4, super_v6 = rows[0].uses
    assert (super_v4.family, super_v4.usage.used_ips, super_v4.usage.available_ips) == ("IPv4", 2, 65536)
    assert (super_v4.size, super_v4.child_addresses, super_v4.has_children) == (65536, 1024, True)
    assert super_v6.child_addresses == 2**32
    child_v4 = rows[1].uses[0]
    assert (child_v4.usage.used_ips, child_v4.usage.available_ips, child_v4.has_children) == (3, 1024, False)


def test_tree_shows_only_visible_networks(service: NetworkService, child: Network) -> None:
    service.create_project(ProjectCreate(id=OTHER))
    trees = views(service).tree(acting_for=OTHER)
    assert trees == []
    trees = views(service).tree(acting_for=PROJECT)
    # the super network (no project) is hidden: the child is shown at the top level
    assert [(r.network.id, r.depth) for t in trees for r in t.rows] == [(child.id, 0)]


@pytest.mark.parametrize(
    ("term", "found"),
    [("", True), ("NODE", True), ("4b9b17c4", True), ("10.0.0.0/22", True), ("2001:db8:0:10::/96", True),
     ("10.0.3.17", True), ("10.0.4.1", False), ("10.0.0.0/8", True), ("2001:db8:0:10::ffff", True),
     ("nothing", False), ("10.0.0.0/33", False)],
)
def test_search_terms(term: str, found: bool) -> None:
    network = Network(id="n1", name="my-node-network", projectid=PROJECT,
                      prefixes=["10.0.0.0/22", "2001:db8:0:10::/96"])
    assert matches(network, term) is found


def test_tree_search_filters(service: NetworkService, child: Network) -> None:
    found = views(service).tree(search="10.0.200.1")
    assert [r.network.id for t in found for r in t.rows] == [SUPER_ID]  # only the super holds that address
    found = views(service).tree(search="10.0.0.1")
    assert [r.network.id for t in found for r in t.rows] == [SUPER_ID, child.id]


def test_detail_has_occupancy_children_and_refuses_foreign_blocks(service: NetworkService, child: Network) -> None:
    detail = views(service).detail(SUPER_ID)
    assert [p.cidr for p in detail.prefixes] == ["10.0.0.0/16", "2001:db8:0:10::/64"]
    v4 = detail.prefixes[0].occupancy
    assert (v4.mode, len(v4.cells)) == ("children", 256)
    assert [c.state for c in v4.cells[:5]] == ["taken"] * 4 + ["free"]
    assert [r.network.id for r in detail.children] == [child.id]
    zoomed = views(service).detail(SUPER_ID, block="10.0.0.0/24")
    assert zoomed.prefixes[0].occupancy.block == "10.0.0.0/24"
    assert zoomed.prefixes[1].occupancy.block == "2001:db8:0:10::/64"
    with refused(ErrorKind.INVALID, "10.1.0.0/24"):
        views(service).detail(SUPER_ID, block="10.1.0.0/24")
    with refused(ErrorKind.FORBIDDEN, PROJECT):  # as every read of another project's network
        views(service).detail(SUPER_ID, acting_for=PROJECT)
    with refused(ErrorKind.NOT_FOUND, "nope"):
        views(service).detail("nope")
    assert views(service).detail(child.id, acting_for=PROJECT).parent_visible is False


def test_ip_pages_walk_forward_and_back(service: NetworkService, child: Network) -> None:
    for _ in range(7):
        service.allocate_ip(IPAllocate(networkid=child.id, projectid=PROJECT))
    for _ in range(3):
        service.allocate_ip(IPAllocate(networkid=child.id, projectid=PROJECT, addressfamily="IPv6"))
    view = views(service)
    first = view.ips_page(child.id, limit=4)
    assert [ip.ipaddress for ip in first.ips] == ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]
    assert (first.has_previous, first.has_next, first.total) == (False, True, 10)
    second = view.ips_page(child.id, after="10.0.0.4", limit=4)
    assert [ip.ipaddress for ip in second.ips] == ["10.0.0.5", "10.0.0.6", "10.0.0.7", "2001:db8:0:10::1"]
    third = view.ips_page(child.id, after="2001:db8:0:10::1", limit=4)
    assert [ip.ipaddress for ip in third.ips] == ["2001:db8:0:10::2", "2001:db8:0:10::3"]
    assert (third.has_previous, third.has_next) == (True, False)
    back = view.ips_page(child.id, before="2001:db8:0:10::2", limit=4)
    assert back.ips == second.ips
    assert (back.has_previous, back.has_next) == (True, True)
    with refused(ErrorKind.INVALID, "not-an-ip"):
        view.ips_page(child.id, after="not-an-ip")
    with refused(ErrorKind.INVALID, "page size 0"):
        view.ips_page(child.id, limit=0)


def test_ip_pages_skip_hidden_ips(service: NetworkService, child: Network) -> None:
    shared = service.create_network(NetworkCreate(id="shared", prefixes=["185.1.2.0/29"], projectid=PROJECT))
    service.create_project(ProjectCreate(id=OTHER))
    for project in (PROJECT, OTHER, PROJECT, OTHER):
        service.allocate_ip(IPAllocate(networkid=shared.id, projectid=project))
    page = views(service).ips_page(shared.id, acting_for=PROJECT, limit=5)
    assert [ip.ipaddress for ip in page.ips] == ["185.1.2.1", "185.1.2.3"]
    assert page.total is None  # a count would reveal the hidden ones


@settings(max_examples=15, deadline=None)
@given(count=st.integers(0, 30), limit=st.integers(1, 7), frees=st.sets(st.integers(1, 30), max_size=10))
def test_paging_forward_then_back_visits_every_ip_once(count: int, limit: int, frees: set[int]) -> None:
    service = NetworkService(MemoryStorage())
    service.create_partition(PartitionCreate(id=PARTITION))
    service.create_project(ProjectCreate(id=PROJECT))
    network = service.create_network(NetworkCreate(id="n", prefixes=["10.1.0.0/26", "2001:db8::/120"],
                                                   projectid=PROJECT))
    for i in range(count):
        service.allocate_ip(IPAllocate(networkid=network.id, projectid=PROJECT,
                                       addressfamily="IPv6" if i % 3 == 0 else "IPv4"))
    for index in frees:
        if index < count:
            service.free_ip(service.list_ips()[index % len(service.list_ips())].ipaddress)
    expected = [ip.ipaddress for ip in service.list_ips()]
    view = NetworkViews(service.storage)
    pages, after = [], None
    for _ in range(count + 2):
        page = view.ips_page(network.id, after=after, limit=limit)
        pages.append(page)
        if not page.has_next:
            break
        after = page.ips[-1].ipaddress
    assert [ip.ipaddress for page in pages for ip in page.ips] == expected
    assert pages[-1].total == len(expected)
    backwards, before = [], pages[-1].ips[0].ipaddress if pages[-1].ips else None
    for _ in range(count + 2 if before is not None and pages[-1].has_previous else 0):
        assert before is not None
        page = view.ips_page(network.id, before=before, limit=limit)
        backwards = [ip.ipaddress for ip in page.ips] + backwards
        if not page.has_previous:
            break
        before = page.ips[0].ipaddress
    if pages[-1].ips:
        assert backwards + [ip.ipaddress for ip in pages[-1].ips] == expected


def test_large_trees_read_the_same_usage_in_one_scan(service: NetworkService, lab: Network) -> None:
    """Past BATCH_READ networks the counters come from one scan: the figures must be the same."""
    service.create_project(ProjectCreate(id=OTHER))
    for i in range(BATCH_READ + 3):
        network = service.create_network(NetworkCreate(id=f"ext-{i:03}", prefixes=[f"172.16.{i}.0/24"],
                                                       projectid=OTHER))
        for _ in range(i % 5):
            service.allocate_ip(IPAllocate(networkid=network.id, projectid=OTHER))
    rows = [row for tree in views(service).tree() for row in tree.rows]
    assert len(rows) == BATCH_READ + 4
    for row in rows:
        assert row.network.consumption == service.get_network(row.network.id).consumption


def test_child_limit_lists_the_first_children_and_counts_the_rest(service: NetworkService, lab: Network) -> None:
    children = [service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT, name=f"c{i}"))
                for i in range(5)]
    by_address = [c.id for c in sorted(children, key=lambda c: ipaddress.ip_network(c.prefixes[0]))]
    (tree,) = views(service).tree(child_limit=2)
    assert [(r.network.id, r.depth, r.hidden_children) for r in tree.rows] == [
        (SUPER_ID, 0, 3), (by_address[0], 1, 0), (by_address[1], 1, 0)]
    detail = views(service).detail(SUPER_ID, children_from=2, child_limit=2)
    assert [r.network.id for r in detail.children] == by_address[2:4]
    assert (detail.children_total, detail.children_from) == (5, 2)
    assert [r.network.id for r in views(service).detail(SUPER_ID).children] == by_address
