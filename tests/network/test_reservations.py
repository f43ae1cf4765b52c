"""Reserved ranges of networks on every backend: set at create (plain, child, typed), replaced by update, shown
on read, kept out of next-free allocation, counted apart in consumption, and recorded in the history."""

from __future__ import annotations

import ipaddress

import msgspec
import pytest

from metalnet.history.model import decode, wire
from metalnet.history.recorder import History
from metalnet.network import (
    ErrorKind,
    IPAllocate,
    Network,
    NetworkAllocate,
    NetworkCreate,
    NetworkFind,
    NetworkService,
    NetworkUpdate,
    ProjectCreate,
    ReservedRange,
    TypedNetworkCreate,
)
from metalnet.storage import Storage
from tests.network.support import PARTITION, PROJECT, refused, unchanged

INVALID, REFUSED, RESERVED = ErrorKind.INVALID, ErrorKind.REFUSED, ErrorKind.RESERVED
V4, V6 = "10.1.0.0/24", "2001:db8:1::/120"


def rr(first: str, last: str, description: str = "") -> ReservedRange:
    return ReservedRange(first=first, last=last, description=description)


GATEWAYS = [rr("10.1.0.1", "10.1.0.10", "gateways"), rr("2001:db8:1::1", "2001:db8:1::4", "routers")]


def external(service: NetworkService, ranges: list[ReservedRange] | None = None, ident: str = "ext") -> Network:
    return service.create_network(NetworkCreate(id=ident, projectid=PROJECT, prefixes=[V4, V6],
                                                reservedranges=GATEWAYS if ranges is None else ranges))


def allocate(service: NetworkService, network: str, specific: str | None = None, **fields: object) -> str:
    request = msgspec.structs.replace(IPAllocate(networkid=network, projectid=PROJECT), **fields)
    return service.allocate_ip(request, specific).ipaddress


@pytest.fixture
def project(service: NetworkService) -> NetworkService:
    service.create_project(ProjectCreate(id=PROJECT))
    return service


def test_create_shows_the_ranges_and_counts_them_apart(project: NetworkService) -> None:
    created = external(project)
    assert created.reservedranges == GATEWAYS
    assert project.get_network("ext").reservedranges == GATEWAYS
    assert project.find_networks(NetworkFind(id="ext")).pop().reservedranges == GATEWAYS
    v4, v6 = created.consumption.ipv4, created.consumption.ipv6
    assert v4 is not None
    assert v6 is not None
    assert (v4.used_ips, v4.reserved_ips) == (2, 10)  # network and broadcast address; the gateways apart
    assert (v6.used_ips, v6.reserved_ips) == (1, 4)


def test_next_free_skips_reserved_and_a_specific_one_must_be_meant(project: NetworkService) -> None:
    external(project)
    assert allocate(project, "ext") == "10.1.0.11"
    assert allocate(project, "ext", addressfamily="IPv6") == "2001:db8:1::5"
    with refused(RESERVED, "10.1.0.5", "10.1.0.1-10.1.0.10"):
        allocate(project, "ext", "10.1.0.5")
    assert allocate(project, "ext", "10.1.0.5", reserved=True) == "10.1.0.5"
    assert allocate(project, "ext", "10.1.0.12", reserved=True) == "10.1.0.12"  # outside: taken as any other
    usage = project.get_network("ext").consumption.ipv4
    assert usage is not None
    assert (usage.used_ips, usage.reserved_ips) == (2 + 3, 9)
    project.free_ip("10.1.0.5")  # back to the reservation
    usage = project.get_network("ext").consumption.ipv4
    assert usage is not None
    assert (usage.used_ips, usage.reserved_ips) == (2 + 2, 10)
    assert allocate(project, "ext") == "10.1.0.13"
    with refused(RESERVED, "2001:db8:1::1-2001:db8:1::4"):
        allocate(project, "ext", "2001:db8:1::3")


def test_reserved_applies_to_a_specific_ip_only(project: NetworkService) -> None:
    external(project)
    with refused(INVALID, "reserved applies to a specific ip"):
        allocate(project, "ext", reserved=True)
    with refused(INVALID, "reserved applies to a specific ip"):
        project.allocate_ip_bulk(IPAllocate(networkid="ext", projectid=PROJECT, reserved=True), 3)


