"""Typed networks (metal-stack v2's create), minimum child lengths, namespaced children, optimistic locking,
label changes and UUIDv7 ids in the network layer."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest

from metalnet.network import (
    ErrorKind,
    Freshness,
    IPAllocate,
    IPFind,
    IPUpdate,
    LabelChange,
    NetworkAllocate,
    NetworkService,
    NetworkUpdate,
    PartitionCreate,
    ProjectCreate,
    TypedNetworkCreate,
)
from metalnet.network.ids import uuid7
from metalnet.storage import Storage
from tests.network.support import refused, unchanged

P = "00000000-0000-0000-0000-000000000001"
Q = "00000000-0000-0000-0000-000000000002"
PART = "partition-one"


@pytest.fixture
def typed(service: NetworkService) -> NetworkService:
    service.create_partition(PartitionCreate(id=PART))
    for project in (P, Q):
        service.create_project(ProjectCreate(id=project))
    service.create_typed_network(TypedNetworkCreate(
        type="super", id="tenant-super", partitionid=PART, prefixes=["10.100.0.0/14", "2001:db8::/96"],
        defaultchildprefixlength={"IPv4": 22, "IPv6": 112}, minchildprefixlength={"IPv4": 20, "IPv6": 104},
    ))
    return service


def child(**fields: object) -> TypedNetworkCreate:
    base: dict[str, object] = {"type": "child", "projectid": P, "partitionid": PART}
    base.update(fields)
    return TypedNetworkCreate(**base)  # type: ignore[arg-type]


def test_uuid7_is_version_7_and_ordered_by_time() -> None:
    first = uuid7(1_000)
    later = uuid7(2_000)
    assert first.version == 7
    assert first.variant == uuid.RFC_4122
    assert first < later
    assert uuid7().int >> 80 == pytest.approx(time.time_ns() // 1_000_000, abs=5_000)


def test_super_keeps_its_minimum_and_type(typed: NetworkService) -> None:
    found = typed.get_network("tenant-super")
    assert found.networktype == "super"
    assert found.privatesuper
    assert found.minchildprefixlength == {"IPv4": 20, "IPv6": 104}


def test_field_checks_are_collected(typed: NetworkService) -> None:
    with refused(ErrorKind.INVALID, "id must not be nil\nprefixes must not be nil\nvrf must not be nil"):
        typed.create_typed_network(TypedNetworkCreate(type="external"))
    with refused(ErrorKind.INVALID, "project must not be nil\nid must be nil"):
        typed.create_typed_network(TypedNetworkCreate(type="child", id="x", partitionid=PART))
    with refused(ErrorKind.INVALID, "given networktype:'bogus' is invalid"):
        typed.create_typed_network(TypedNetworkCreate(type="bogus"))


def test_canonical_prefixes_and_minimum_lengths_are_checked(typed: NetworkService, storage: Storage) -> None:
    unchanged(storage, ErrorKind.INVALID, 'please specify it as "10.200.0.0/14"', lambda: typed.create_typed_network(
        TypedNetworkCreate(type="super", id="s2", prefixes=["10.201.0.0/14"], defaultchildprefixlength={"IPv4": 22})))
    unchanged(storage, ErrorKind.INVALID, "given min child prefix length 14 is not greater than prefix length",
              lambda: typed.create_typed_network(TypedNetworkCreate(
                  type="super", id="s2", prefixes=["10.200.0.0/14"], defaultchildprefixlength={"IPv4": 22},
                  minchildprefixlength={"IPv4": 14})))


def test_child_lengths_minimum_and_family(typed: NetworkService, storage: Storage) -> None:
    dual = typed.create_typed_network(child())
    assert dual.prefixes == ["10.100.0.0/22", "2001:db8::/112"]
    assert uuid.UUID(dual.id).version == 7
    assert typed.create_typed_network(child(addressfamily="IPv6")).prefixes == ["2001:db8::1:0/112"]
    # a given length replaces the defaults: only that family
    assert typed.create_typed_network(child(length={"IPv4": 28})).prefixes == ["10.100.4.0/28"]
    unchanged(storage, ErrorKind.INVALID, "requested prefix length map[IPv4:18] is smaller than allowed",
              lambda: typed.create_typed_network(child(length={"IPv4": 18})))
    unchanged(storage, ErrorKind.INVALID, "addressfamily IPv4 specified, but no childprefixlength",
              lambda: typed.create_typed_network(child(addressfamily="IPv4", length={"IPv6": 116})))
    unchanged(storage, ErrorKind.INVALID, "if parent network id is specified, partition must be nil",
              lambda: typed.create_typed_network(child(parentnetworkid="tenant-super")))


def test_v1_allocation_respects_the_minimum(typed: NetworkService, storage: Storage) -> None:
    unchanged(storage, ErrorKind.INVALID, "is smaller than allowed", lambda: typed.allocate_network(
        NetworkAllocate(partitionid=PART, projectid=P, length={"IPv4": 19})))
    assert typed.allocate_network(NetworkAllocate(partitionid=PART, projectid=P, length={"IPv4": 20})).prefixes[0] \
        == "10.100.0.0/20"


def test_deleting_a_child_gives_its_prefix_back(typed: NetworkService) -> None:
    first = typed.create_typed_network(child())
    typed.delete_network(first.id)
    assert typed.create_typed_network(child()).prefixes == first.prefixes


def test_children_inherit_the_parent_vrf_and_return_it(typed: NetworkService) -> None:
    typed.create_typed_network(TypedNetworkCreate(
        type="super", id="vrf-super", prefixes=["192.168.0.0/16"], vrf=42, defaultchildprefixlength={"IPv4": 24}))
    one = typed.create_typed_network(child(partitionid=None, parentnetworkid="vrf-super"))
    two = typed.create_typed_network(child(partitionid=None, parentnetworkid="vrf-super", projectid=Q))
    assert one.vrf == two.vrf == 42
    with refused(ErrorKind.INVALID, "inherits vrf 42"):
        typed.create_typed_network(child(partitionid=None, parentnetworkid="vrf-super", vrf=7))
    typed.delete_network(one.id)
    typed.delete_network(two.id)
    typed.delete_network("vrf-super")
    # the id is free again: an external network may take it
    typed.create_typed_network(TypedNetworkCreate(type="external", id="ext", prefixes=["185.0.0.0/24"], vrf=42))


def test_namespaced_children_and_ips(typed: NetworkService) -> None:
    typed.create_typed_network(TypedNetworkCreate(
        type="super-namespaced", id="ns", prefixes=["10.200.0.0/16"], defaultchildprefixlength={"IPv4": 24}))
    mine = typed.create_typed_network(child(partitionid=None, parentnetworkid="ns"))
    theirs = typed.create_typed_network(child(partitionid=None, parentnetworkid="ns", projectid=Q))
    assert mine.prefixes == theirs.prefixes == ["10.200.0.0/24"]
    assert (mine.namespace, theirs.namespace) == (P, Q)
    # a partition never selects a namespaced super; within one project children do not overlap
    assert typed.create_typed_network(child(partitionid=None, parentnetworkid="ns")).prefixes == ["10.200.1.0/24"]
    a = typed.allocate_ip(IPAllocate(networkid=mine.id, projectid=P))
    b = typed.allocate_ip(IPAllocate(networkid=theirs.id, projectid=Q))
    assert a.ipaddress == b.ipaddress == "10.200.0.1"
    assert typed.get_ip("10.200.0.1", namespace=P).allocationuuid == a.allocationuuid
    assert [ip.projectid for ip in typed.find_ips(IPFind(networkid=theirs.id))] == [Q]
    with refused(ErrorKind.NOT_FOUND):
        typed.get_ip("10.200.0.1")
    with refused(ErrorKind.REFUSED):
        typed.delete_network(mine.id)
    assert typed.update_ip(IPUpdate(ipaddress="10.200.0.1", namespace=P, name="mine")).name == "mine"
    typed.free_ip("10.200.0.1", namespace=P)
    assert typed.get_ip("10.200.0.1", namespace=Q).projectid == Q
    typed.delete_network(mine.id)
    assert typed.create_typed_network(child(partitionid=None, parentnetworkid="ns")).prefixes == ["10.200.0.0/24"]
    # deleting the super drops the projects' copies too: a new one may take overlapping space
    typed.free_ip("10.200.0.1", namespace=Q)
    for ident in [n.id for n in typed.list_networks() if n.parentnetworkid == "ns"]:
        typed.delete_network(ident)
    typed.delete_network("ns")
    typed.create_typed_network(TypedNetworkCreate(
        type="super-namespaced", id="ns-again", prefixes=["10.200.0.0/15"], defaultchildprefixlength={"IPv4": 24}))
    assert typed.create_typed_network(child(partitionid=None, parentnetworkid="ns-again")).prefixes == \
        ["10.200.0.0/24"]
    with refused(ErrorKind.INVALID, "partition must not be specified for namespaced private super"):
        typed.create_typed_network(TypedNetworkCreate(
            type="super-namespaced", id="ns2", partitionid=PART, prefixes=["10.201.0.0/16"],
            defaultchildprefixlength={"IPv4": 24}))


def test_optimistic_locking_and_generation(typed: NetworkService, storage: Storage) -> None:
    network = typed.create_typed_network(child())
    updated = typed.update_network(NetworkUpdate(id=network.id, name="a", fresh=Freshness(changed=network.changed)))
    assert updated.generation == 1
    unchanged(storage, ErrorKind.STALE, "the entity was already modified, please retry",
              lambda: typed.update_network(NetworkUpdate(id=network.id, name="b",
                                                         fresh=Freshness(changed=network.changed))))
    unchanged(storage, ErrorKind.STALE, "already modified",
              lambda: typed.update_network(NetworkUpdate(id=network.id, name="b", fresh=Freshness())))
    later = network.changed + timedelta(seconds=1)
    forced = typed.update_network(NetworkUpdate(id=network.id, name="c",
                                                fresh=Freshness(changed=later, server_side=True)))
    assert (forced.name, forced.generation) == ("c", 2)


def test_label_replace_and_patch(typed: NetworkService) -> None:
    network = typed.create_typed_network(child(labels={"a": "1", "b": "2"}))
    patched = typed.update_network(NetworkUpdate(
        id=network.id, label_change=LabelChange(update={"c": "3"}, remove=["a"])))
    assert patched.labels == {"b": "2", "c": "3"}
    replaced = typed.update_network(NetworkUpdate(id=network.id, label_change=LabelChange(replace={"z": ""})))
    assert replaced.labels == {"z": ""}
    ip = typed.allocate_ip(IPAllocate(networkid=network.id, projectid=P, tags=["k=v", "x=y"]))
    changed = typed.update_ip(IPUpdate(ipaddress=ip.ipaddress, label_change=LabelChange(update={"n": "m"},
                                                                                         remove=["x"])))
    assert changed.tags == ["k=v", "n=m"]
    assert changed.generation == 1


def test_free_blocks_are_counted_for_v2(storage: Storage, typed: NetworkService) -> None:
    blocks = NetworkService(storage, count_blocks=True)
    typed.create_typed_network(child())
    usage = blocks.get_network("tenant-super").consumption
    assert usage.ipv4 is not None
    assert usage.ipv6 is not None
    assert (usage.ipv4.available_prefixes, usage.ipv4.used_prefixes) == (8, 1)
    assert (usage.ipv6.available_prefixes, usage.ipv6.used_prefixes) == (16, 1)


def test_allocation_restricted_to_network_types(typed: NetworkService, storage: Storage) -> None:
    network = typed.create_typed_network(child())
    unchanged(storage, ErrorKind.FORBIDDEN, 'given networktype "child" is not allowed', lambda: typed.allocate_ip(
        IPAllocate(networkid=network.id, projectid=P, networktypes=["external"])))
    assert typed.allocate_ip(IPAllocate(networkid=network.id, projectid=P, networktypes=["child"])).ipaddress \
        == "10.100.0.1"


def test_any_namespace_lookup(typed: NetworkService, storage: Storage) -> None:
    """``namespace=None``: the plain IP, else the only namespace holding the address; several are a conflict
    (a bound caller looks in its own project's only)."""
    typed.create_typed_network(TypedNetworkCreate(
        type="super-namespaced", id="ns", prefixes=["10.200.0.0/16"], defaultchildprefixlength={"IPv4": 24}))
    mine = typed.create_typed_network(child(partitionid=None, parentnetworkid="ns"))
    theirs = typed.create_typed_network(child(partitionid=None, parentnetworkid="ns", projectid=Q))
    shared = typed.allocate_ip(IPAllocate(networkid=mine.id, projectid=P))
    typed.allocate_ip(IPAllocate(networkid=theirs.id, projectid=Q))
    alone = typed.allocate_ip(IPAllocate(networkid=mine.id, projectid=P))
    unchanged(storage, ErrorKind.CONFLICT, f"allocated in several namespaces ({P}, {Q})",
              lambda: typed.get_ip(shared.ipaddress, namespace=None))
    unchanged(storage, ErrorKind.CONFLICT, "name the namespace",
              lambda: typed.free_ip(shared.ipaddress, namespace=None))
    unchanged(storage, ErrorKind.CONFLICT, "name the namespace",
              lambda: typed.update_ip(IPUpdate(ipaddress=shared.ipaddress, name="x")))
    assert typed.get_ip(shared.ipaddress, namespace=None, acting_for=P).allocationuuid == shared.allocationuuid
    assert typed.get_ip(alone.ipaddress, namespace=None).allocationuuid == alone.allocationuuid
    assert typed.update_ip(IPUpdate(ipaddress=alone.ipaddress, name="alone")).name == "alone"
    with refused(ErrorKind.FORBIDDEN):
        typed.get_ip(alone.ipaddress, namespace=None, acting_for=Q)
    with refused(ErrorKind.NOT_FOUND):
        typed.get_ip("10.200.0.99", namespace=None)
    assert typed.free_ip(shared.ipaddress, namespace=None, acting_for=Q).projectid == Q
    assert typed.free_ip(shared.ipaddress, namespace=None).projectid == P
