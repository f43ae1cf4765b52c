"""IP allocation, update, free, get, list and find."""

from __future__ import annotations

import msgspec
import pytest

from metalnet.network import (
    ErrorKind,
    IPAllocate,
    IPFind,
    IPUpdate,
    Network,
    NetworkAllocate,
    NetworkCreate,
    NetworkService,
    ProjectCreate,
)
from metalnet.network.ips import ip_scope
from metalnet.storage import Storage
from tests.network.support import PARTITION, PROJECT, refused, unchanged

INVALID, NOT_FOUND, CONFLICT, REFUSED = ErrorKind.INVALID, ErrorKind.NOT_FOUND, ErrorKind.CONFLICT, ErrorKind.REFUSED
OTHER = "other-project"


@pytest.fixture
def child(service: NetworkService, lab: Network) -> Network:
    service.create_project(ProjectCreate(id=OTHER))
    return service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT, name="c"))


def _ip(network: Network, **fields: object) -> IPAllocate:
    base: dict[str, object] = {"networkid": network.id, "projectid": PROJECT}
    return IPAllocate(**{**base, **fields})  # type: ignore[arg-type]


def test_family_choice(service: NetworkService, child: Network) -> None:
    v6_only = service.create_network(NetworkCreate(id="v6", prefixes=["fd00:1::/64"]))
    v4_only = service.create_network(NetworkCreate(id="v4", prefixes=["185.1.2.0/24"]))
    assert service.allocate_ip(_ip(child)).ipaddress == "10.0.0.1"  # dual-stack: IPv4 by default
    assert service.allocate_ip(_ip(child, addressfamily="ipv6")).ipaddress == "2001:db8:0:10::1"
    assert service.allocate_ip(_ip(v6_only)).ipaddress == "fd00:1::1"
    assert service.allocate_ip(_ip(v4_only)).ipaddress == "185.1.2.1"
    assert service.allocate_ip(_ip(child)).ipaddress == "10.0.0.2"


def test_record_fields(service: NetworkService, child: Network) -> None:
    ip = service.allocate_ip(_ip(child, name="n", description="d", type="static", tags=["b", "a", "b"],
                                 machineid="m1"))
    assert (ip.name, ip.description, ip.type, ip.networkid, ip.projectid) == ("n", "d", "static", child.id, PROJECT)
    assert ip.tags == ["a", "b", "machine.metal-stack.io/id=m1"]
    assert len(ip.allocationuuid) == 36
    assert ip.created == ip.changed
    assert service.allocate_ip(_ip(child, type="whatever")).type == "ephemeral"
    assert service.get_ip(ip.ipaddress) == ip


def test_allocation_refusals(service: NetworkService, storage: Storage, child: Network) -> None:
    cases: list[tuple[IPAllocate, str | None, ErrorKind, str]] = [
        (_ip(child, networkid=""), None, INVALID, "networkid should not be empty"),
        (_ip(child, projectid=None), None, INVALID, "projectid should not be empty"),
        (_ip(child, networkid="nope"), None, NOT_FOUND, 'no network with id "nope" found'),
        (_ip(child, addressfamily="IPv5"), None, REFUSED, 'given addressfamily:"IPv5" is invalid'),
        (_ip(child, addressfamily="IPv6"), "10.0.0.9", INVALID, "not possible to specify specificIP and addressfamily"),
        (_ip(child, projectid="nope"), None, NOT_FOUND, 'no project with id "nope" found'),
        (_ip(child, projectid=OTHER), None, REFUSED,
         f'can not allocate ip for project "{OTHER}" because network belongs to "{PROJECT}" and the network is not '
         "shared"),
        (_ip(child), "10.0.0.0", CONFLICT, "ip already allocated: 10.0.0.0"),
        (_ip(child), "10.0.3.255", CONFLICT, "ip already allocated: 10.0.3.255"),
        (_ip(child), "10.0.4.1", REFUSED, "specific ip not contained in any of the defined prefixes: 10.0.4.1"),
        (_ip(child), "10.0.0.300", REFUSED, "unable to parse specific ip"),
    ]
    for request, specific, kind, fragment in cases:
        unchanged(storage, kind, fragment,
                  lambda request=request, specific=specific: service.allocate_ip(request, specific))  # type: ignore[misc]
    v4 = service.create_network(NetworkCreate(id="v4", prefixes=["185.1.2.0/24"]))
    unchanged(storage, INVALID, "there is no prefix for the given addressfamily:IPv6 present in network:v4",
              lambda: service.allocate_ip(_ip(v4, addressfamily="IPv6")))