@pytest.mark.parametrize(("ranges", "fragment"), [
    ([rr("10.2.0.1", "10.2.0.5")], "reserved range 10.2.0.1-10.2.0.5 is not within one of the prefixes"),
    ([rr("10.1.0.250", "10.1.1.3")], "reserved range 10.1.0.250-10.1.1.3 is not within"),
    ([rr("2001:db8:2::1", "2001:db8:2::2")], "reserved range 2001:db8:2::1-2001:db8:2::2 is not within"),
    ([rr("10.1.0.9", "10.1.0.3")], "cannot reserve 10.1.0.9-10.1.0.3 in network ext"),
    ([rr("10.1.0.1", "2001:db8:1::2")], "reserved range 10.1.0.1-2001:db8:1::2 is not within"),
    ([rr("10.1.0.x", "10.1.0.3")], "reserved range 10.1.0.x-10.1.0.3 is invalid"),
])
def test_a_range_outside_the_prefixes_is_refused_naming_it(
    project: NetworkService, storage: Storage, ranges: list[ReservedRange], fragment: str
) -> None:
    unchanged(storage, INVALID, fragment, lambda: external(project, ranges))
    external(project, [])
    unchanged(storage, INVALID, fragment,
              lambda: project.update_network(NetworkUpdate(id="ext", name="renamed", reservedranges=ranges)))


def test_a_description_too_long_is_invalid(project: NetworkService, storage: Storage) -> None:
    unchanged(storage, INVALID, "cannot reserve 10.1.0.1-10.1.0.2 in network ext",
              lambda: external(project, [rr("10.1.0.1", "10.1.0.2", "x" * 1000)]))


def test_overlapping_ranges_are_refused_and_nothing_is_created(project: NetworkService, storage: Storage) -> None:
    overlapping = [rr("10.1.0.1", "10.1.0.10"), rr("10.1.0.10", "10.1.0.20")]
    unchanged(storage, REFUSED, "10.1.0.10", lambda: external(project, overlapping))


def test_a_private_super_network_carries_no_reservations(lab: Network, service: NetworkService,
                                                         storage: Storage) -> None:
    inside = [rr(str(ipaddress.ip_network(lab.prefixes[0])[5]), str(ipaddress.ip_network(lab.prefixes[0])[9]))]
    unchanged(storage, INVALID, "cannot be set on private super network",
              lambda: service.update_network(NetworkUpdate(id=lab.id, reservedranges=inside)))
    unchanged(storage, INVALID, "cannot be set on private super network", lambda: service.create_network(
        NetworkCreate(id="super2", prefixes=["10.200.0.0/16"], privatesuper=True, defaultchildprefixlength={"IPv4": 24},
                      reservedranges=inside)))


def test_update_replaces_the_set_in_one_transaction(project: NetworkService, storage: Storage) -> None:
    external(project)
    wanted = [rr("10.1.0.1", "10.1.0.10", "gateways"), rr("10.1.0.100", "10.1.0.120", "dhcp")]
    updated = project.update_network(NetworkUpdate(id="ext", reservedranges=wanted))
    assert updated.reservedranges == wanted  # the IPv6 one is gone
    assert project.get_network("ext").reservedranges == wanted
    usage = updated.consumption.ipv6
    assert usage is not None
    assert usage.reserved_ips == 0
    # a new description, and a range taking the place of one it overlaps
    wanted = [rr("10.1.0.1", "10.1.0.10", "gw"), rr("10.1.0.110", "10.1.0.130")]
    assert project.update_network(NetworkUpdate(id="ext", reservedranges=wanted)).reservedranges == wanted
    # absent: kept; a rename does not touch them
    assert project.update_network(NetworkUpdate(id="ext", name="n")).reservedranges == wanted
    ip = allocate(project, "ext", "10.1.0.200")
    # the last range holds an allocated ip: the whole update is refused, naming it, and nothing changes
    unchanged(storage, REFUSED, ip, lambda: project.update_network(NetworkUpdate(
        id="ext", reservedranges=[rr("10.1.0.1", "10.1.0.4"), rr("10.1.0.190", "10.1.0.210")])))
    assert project.update_network(NetworkUpdate(id="ext", reservedranges=[])).reservedranges == []
    assert allocate(project, "ext") == "10.1.0.1"


def test_a_new_description_keeps_the_addresses_taken_in_the_range(project: NetworkService,
                                                                   storage: Storage) -> None:
    external(project)
    allocate(project, "ext", "10.1.0.1", reserved=True)
    renamed = [rr("10.1.0.1", "10.1.0.10", "routers"), GATEWAYS[1]]
    updated = project.update_network(NetworkUpdate(id="ext", reservedranges=renamed))
    assert updated.reservedranges == renamed
    usage = updated.consumption.ipv4
    assert usage is not None
    assert (usage.used_ips, usage.reserved_ips) == (3, 9)
    assert project.get_ip("10.1.0.1").ipaddress == "10.1.0.1"
    # other addresses are another range: the allocated one in it is named
    unchanged(storage, REFUSED, "10.1.0.1", lambda: project.update_network(
        NetworkUpdate(id="ext", reservedranges=[rr("10.1.0.1", "10.1.0.20")])))


