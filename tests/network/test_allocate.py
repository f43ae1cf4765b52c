"""Child network allocation and free."""

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
)
from metalnet.storage import Storage
from tests.network.support import PARTITION, PROJECT, SUPER_ID, refused, unchanged

INVALID, NOT_FOUND, REFUSED = ErrorKind.INVALID, ErrorKind.NOT_FOUND, ErrorKind.REFUSED


def _request(**fields: object) -> NetworkAllocate:
    base: dict[str, object] = {"partitionid": PARTITION, "projectid": PROJECT, "name": "n"}
    return NetworkAllocate(**{**base, **fields})  # type: ignore[arg-type]


def test_children_are_consecutive_and_take_distinct_vrfs(service: NetworkService, lab: Network) -> None:
    children = [service.allocate_network(_request()) for _ in range(3)]
    assert [child.prefixes for child in children] == [
        ["10.0.0.0/22", "2001:db8:0:10::/96"],
        ["10.0.4.0/22", "2001:db8:0:10:0:1::/96"],
        ["10.0.8.0/22", "2001:db8:0:10:0:2::/96"],
    ]
    assert len({child.vrf for child in children}) == 3
    # drawn at random from 1..131072, not handed out in order (3 consecutive draws are ~impossible)
    vrfs = sorted(child.vrf for child in children)
    assert vrfs != list(range(vrfs[0], vrfs[0] + 3))
    assert all(child.parentnetworkid == SUPER_ID and child.partitionid == PARTITION for child in children)
    assert {n.id for n in service.find_networks(NetworkFind(parentnetworkid=SUPER_ID))} == {c.id for c in children}


def test_request_fields_are_kept(service: NetworkService, lab: Network) -> None:
    child = service.allocate_network(_request(
        description="d", labels={"a": "b"}, destinationprefixes=["0.0.0.0/0"], shared=True, nat=True))
    assert (child.description, child.labels, child.destinationprefixes) == ("d", {"a": "b"}, ["0.0.0.0/0"])
    assert (child.shared, child.nat, child.networktype, child.nattype) == (True, True, "child-shared", "ipv4-masq")
    assert child.projectid == PROJECT
    assert not child.privatesuper
    assert child.defaultchildprefixlength is None


def test_length_overrides_and_address_family(service: NetworkService, lab: Network) -> None:
    assert service.allocate_network(_request(length={"ipv4": 24})).prefixes == ["10.0.0.0/24", "2001:db8:0:10::/96"]
    assert service.allocate_network(_request(addressfamily="IPv6", length={"IPv6": 112})).prefixes == [
        "2001:db8:0:10:0:1::/112"
    ]
    only_v4 = service.allocate_network(_request(addressfamily="ipv4"))
    assert only_v4.prefixes == ["10.0.4.0/22"]
    assert only_v4.consumption.ipv6 is None


def test_refusals(service: NetworkService, storage: Storage, lab: Network) -> None:
    service.create_partition(PartitionCreate(id="empty"))
    cases: list[tuple[NetworkAllocate, ErrorKind, str]] = [
        (_request(projectid=None), INVALID, "projectid should not be empty"),
        (_request(partitionid=""), INVALID, "partitionid should not be empty"),
        (_request(projectid="nope"), NOT_FOUND, 'no project with id "nope" found'),
        (_request(partitionid="nope"), NOT_FOUND, 'no partition with id "nope" found'),
        (_request(destinationprefixes=["0.0.0.0"]), INVALID,  # noqa: S104 - a CIDR without mask, not a bind address
         "given prefix 0.0.0.0 is not a valid ip with mask"),
        (_request(partitionid="empty"), NOT_FOUND, 'no network found: partition "empty"'),
        (_request(length={"IPv5": 24}), INVALID, 'addressfamily of length is invalid given addressfamily:"IPv5"'),
        (_request(length={"IPv4": 300}), INVALID, "length 300"),
        (_request(addressfamily="IPv7"), INVALID, 'addressfamily is invalid given addressfamily:"IPv7" is invalid'),
        (_request(length={"IPv4": 16}), REFUSED, "cannot allocate free child prefix in ipam"),
        (_request(length={"IPv6": 200}), REFUSED, "cannot allocate free child prefix in ipam"),
    ]
    for request, kind, fragment in cases:
        unchanged(storage, kind, fragment, lambda request=request: service.allocate_network(request))  # type: ignore[misc]


def test_family_without_length_or_prefix(service: NetworkService, storage: Storage, lab: Network) -> None:
    service.create_partition(PartitionCreate(id="v4"))
    service.create_network(NetworkCreate(id="v4-super", partitionid="v4", prefixes=["172.16.0.0/16"],
                                         privatesuper=True, defaultchildprefixlength={"IPv4": 24}))
    unchanged(storage, INVALID, "addressfamily IPv6 specified, but no childprefixlength for this addressfamily",
              lambda: service.allocate_network(_request(partitionid="v4", addressfamily="IPv6")))
    unchanged(storage, REFUSED, "cannot allocate free child prefix in one of the given parent prefixes in ipam",
              lambda: service.allocate_network(_request(partitionid="v4", length={"IPv6": 64})))
    assert service.allocate_network(_request(partitionid="v4")).prefixes == ["172.16.0.0/24"]


def test_exhausted_parent_is_refused_whole(service: NetworkService, storage: Storage, lab: Network) -> None:
    # IPv6 has room for 2**32 /96 children, IPv4 for 4 /18s: the fifth dual-stack child fails on IPv4
    for _ in range(4):
        service.allocate_network(_request(length={"IPv4": 18}))
    unchanged(storage, REFUSED, "no prefix found in 10.0.0.0/16 with length:18",
              lambda: service.allocate_network(_request(length={"IPv4": 18})))


def test_free_returns_the_blocks(service: NetworkService, storage: Storage, lab: Network) -> None:
    first = service.allocate_network(_request())
    second = service.allocate_network(_request())
    freed = service.free_network(first.id)
    assert freed.prefixes == first.prefixes
    assert freed.consumption.ipv4 is None
    with refused(NOT_FOUND, f'no network with id "{first.id}" found'):
        service.get_network(first.id)
    again = service.allocate_network(_request())
    assert again.prefixes == first.prefixes
    assert again.prefixes != second.prefixes


def test_free_refusals(service: NetworkService, storage: Storage, lab: Network) -> None:
    child = service.allocate_network(_request())
    ip = service.allocate_ip(IPAllocate(networkid=child.id, projectid=PROJECT, addressfamily="IPv6"))
    unchanged(storage, REFUSED, f"unable to free network: prefix 2001:db8:0:10::/96 has ip {ip.ipaddress} in use",
              lambda: service.free_network(child.id))
    unchanged(storage, REFUSED, f'network "{SUPER_ID}" is not a child network', lambda: service.free_network(SUPER_ID))
    unchanged(storage, NOT_FOUND, 'no network with id "nope" found', lambda: service.free_network("nope"))
    service.free_ip(ip.ipaddress)
    service.free_network(child.id)