def test_specific_ip(service: NetworkService, storage: Storage, child: Network) -> None:
    ip = service.allocate_ip(_ip(child), "2001:DB8:0:10:0:0:0:abcd")
    assert (ip.ipaddress, ip.prefix) == ("2001:db8:0:10::abcd", "2001:db8:0:10::/96")
    unchanged(storage, CONFLICT, "ip already allocated: 2001:db8:0:10::abcd",
              lambda: service.allocate_ip(_ip(child), "2001:db8:0:10::abcd"))
    assert service.get_ip("2001:db8:0:10:0::abcd") == ip


def test_project_rule_applies_to_unshared_children_only(service: NetworkService, child: Network) -> None:
    external = service.create_network(NetworkCreate(id="ext", prefixes=["185.1.2.0/24"], projectid=PROJECT))
    assert service.allocate_ip(_ip(external, projectid=OTHER)).projectid == OTHER
    shared = service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT, shared=True))
    assert service.allocate_ip(_ip(shared, projectid=OTHER)).networkid == shared.id


def test_exhaustion_moves_to_the_next_prefix(service: NetworkService, storage: Storage, lab: Network) -> None:
    network = service.create_network(NetworkCreate(id="small", prefixes=["185.1.2.0/30", "185.1.3.0/30",
                                                                        "fd00::/127"]))
    got = [service.allocate_ip(_ip(network)).ipaddress for _ in range(4)]
    assert got == ["185.1.2.1", "185.1.2.2", "185.1.3.1", "185.1.3.2"]
    unchanged(storage, REFUSED, "cannot allocate free ip in ipam, no ips left: no free IPv4 address in network small",
              lambda: service.allocate_ip(_ip(network)))
    assert service.allocate_ip(_ip(network, addressfamily="IPv6")).ipaddress == "fd00::1"
    service.free_ip("185.1.2.2")
    assert service.allocate_ip(_ip(network)).ipaddress == "185.1.2.2"


def test_super_network_hands_out_no_ips(service: NetworkService, storage: Storage, child: Network) -> None:
    unchanged(storage, REFUSED, "has childprefixes, acquire ip not possible",
              lambda: service.allocate_ip(_ip(service.get_network(child.parentnetworkid or ""))))


def test_update(service: NetworkService, storage: Storage, child: Network) -> None:
    ip = service.allocate_ip(_ip(child, name="a", tags=["x"]))
    updated = service.update_ip(IPUpdate(ipaddress=ip.ipaddress, description="d", tags=["z", "y", "z"], type="static"))
    assert (updated.name, updated.description, updated.tags, updated.type) == ("a", "d", ["y", "z"], "static")
    assert updated.allocationuuid == ip.allocationuuid
    assert updated.changed >= ip.changed
    assert service.get_ip(ip.ipaddress) == updated
    unchanged(storage, INVALID, "cannot change type of ip address from static to ephemeral",
              lambda: service.update_ip(IPUpdate(ipaddress=ip.ipaddress, type="ephemeral")))
    assert service.update_ip(IPUpdate(ipaddress=ip.ipaddress, type="bogus")).type == "static"
    unchanged(storage, NOT_FOUND, 'no ip with id "10.9.9.9" found',
              lambda: service.update_ip(IPUpdate(ipaddress="10.9.9.9")))


def test_free(service: NetworkService, storage: Storage, child: Network) -> None:
    bound = service.allocate_ip(_ip(child, machineid="m1"))
    plain = service.allocate_ip(_ip(child))
    unchanged(storage, INVALID, f"ip with machine scope can not be deleted: {bound.ipaddress}",
              lambda: service.free_ip(bound.ipaddress))
    unchanged(storage, NOT_FOUND, 'no ip with id "nope" found', lambda: service.free_ip("nope"))
    assert service.free_ip(plain.ipaddress) == plain
    with refused(NOT_FOUND, plain.ipaddress):
        service.get_ip(plain.ipaddress)
    assert service.allocate_ip(_ip(child)).ipaddress == plain.ipaddress  # the hole is reused first
    service.update_ip(IPUpdate(ipaddress=bound.ipaddress, tags=[]))
    service.free_ip(bound.ipaddress)