def test_removing_a_prefix_takes_its_reservations_with_it(project: NetworkService) -> None:
    external(project)
    updated = project.update_network(NetworkUpdate(id="ext", prefixes=[V4, "10.9.0.0/24"]))
    assert updated.reservedranges == GATEWAYS[:1]
    # a range of a prefix the same update adds
    ranges = [rr("2001:db8:9::10", "2001:db8:9::1f")]
    updated = project.update_network(NetworkUpdate(
        id="ext", prefixes=["10.9.0.0/24", "2001:db8:9::/120"], reservedranges=ranges))
    assert updated.reservedranges == ranges
    assert allocate(project, "ext", addressfamily="IPv6") == "2001:db8:9::1"


def test_delete_gives_the_reservations_back(project: NetworkService) -> None:
    external(project)
    project.delete_network("ext")
    assert external(project, [rr("10.1.0.5", "10.1.0.6")]).reservedranges == [rr("10.1.0.5", "10.1.0.6")]


def test_child_networks_carry_reservations_of_their_prefixes(lab: Network, service: NetworkService,
                                                             storage: Storage) -> None:
    plain = service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT, name="first"))
    v4 = ipaddress.ip_network(next(p for p in plain.prefixes if ":" not in p))
    block = v4.num_addresses
    # the next child gets the next block: reserve its first ten hosts
    following = v4.network_address + block
    ranges = [rr(str(following + 1), str(following + 10), "switches")]
    child = service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT, name="second",
                                                     addressfamily="IPv4", reservedranges=ranges))
    assert child.reservedranges == ranges
    ip = service.allocate_ip(IPAllocate(networkid=child.id, projectid=PROJECT)).ipaddress
    assert ip == str(following + 11)
    unchanged(storage, INVALID, "is not within one of the prefixes", lambda: service.allocate_network(
        NetworkAllocate(partitionid=PARTITION, projectid=PROJECT, name="third", reservedranges=ranges)))
    with refused(INVALID, "cannot be given for 2 child networks"):
        service.allocate_networks(
            NetworkAllocate(partitionid=PARTITION, projectid=PROJECT, name="many", reservedranges=ranges), 2)
    service.free_ip(ip)
    freed = service.free_network(child.id)  # reservations go with the child prefix
    assert freed.id == child.id
    again = service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT, name="again",
                                                     addressfamily="IPv4"))
    assert again.prefixes == child.prefixes
    assert again.reservedranges == []


def test_typed_create_carries_reservations(project: NetworkService) -> None:
    created = project.create_typed_network(TypedNetworkCreate(
        type="external", id="typed", prefixes=[V4], vrf=42, reservedranges=GATEWAYS[:1]))
    assert created.reservedranges == GATEWAYS[:1]
    assert project.get_network("typed").reservedranges == GATEWAYS[:1]
    assert project.get_network("typed").networktype == "external"


def test_typed_child_of_a_namespaced_super_reserves_in_its_namespace(project: NetworkService) -> None:
    project.create_typed_network(TypedNetworkCreate(
        type="super-namespaced", id="ns-super", prefixes=["10.50.0.0/16"], defaultchildprefixlength={"IPv4": 24}))
    ranges = [rr("10.50.0.1", "10.50.0.3", "vips")]
    child = project.create_typed_network(TypedNetworkCreate(
        type="child", projectid=PROJECT, parentnetworkid="ns-super", reservedranges=ranges))
    assert child.prefixes == ["10.50.0.0/24"]
    assert child.namespace == PROJECT
    assert project.get_network(child.id).reservedranges == ranges
    assert allocate(project, child.id) == "10.50.0.4"


def test_the_history_shows_the_ranges_before_and_after(storage: Storage) -> None:
    service = NetworkService(storage, history=History(clock=lambda: 1_700_000_000.0))
    service.create_project(ProjectCreate(id=PROJECT))
    external(service)
    service.update_network(NetworkUpdate(id="ext", reservedranges=[rr("10.1.0.1", "10.1.0.2")]))
    service.update_network(NetworkUpdate(id="ext", description="only the description"))
    service.delete_network("ext")
    events = [decode(wire(e.seq, e.at, e.body)) for e in storage.read_events(0, 100) if e.kind == "network"]
    states = [(e.action, _ranges(e.before), _ranges(e.after)) for e in events]
    gateways = [{"from": r.first, "to": r.last, "description": r.description} for r in GATEWAYS]
    small = [{"from": "10.1.0.1", "to": "10.1.0.2", "description": ""}]
    assert states == [("create", None, gateways), ("update", gateways, small), ("update", small, small),
                      ("delete", small, None)]


def _ranges(state: msgspec.Raw) -> object:
    decoded = msgspec.json.decode(state)
    return None if decoded is None else decoded["reservedranges"]


@pytest.mark.parametrize(("first", "last", "size"), [("10.0.0.1", "10.0.0.1", 1), ("10.0.0.1", "10.0.0.9", 9),
                                                      ("2001:db8::", "2001:db8::ffff", 65536)])
def test_a_range_knows_its_size(first: str, last: str, size: int) -> None:
    assert ReservedRange(first=first, last=last).size == size
