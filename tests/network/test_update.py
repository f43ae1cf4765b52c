"""Network update and delete."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from metalnet.network import (
    ErrorKind,
    IPAllocate,
    Network,
    NetworkAllocate,
    NetworkCreate,
    NetworkError,
    NetworkService,
    NetworkUpdate,
    Reason,
)
from metalnet.storage import Storage
from tests.network.support import PARTITION, PROJECT, SUPER_ID, refused, snapshot, unchanged

INVALID, NOT_FOUND, REFUSED = ErrorKind.INVALID, ErrorKind.NOT_FOUND, ErrorKind.REFUSED


def _child(service: NetworkService) -> Network:
    return service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT, name="c"))


def test_plain_fields_are_replaced_when_given(service: NetworkService) -> None:
    network = service.create_network(NetworkCreate(id="n", name="a", description="b", labels={"x": "1"},
                                                   prefixes=["10.1.0.0/24"]))
    updated = service.update_network(NetworkUpdate(id="n", name="", labels={}))
    assert (updated.name, updated.description, updated.labels) == ("", "b", {})
    assert updated.created == network.created
    assert updated.changed >= network.changed
    assert service.get_network("n") == updated
    labels = {"y": "2"}
    relabelled = service.update_network(NetworkUpdate(id="n", labels=labels))
    labels["z"] = "3"
    assert relabelled.labels == {"y": "2"}  # the record does not share the request's map


def test_shared_is_one_way(service: NetworkService, storage: Storage, lab: Network) -> None:
    child = _child(service)
    shared = service.update_network(NetworkUpdate(id=child.id, shared=True))
    assert (shared.shared, shared.networktype) == (True, "child-shared")
    unchanged(storage, INVALID, "once a network is marked as shared it is not possible to unshare it",
              lambda: service.update_network(NetworkUpdate(id=child.id, shared=False)))


def test_default_child_prefix_length_rules(service: NetworkService, storage: Storage, lab: Network) -> None:
    child = _child(service)
    unchanged(storage, REFUSED, "defaultchildprefixlength can only be set on privatesuper",
              lambda: service.update_network(NetworkUpdate(id=child.id, defaultchildprefixlength={"IPv4": 24})))
    unchanged(storage, INVALID, "given defaultchildprefixlength 16 is not greater than prefix length of:10.0.0.0/16",
              lambda: service.update_network(NetworkUpdate(id=SUPER_ID, defaultchildprefixlength={"IPv4": 16})))
    updated = service.update_network(NetworkUpdate(id=SUPER_ID, defaultchildprefixlength={"IPv4": 24, "IPv6": 80}))
    assert updated.defaultchildprefixlength == {"IPv4": 24, "IPv6": 80}
    assert _child(service).prefixes == ["10.0.4.0/24", "2001:db8:0:10:1::/80"]


def test_length_for_an_absent_family_is_refused(service: NetworkService, storage: Storage) -> None:
    service.create_network(NetworkCreate(id="s", prefixes=["10.1.0.0/16"], privatesuper=True,
                                         defaultchildprefixlength={"IPv4": 24}))
    unchanged(storage, REFUSED, 'no addressfamily "IPv6" present for defaultchildprefixlength: 64',
              lambda: service.update_network(
                  NetworkUpdate(id="s", defaultchildprefixlength={"IPv4": 24, "IPv6": 64})))
    # the sent map replaces the old one whole, so it must still cover every family present
    unchanged(storage, INVALID, "defaultchildprefixlength per addressfamily:IPv4",
              lambda: service.update_network(NetworkUpdate(id="s", defaultchildprefixlength={"IPv6": 64})))
    # adding an IPv6 prefix together with its length works (metal-api checks against the old lengths)
    unchanged(storage, INVALID, "defaultchildprefixlength per addressfamily:IPv6",
              lambda: service.update_network(NetworkUpdate(id="s", prefixes=["10.1.0.0/16", "fd00::/48"])))
    both = service.update_network(NetworkUpdate(id="s", prefixes=["10.1.0.0/16", "fd00::/48"],
                                                defaultchildprefixlength={"IPv4": 24, "IPv6": 64}))
    assert both.consumption.ipv6 is not None
    assert both.consumption.ipv6.used_ips == 1


def test_prefix_changes_go_to_ipam(service: NetworkService, storage: Storage, lab: Network) -> None:
    service.create_network(NetworkCreate(id="ext", prefixes=["185.1.2.0/24"], projectid=PROJECT))
    grown = service.update_network(NetworkUpdate(id="ext", prefixes=["185.1.2.0/24", "185.1.3.0/24"]))
    assert grown.consumption.ipv4 is not None
    assert grown.consumption.ipv4.available_ips == 512
    unchanged(storage, REFUSED, "10.0.1.0/24 overlaps 10.0.0.0/16",
              lambda: service.update_network(NetworkUpdate(id="ext", prefixes=["185.1.2.0/24", "10.0.1.0/24"])))
    ip = service.allocate_ip(IPAllocate(networkid="ext", projectid=PROJECT))
    unchanged(storage, REFUSED, f"unable to update network: prefix 185.1.2.0/24 has ip {ip.ipaddress} in use",
              lambda: service.update_network(NetworkUpdate(id="ext", prefixes=["185.1.3.0/24"])))
    service.free_ip(ip.ipaddress)
    shrunk = service.update_network(NetworkUpdate(id="ext", prefixes=["185.1.3.0/24"], destinationprefixes=[]))
    assert shrunk.prefixes == ["185.1.3.0/24"]
    # the removed prefix is gone from IPAM too, so another network may take it
    service.create_network(NetworkCreate(prefixes=["185.1.2.0/24"]))


def test_a_prefix_given_twice_is_refused(service: NetworkService, storage: Storage, lab: Network) -> None:
    # stored twice, it would count twice in consumption and make the second release on free fail forever
    child = _child(service)
    unchanged(storage, INVALID, "prefix 10.0.0.0/22 is given more than once",
              lambda: service.update_network(NetworkUpdate(id=child.id, prefixes=[*child.prefixes, "10.0.0.0/22"])))
    assert service.free_network(child.id).prefixes == child.prefixes


def test_destination_families_must_be_present(service: NetworkService, storage: Storage) -> None:
    service.create_network(NetworkCreate(id="n", prefixes=["10.1.0.0/24"]))
    unchanged(storage, INVALID, "addressfamily:IPv6 of destination prefixes is not present",
              lambda: service.update_network(NetworkUpdate(id="n", destinationprefixes=["::/0"])))
    unchanged(storage, INVALID, "given cidr nope",
              lambda: service.update_network(NetworkUpdate(id="n", prefixes=["nope"])))
    assert service.update_network(NetworkUpdate(id="n", destinationprefixes=["0.0.0.0/0"])).destinationprefixes == [
        "0.0.0.0/0"
    ]


def test_announcable_cidrs_need_force_to_shrink(service: NetworkService, storage: Storage, lab: Network) -> None:
    cidrs = ["10.240.0.0/12", "10.100.0.0/16"]
    assert service.update_network(
        NetworkUpdate(id=SUPER_ID, additional_announcable_cidrs=cidrs)).additional_announcable_cidrs == cidrs
    unchanged(storage, INVALID, 'you cannot remove "10.100.0.0/16" from additionalannouncablecidrs without force',
              lambda: service.update_network(NetworkUpdate(id=SUPER_ID, additional_announcable_cidrs=cidrs[:1])))
    unchanged(storage, INVALID, 'you cannot remove "10.240.0.0/12"',
              lambda: service.update_network(NetworkUpdate(id=SUPER_ID, name="x")))
    forced = service.update_network(NetworkUpdate(id=SUPER_ID, additional_announcable_cidrs=cidrs[:1]), force=True)
    assert forced.additional_announcable_cidrs == cidrs[:1]
    child = _child(service)
    unchanged(storage, REFUSED, "additionalannouncablecidrs can only be set in a private super network",
              lambda: service.update_network(NetworkUpdate(id=child.id, additional_announcable_cidrs=cidrs)))
    unchanged(storage, REFUSED, 'given cidr:"x" in additionalannouncablecidrs is malformed',
              lambda: service.update_network(NetworkUpdate(id=SUPER_ID, additional_announcable_cidrs=["x"])))


def test_update_unknown_network(service: NetworkService) -> None:
    with refused(NOT_FOUND, 'no network with id "nope" found'):
        service.update_network(NetworkUpdate(id="nope", name="x"))


def test_delete_rules(service: NetworkService, storage: Storage, lab: Network) -> None:
    child = _child(service)
    unchanged(storage, REFUSED, "network cannot be deleted because there are children of this network",
              lambda: service.delete_network(SUPER_ID))
    ip = service.allocate_ip(IPAllocate(networkid=child.id, projectid=PROJECT))
    unchanged(storage, REFUSED, f"unable to delete network: prefix 10.0.0.0/22 has ip {ip.ipaddress} in use",
              lambda: service.delete_network(child.id))
    unchanged(storage, NOT_FOUND, 'no network with id "nope" found', lambda: service.delete_network("nope"))
    service.free_ip(ip.ipaddress)
    deleted = service.delete_network(child.id)  # a child's blocks go back to the parent
    assert deleted.consumption.ipv4 is None
    assert _child(service).prefixes == child.prefixes
    external = service.create_network(NetworkCreate(prefixes=["185.1.2.0/24"], vrf=7))
    service.delete_network(external.id)
    assert service.create_network(NetworkCreate(prefixes=["185.1.2.0/24"], vrf=7)).vrf == 7


def test_private_super_can_be_replaced_after_delete(service: NetworkService, lab: Network) -> None:
    service.delete_network(SUPER_ID)
    again = service.create_network(NetworkCreate(id="s2", prefixes=["10.0.0.0/16"], partitionid=PARTITION,
                                                 privatesuper=True, defaultchildprefixlength={"IPv4": 24}))
    assert _child(service).parentnetworkid == again.id


def test_prefixes_of_a_child_cannot_change(service: NetworkService, storage: Storage, lab: Network) -> None:
    """A child's prefixes are blocks of its parent: a new prefix would be a top-level one of its own."""
    child = _child(service)
    unchanged(storage, INVALID, "cannot change prefixes in child networks",
              lambda: service.update_network(NetworkUpdate(id=child.id, prefixes=["10.200.0.0/22"])))
    unchanged(storage, INVALID, "cannot change prefixes in child networks",
              lambda: service.update_network(NetworkUpdate(id=child.id, prefixes=child.prefixes[:1])))
    # the same prefixes (in any order) are no change
    same = service.update_network(NetworkUpdate(id=child.id, prefixes=child.prefixes[::-1], name="same"))
    assert (same.prefixes, same.parentnetworkid, same.name) == (child.prefixes, SUPER_ID, "same")