def test_list_and_find(service: NetworkService, child: Network) -> None:
    external = service.create_network(NetworkCreate(id="ext", prefixes=["185.1.2.0/24"]))
    a = service.allocate_ip(_ip(child, name="a", machineid="m1", tags=["t"]))
    b = service.allocate_ip(_ip(child, addressfamily="IPv6", type="static"))
    c = service.allocate_ip(_ip(external, projectid=OTHER))
    d = service.allocate_ip(_ip(child), "10.0.0.10")
    assert service.list_ips() == [a, d, c, b]  # numeric address order, IPv4 first

    def find(**fields: object) -> list[str]:
        return [ip.ipaddress for ip in service.find_ips(IPFind(**fields))]  # type: ignore[arg-type]

    assert find(ipaddress="10.0.0.1") == [a.ipaddress]
    assert find(ipaddress="not-an-ip") == []
    assert find(allocationuuid=c.allocationuuid) == [c.ipaddress]
    assert find(name="a") == [a.ipaddress]
    assert find(networkid="ext") == [c.ipaddress]
    assert find(networkprefix="2001:DB8:0:10::/96") == [b.ipaddress]
    assert find(networkid=child.id) == [a.ipaddress, d.ipaddress, b.ipaddress]
    assert find(networkid="nope") == find(networkprefix="10.9.0.0/24") == find(networkprefix="bad") == []
    assert find(networkid="ext", networkprefix="10.0.0.0/22") == []  # each index answer is still filtered
    assert find(ipaddress="10.0.0.1", networkid="ext") == []
    assert find(projectid=OTHER) == [c.ipaddress]
    assert find(projectid=PROJECT, type="static") == [b.ipaddress]
    assert find(machineid="m1") == find(tags=["t"]) == [a.ipaddress]
    assert find(addressfamily="IPv6") == [b.ipaddress]
    assert find(addressfamily="ipv4", networkid=child.id) == [a.ipaddress, d.ipaddress]
    with refused(REFUSED, 'given addressfamily:"v4" is invalid'):
        find(addressfamily="v4")


def test_a_bound_caller_is_refused_inside_the_transaction(
    service: NetworkService, storage: Storage, child: Network
) -> None:
    """A caller bound to another project is refused on the record it reads, and nothing changes."""
    address = service.allocate_ip(_ip(child)).ipaddress
    for operation in (
        lambda: service.free_ip(address, acting_for=OTHER),
        lambda: service.update_ip(IPUpdate(ipaddress=address, name="renamed"), acting_for=OTHER),
    ):
        before = service.get_ip(address)
        with refused(ErrorKind.FORBIDDEN, OTHER):
            operation()
        assert service.get_ip(address) == before
    empty = service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT, name="empty"))
    with refused(ErrorKind.FORBIDDEN):
        service.free_network(empty.id, acting_for=OTHER)
    assert service.get_network(empty.id) == empty
    assert service.free_ip(address, acting_for=PROJECT).ipaddress == address


def test_ip_scopes_follow_metal_api(service: NetworkService, child: Network) -> None:
    bound = service.allocate_ip(_ip(child, machineid="m1"))
    assert ip_scope(bound) == "machine"
    assert ip_scope(msgspec.structs.replace(bound, tags=["x"])) == "project"
    assert ip_scope(msgspec.structs.replace(bound, projectid="")) == ""
    # machine → project → machine: every change touches the project scope, so each is allowed
    unbound = service.update_ip(IPUpdate(ipaddress=bound.ipaddress, tags=["x"]))
    assert ip_scope(unbound) == "project"
    rebound = service.update_ip(IPUpdate(ipaddress=bound.ipaddress, tags=["machine.metal-stack.io/id=m2"]))
    assert ip_scope(rebound) == "machine"

