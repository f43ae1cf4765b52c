"""Network get, list and find; partitions and projects."""

from __future__ import annotations

from metalnet.network import (
    ErrorKind,
    IPAllocate,
    Network,
    NetworkAllocate,
    NetworkCreate,
    NetworkFind,
    NetworkService,
    PartitionCreate,
    PartitionUpdate,
    ProjectCreate,
    ProjectFind,
    ProjectUpdate,
)
from metalnet.storage import Storage
from tests.network.support import PARTITION, PROJECT, SUPER_ID, refused, unchanged

INVALID, NOT_FOUND, CONFLICT, REFUSED = ErrorKind.INVALID, ErrorKind.NOT_FOUND, ErrorKind.CONFLICT, ErrorKind.REFUSED


def test_find_filters(service: NetworkService, lab: Network) -> None:
    child = service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT, labels={"k": "v"}))
    external = service.create_network(NetworkCreate(id="ext", prefixes=["185.1.2.0/24"], nat=True, vrf=9,
                                                    destinationprefixes=["0.0.0.0/0"]))
    v6 = service.create_network(NetworkCreate(id="v6", prefixes=["fd00::/64"], projectid=PROJECT))
    assert [n.id for n in service.list_networks()] == sorted([SUPER_ID, child.id, external.id, v6.id])

    def find(**fields: object) -> set[str]:
        return {n.id for n in service.find_networks(NetworkFind(**fields))}  # type: ignore[arg-type]

    assert find() == {SUPER_ID, child.id, "ext", "v6"}
    assert find(id="ext") == {"ext"}
    assert find(id="nope") == set()
    assert find(name="Project Super Network") == {SUPER_ID}
    assert find(partitionid=PARTITION) == {SUPER_ID, child.id}
    assert find(projectid=PROJECT) == {child.id, "v6"}
    assert find(parentnetworkid=SUPER_ID) == {child.id}
    assert find(parentnetworkid="") == {SUPER_ID, "ext", "v6"}
    assert find(privatesuper=True) == {SUPER_ID}
    assert find(nat=True, vrf=9) == {"ext"}
    assert find(underlay=True) == set()
    assert find(labels={"k": "v"}) == {child.id}
    assert find(prefixes=["10.0.0.1/22"]) == {child.id}  # filter CIDRs are canonicalised too
    assert find(destinationprefixes=["0.0.0.0/0"]) == {"ext"}
    assert find(addressfamily="IPv6") == {SUPER_ID, child.id, "v6"}
    assert find(addressfamily="ipv4", projectid=PROJECT) == {child.id}
    with refused(INVALID, "given cidr nope"):
        find(prefixes=["nope"])
    with refused(REFUSED, 'given addressfamily:"IPv9" is invalid'):
        find(addressfamily="IPv9")
    found = service.find_networks(NetworkFind(id=child.id))[0]
    assert found == service.get_network(child.id) == child


def test_get_unknown(service: NetworkService) -> None:
    with refused(NOT_FOUND, 'no network with id "x" found'):
        service.get_network("x")
    assert service.list_networks() == []
    assert service.list_ips() == []


def test_partitions(service: NetworkService, storage: Storage) -> None:
    created = service.create_partition(PartitionCreate(id="p", name="n", labels={"a": "b"}))
    assert service.get_partition("p") == created
    unchanged(storage, CONFLICT, 'partition with id "p"', lambda: service.create_partition(PartitionCreate(id="p")))
    unchanged(storage, INVALID, "partition id should not be empty", lambda: service.create_partition(PartitionCreate()))
    unchanged(storage, INVALID, "contains '\\x00' (U+0000)",
              lambda: service.create_partition(PartitionCreate(id="a\x00b")))
    updated = service.update_partition(PartitionUpdate(id="p", description="d"))
    assert (updated.name, updated.description, updated.labels) == ("n", "d", {"a": "b"})
    assert service.list_partitions() == [updated]
    service.create_network(NetworkCreate(id="n", prefixes=["10.0.0.0/24"], partitionid="p"))
    unchanged(storage, REFUSED, 'partition "p" cannot be deleted: network "n" is in it',
              lambda: service.delete_partition("p"))
    service.delete_network("n")
    assert service.delete_partition("p") == updated
    with refused(NOT_FOUND, 'no partition with id "p" found'):
        service.get_partition("p")
    with refused(NOT_FOUND, 'no partition with id "p" found'):
        service.update_partition(PartitionUpdate(id="p"))


def test_projects(service: NetworkService, storage: Storage) -> None:
    generated = service.create_project(ProjectCreate(name="g", tenant_id="t1"))
    assert len(generated.id) == 36
    named = service.create_project(ProjectCreate(id="p", name="n", tenant_id="t2"))
    unchanged(storage, CONFLICT, 'project with id "p"', lambda: service.create_project(ProjectCreate(id="p")))
    assert {p.id for p in service.list_projects()} == {generated.id, "p"}
    assert service.find_projects(ProjectFind(tenant_id="t2")) == [named]
    assert service.find_projects(ProjectFind(id="p", name="other")) == []
    assert service.find_projects(ProjectFind(name="g")) == [generated]
    updated = service.update_project(ProjectUpdate(id="p", tenant_id="t3"))
    assert (updated.name, updated.tenant_id) == ("n", "t3")
    assert service.get_project("p") == updated

    network = service.create_network(NetworkCreate(id="n", prefixes=["10.0.0.0/24"], projectid="p"))
    unchanged(storage, REFUSED, 'project "p" cannot be deleted: network "n" belongs to it',
              lambda: service.delete_project("p"))
    service.create_network(NetworkCreate(id="m", prefixes=["10.0.1.0/24"]))
    ip = service.allocate_ip(IPAllocate(networkid="m", projectid=generated.id))
    unchanged(storage, REFUSED, f'project "{generated.id}" cannot be deleted: ip "{ip.ipaddress}" belongs to it',
              lambda: service.delete_project(generated.id))
    service.free_ip(ip.ipaddress)
    service.delete_network(network.id)
    service.delete_project("p")
    service.delete_project(generated.id)
    with refused(NOT_FOUND, 'no project with id "p" found'):
        service.delete_project("p")