def test_nat_type_is_updated(service: NetworkService, storage: Storage, lab: Network) -> None:
    service.create_network(NetworkCreate(id="inet", prefixes=["185.1.2.0/24"]))
    masq = service.update_network(NetworkUpdate(id="inet", nattype="ipv4-masq"))
    assert (masq.nattype, masq.nat) == ("ipv4-masq", True)
    assert service.get_network("inet").nat
    plain = service.update_network(NetworkUpdate(id="inet", nattype="none"))
    assert (plain.nattype, plain.nat) == ("none", False)
    unchanged(storage, INVALID, 'given natType:"NAT_TYPE_UNSPECIFIED" is invalid',
              lambda: service.update_network(NetworkUpdate(id="inet", nattype="NAT_TYPE_UNSPECIFIED")))
    unchanged(storage, INVALID, "private super or underlay network is not supposed to NAT",
              lambda: service.update_network(NetworkUpdate(id=SUPER_ID, nattype="ipv4-masq")))


def test_refusals_carry_their_rule_and_values(service: NetworkService, storage: Storage, lab: Network) -> None:
    """What another protocol needs to word a refusal its own way (metalnet.api.v2.codes)."""
    child = _child(service)
    ip = service.allocate_ip(IPAllocate(networkid=child.id, projectid=PROJECT))
    service.allocate_ip(IPAllocate(networkid=child.id, projectid=PROJECT))
    cases: list[tuple[Callable[[], object], Reason, dict[str, object]]] = [
        (lambda: service.create_network(NetworkCreate(id="x", prefixes=["10.0.128.0/17"])),
         Reason.OVERLAP, {"prefix": "10.0.128.0/17", "existing": "10.0.0.0/16"}),
        (lambda: service.create_network(NetworkCreate(id=SUPER_ID, prefixes=["10.9.0.0/16"])),
         Reason.EXISTS, {"kind": "network", "id": SUPER_ID}),
        (lambda: service.delete_network(SUPER_ID), Reason.HAS_CHILDREN, {"id": SUPER_ID}),
        (lambda: service.delete_network(child.id), Reason.IPS_IN_PREFIX,
         {"prefix": child.prefixes[0], "count": 2, "ip": ip.ipaddress}),
        (lambda: service.get_network(child.id, acting_for="other"), Reason.OTHER_PROJECT,
         {"kind": "Network", "id": child.id}),
        (lambda: service.get_ip(ip.ipaddress, acting_for="other"), Reason.OTHER_PROJECT,
         {"kind": "IP", "id": ip.ipaddress}),
        (lambda: service.allocate_ip(IPAllocate(networkid=child.id, projectid=PROJECT), ip.ipaddress),
         Reason.IP_TAKEN, {"ip": ip.ipaddress}),
        (lambda: service.allocate_ip(IPAllocate(networkid=child.id, projectid=PROJECT), "10.0.0.0"),
         Reason.IP_HELD, {"ip": "10.0.0.0"}),
        (lambda: service.allocate_ip(IPAllocate(networkid=child.id, projectid=PROJECT), "10.99.0.1"),
         Reason.IP_OUTSIDE, {"ip": "10.99.0.1", "network": child.id}),
    ]
    for call, reason, details in cases:
        before = snapshot(storage)
        with pytest.raises(NetworkError) as raised:
            call()
        assert (raised.value.reason, raised.value.details) == (reason, details), raised.value
        assert snapshot(storage) == before
