"""A caller bound to one project acts on that project's resources only, networks without a parent included.

Every refusal is FORBIDDEN, comes before any other rule of the operation (whose refusal could name the other
project or an address in use there), names nothing of the resource, and leaves the store unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from metalnet.network import (
    ErrorKind,
    IPAllocate,
    IPFind,
    IPUpdate,
    Network,
    NetworkAllocate,
    NetworkCreate,
    NetworkError,
    NetworkFind,
    NetworkService,
    NetworkUpdate,
    ProjectCreate,
)
from metalnet.storage import Storage
from tests.network.support import PARTITION, PROJECT, snapshot

OTHER = "proj-b"
MINE = PROJECT


@pytest.fixture
def world(service: NetworkService, lab: Network) -> dict[str, str]:
    """Networks and IPs of another project (with and without parent), a shared child and the internet."""
    service.create_project(ProjectCreate(id=OTHER))
    service.create_network(NetworkCreate(id="ext1", projectid=OTHER, prefixes=["185.0.0.0/24"]))
    service.create_network(NetworkCreate(id="internet", prefixes=["1.2.3.0/24"]))
    child = service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=OTHER))
    shared = service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=OTHER, shared=True))
    in_ext = service.allocate_ip(IPAllocate(networkid="ext1", projectid=OTHER, machineid="m1")).ipaddress
    in_child = service.allocate_ip(IPAllocate(networkid=child.id, projectid=OTHER)).ipaddress
    return {"child": child.id, "shared": shared.id, "in_ext": in_ext, "in_child": in_child}


def _forbidden(storage: Storage, call: Callable[[], object], *secrets: str) -> None:
    before = snapshot(storage)
    with pytest.raises(NetworkError) as caught:
        call()
    assert caught.value.kind is ErrorKind.FORBIDDEN, caught.value
    for secret in (OTHER, *secrets):
        assert secret not in caught.value.message, caught.value.message
    assert snapshot(storage) == before


def test_allocating_from_another_projects_network_is_forbidden(
    storage: Storage, service: NetworkService, world: dict[str, str]
) -> None:
    mine = {"projectid": MINE}
    _forbidden(storage, lambda: service.allocate_ip(IPAllocate(networkid="ext1", **mine), acting_for=MINE), "ext1")
    _forbidden(storage, lambda: service.allocate_ip(IPAllocate(networkid="ext1", **mine), world["in_ext"],
                                                    acting_for=MINE), world["in_ext"])
    _forbidden(storage, lambda: service.allocate_ip(IPAllocate(networkid=world["child"], **mine), acting_for=MINE))
    _forbidden(storage, lambda: service.allocate_ip(IPAllocate(networkid="internet", projectid=OTHER),
                                                    acting_for=MINE))


def test_ownerless_and_shared_networks_serve_every_project(service: NetworkService, world: dict[str, str]) -> None:
    for network in ("internet", world["shared"]):
        ip = service.allocate_ip(IPAllocate(networkid=network, projectid=MINE), acting_for=MINE)
        assert ip.projectid == MINE


def test_an_unbound_caller_is_not_restricted(service: NetworkService, world: dict[str, str]) -> None:
    """Callers bound to no project (admins) keep metal-api's rules: its child-network rule only."""
    assert service.allocate_ip(IPAllocate(networkid="ext1", projectid=MINE)).networkid == "ext1"
    with pytest.raises(NetworkError) as caught:
        service.allocate_ip(IPAllocate(networkid=world["child"], projectid=MINE))
    assert caught.value.kind is ErrorKind.REFUSED


def test_changing_another_projects_resources_is_forbidden_before_any_rule(
    storage: Storage, service: NetworkService, world: dict[str, str]
) -> None:
    in_ext, in_child = world["in_ext"], world["in_child"]
    # each of these would otherwise be refused by a rule naming an address in use, or the machine scope
    _forbidden(storage, lambda: service.free_network(world["child"], acting_for=MINE), in_child)
    _forbidden(storage, lambda: service.delete_network("ext1", acting_for=MINE), in_ext)
    _forbidden(storage, lambda: service.free_ip(in_ext, acting_for=MINE), in_ext)
    _forbidden(storage, lambda: service.update_ip(IPUpdate(ipaddress=in_ext, tags=[]), acting_for=MINE), in_ext)
    _forbidden(storage, lambda: service.update_network(NetworkUpdate(id="ext1", prefixes=["185.1.0.0/24"]),
                                                       acting_for=MINE), in_ext)
    _forbidden(storage, lambda: service.update_network(NetworkUpdate(id="internet", name="mine"), acting_for=MINE))


def test_creating_for_another_project_is_forbidden(storage: Storage, service: NetworkService, lab: Network) -> None:
    service.create_project(ProjectCreate(id=OTHER))
    _forbidden(storage, lambda: service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=OTHER),
                                                         acting_for=MINE))
    for projectid in (OTHER, None):
        _forbidden(storage, lambda p=projectid: service.create_network(  # type: ignore[misc]
            NetworkCreate(id="n", projectid=p, prefixes=["10.9.0.0/16"]), acting_for=MINE))
    assert service.create_network(NetworkCreate(id="n", projectid=MINE, prefixes=["10.9.0.0/16"]),
                                  acting_for=MINE).projectid == MINE


def test_own_resources_are_changed_as_usual(service: NetworkService, world: dict[str, str]) -> None:
    child = service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=MINE), acting_for=MINE)
    ip = service.allocate_ip(IPAllocate(networkid=child.id, projectid=MINE), acting_for=MINE)
    assert service.update_ip(IPUpdate(ipaddress=ip.ipaddress, name="x"), acting_for=MINE).name == "x"
    assert service.free_ip(ip.ipaddress, acting_for=MINE).ipaddress == ip.ipaddress
    assert service.free_network(child.id, acting_for=MINE).id == child.id


def test_reads_follow_the_owner(storage: Storage, service: NetworkService, world: dict[str, str]) -> None:
    in_ext = world["in_ext"]
    _forbidden(storage, lambda: service.get_network("ext1", acting_for=MINE), "ext1")
    _forbidden(storage, lambda: service.get_network("internet", acting_for=MINE), "internet")
    _forbidden(storage, lambda: service.get_ip(in_ext, acting_for=MINE), in_ext)
    mine = service.allocate_ip(IPAllocate(networkid="internet", projectid=MINE), acting_for=MINE)
    assert service.get_ip(mine.ipaddress, acting_for=MINE) == mine
    assert [ip.ipaddress for ip in service.list_ips(acting_for=MINE)] == [mine.ipaddress]
    assert [ip.ipaddress for ip in service.find_ips(IPFind(networkid="internet"), acting_for=MINE)] == [mine.ipaddress]
    child = service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=MINE), acting_for=MINE)
    assert [n.id for n in service.list_networks(acting_for=MINE)] == [child.id]
    assert service.find_networks(NetworkFind(projectid=OTHER), acting_for=MINE) == []
    assert len(service.list_networks()) > len(service.list_networks(acting_for=MINE))
