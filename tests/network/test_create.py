"""Network create: metal-api's checks, in its order, and a refused create changes nothing."""

from __future__ import annotations

import pytest

from metalnet.network import ErrorKind, Network, NetworkCreate, NetworkService, PartitionCreate
from metalnet.storage import Storage
from tests.network.support import PARTITION, SUPER_ID, refused, unchanged

INVALID, NOT_FOUND, CONFLICT, REFUSED = ErrorKind.INVALID, ErrorKind.NOT_FOUND, ErrorKind.CONFLICT, ErrorKind.REFUSED


def test_external_network_defaults(service: NetworkService) -> None:
    network = service.create_network(NetworkCreate(prefixes=["185.1.2.0/24"], destinationprefixes=["0.0.0.0/0"]))
    assert len(network.id) == 36  # a generated UUID
    assert (network.networktype, network.nattype, network.labels, network.vrf) == ("external", "none", {}, 0)
    assert network.parentnetworkid is None
    assert network.defaultchildprefixlength is None
    assert network.consumption.ipv4 is not None
    assert network.consumption.ipv6 is None
    assert network.created == network.changed
    assert service.get_network(network.id) == network


def test_flags_decide_network_and_nat_type(service: NetworkService) -> None:
    service.create_partition(PartitionCreate(id="p"))
    nat = service.create_network(NetworkCreate(id="internet", prefixes=["185.1.2.0/24"], nat=True))
    underlay = service.create_network(NetworkCreate(id="u", prefixes=["10.1.0.0/24"], underlay=True, partitionid="p"))
    assert (nat.networktype, nat.nattype) == ("external", "ipv4-masq")
    assert (underlay.networktype, underlay.partitionid) == ("underlay", "p")
    both = service.create_network(NetworkCreate(prefixes=["10.2.0.0/16"], underlay=True, privatesuper=True,
                                                defaultchildprefixlength={"IPv4": 24}))
    assert both.networktype == "underlay"  # underlay wins, as in metal-api


def test_prefixes_are_canonical(service: NetworkService) -> None:
    network = service.create_network(
        NetworkCreate(prefixes=["10.0.0.1/16", "2001:DB8:0:0::/48"], destinationprefixes=["0:0::0/0"])
    )
    assert network.prefixes == ["10.0.0.0/16", "2001:db8::/48"]
    assert network.destinationprefixes == ["::/0"]


def test_refusals_in_metal_api_order(service: NetworkService, storage: Storage, lab: Network) -> None:
    def create(**fields: object) -> None:
        service.create_network(NetworkCreate(**fields))  # type: ignore[arg-type]

    super_ = {"privatesuper": True, "defaultchildprefixlength": {"IPv4": 24}}
    cases: list[tuple[dict[str, object], ErrorKind, str]] = [
        ({"projectid": "nope", "prefixes": []}, NOT_FOUND, 'no project with id "nope" found'),
        ({"prefixes": []}, INVALID, "no prefixes given"),
        ({"prefixes": ["192.168.0.0/24"], "defaultchildprefixlength": {}}, INVALID,
         "defaultchildprefixlength can only be set for privatesuper networks"),
        ({"prefixes": ["192.168.0.0/24"], "privatesuper": True, "defaultchildprefixlength": {"ipv5": 24}}, INVALID,
         'given addressfamily:"ipv5" is invalid'),
        ({"prefixes": ["192.168.0.0"]}, INVALID, "given cidr 192.168.0.0 is not a valid ip with mask"),
        ({"prefixes": ["192.168.0.0/24"], "destinationprefixes": ["x/1"]}, INVALID, "given cidr x/1"),
        ({"prefixes": ["192.168.0.0/24", "192.168.0.1/24"]}, INVALID, "prefix 192.168.0.0/24 is given more than once"),
        ({"prefixes": ["192.168.0.0/24"], "destinationprefixes": ["::/0"]}, INVALID,
         "addressfamily:IPv6 of destination prefixes is not present in existing prefixes"),
        ({"prefixes": ["192.168.0.0/24"], "privatesuper": True}, INVALID,
         "private super network must always contain a defaultchildprefixlength"),
        ({"prefixes": ["192.168.0.0/24"], "privatesuper": True, "defaultchildprefixlength": {"IPv4": 24}}, INVALID,
         "given defaultchildprefixlength 24 is not greater than prefix length of:192.168.0.0/24"),
        ({"prefixes": ["192.168.0.0/16", "fd00::/48"], **super_}, INVALID,
         "defaultchildprefixlength per addressfamily:IPv6"),
        ({"prefixes": ["192.168.0.0/24"], "additional_announcable_cidrs": ["10.240.0.0/12"]}, INVALID,
         "additionalannouncablecidrs can only be set in a private super network"),
        ({"prefixes": ["192.168.0.0/16"], **super_, "additional_announcable_cidrs": ["bad"]}, INVALID,
         'given cidr:"bad" in additionalannouncablecidrs is malformed'),
        ({"id": SUPER_ID, "prefixes": ["192.168.0.0/24"]}, CONFLICT, f'network with id "{SUPER_ID}"'),
        ({"prefixes": ["10.0.128.0/24"]}, REFUSED, "10.0.128.0/24 overlaps 10.0.0.0/16"),
        ({"prefixes": ["2001:db8::/32"]}, REFUSED, "2001:db8::/32 overlaps 2001:db8:0:10::/64"),
        ({"prefixes": ["192.168.0.0/24", "192.168.0.0/25"]}, REFUSED, "overlaps 192.168.0.0/24"),
        ({"prefixes": ["192.168.0.0/24"], "partitionid": "nope"}, NOT_FOUND, 'no partition with id "nope" found'),
        ({"prefixes": ["192.168.0.0/16"], "partitionid": PARTITION, **super_}, INVALID,
         f'partition with id "{PARTITION}" already has a private super network'),
        ({"prefixes": ["192.168.0.0/16"], **super_, "nat": True}, INVALID,
         "private super or underlay network is not supposed to NAT"),
        ({"prefixes": ["192.168.0.0/24"], "underlay": True, "nat": True}, INVALID, "not supposed to NAT"),
        ({"prefixes": ["192.168.0.0/24"], "vrf": 131073}, REFUSED,
         "could not acquire vrf: value '131073' is outside of the allowed range '1 - 131072'"),
    ]
    for fields, kind, fragment in cases:
        unchanged(storage, kind, fragment, lambda fields=fields: create(**fields))  # type: ignore[misc]


def test_first_failing_check_answers(service: NetworkService, lab: Network) -> None:
    # an unknown project is reported before the missing prefixes, an overlap before the unknown partition
    with refused(ErrorKind.NOT_FOUND, "no project"):
        service.create_network(NetworkCreate(projectid="nope"))
    with refused(ErrorKind.REFUSED, "overlaps"):
        service.create_network(NetworkCreate(prefixes=["10.0.0.0/8"], partitionid="nope"))


def test_one_underlay_per_partition(service: NetworkService, storage: Storage, lab: Network) -> None:
    service.create_network(NetworkCreate(id="u1", prefixes=["10.1.0.0/24"], underlay=True, partitionid=PARTITION))
    unchanged(storage, REFUSED, f'partition with id "{PARTITION}" already has an underlay network',
              lambda: service.create_network(
                  NetworkCreate(prefixes=["10.2.0.0/24"], underlay=True, partitionid=PARTITION)))
    # without a partition the uniqueness rules do not apply
    service.create_network(NetworkCreate(prefixes=["10.3.0.0/24"], underlay=True))
    service.create_network(NetworkCreate(prefixes=["10.4.0.0/16"], privatesuper=True,
                                         defaultchildprefixlength={"IPv4": 24}))


def test_one_private_super_per_partition_is_per_partition(service: NetworkService, lab: Network) -> None:
    service.create_partition(PartitionCreate(id="other"))
    other = service.create_network(NetworkCreate(
        prefixes=["10.1.0.0/16"], partitionid="other", privatesuper=True, defaultchildprefixlength={"ipv4": 20}))
    assert other.defaultchildprefixlength == {"IPv4": 20}  # keys normalised


def test_lengths_for_a_family_without_prefix_are_accepted(service: NetworkService) -> None:
    network = service.create_network(NetworkCreate(
        prefixes=["10.1.0.0/16"], privatesuper=True, defaultchildprefixlength={"IPv4": 22, "IPv6": 64}))
    assert network.defaultchildprefixlength == {"IPv4": 22, "IPv6": 64}


@pytest.mark.parametrize("vrfshared", [False, True])
def test_explicit_vrf(service: NetworkService, storage: Storage, vrfshared: bool) -> None:
    first = service.create_network(NetworkCreate(id="a", prefixes=["10.1.0.0/24"], vrf=42))
    assert first.vrf == 42
    second = NetworkCreate(id="b", prefixes=["10.2.0.0/24"], vrf=42, vrfshared=vrfshared)
    if vrfshared:
        assert service.create_network(second).vrf == 42
    else:
        unchanged(storage, CONFLICT, "vrf 42 is already acquired", lambda: service.create_network(second))


def test_prefix_created_in_ipam_is_the_overlap_guard_for_children(service: NetworkService, lab: Network) -> None:
    with refused(REFUSED, "10.0.0.0/22 overlaps 10.0.0.0/16"):
        service.create_network(NetworkCreate(prefixes=["10.0.0.0/22"]))
