"""Reserved address ranges of a prefix: kept from next-free allocation, given out only when asked for."""

from __future__ import annotations

import msgspec
import pytest

from metalnet.history.model import Event, decode, wire
from metalnet.history.recorder import History
from metalnet.ipam import (
    AlreadyAllocatedError,
    ConflictError,
    InvalidInputError,
    Ipamer,
    NoIPAvailableError,
    NotFoundError,
    ReservedAddressError,
    ReservedRange,
    layout,
)
from metalnet.ipam.addresses import parse_cidr
from metalnet.ipam.rows import PrefixRow
from metalnet.storage import Storage
from metalnet.storage.rows import decode_value, encode_value

P = "10.0.0.0/24"


def test_next_free_allocation_skips_a_reserved_range(ipam: Ipamer) -> None:
    ipam.new_prefix(P)
    reserved = ipam.reserve_range(P, "10.0.0.1", "10.0.0.10", description="gateways")
    assert reserved == ReservedRange("10.0.0.1", "10.0.0.10", "gateways")
    assert reserved.size == 10
    assert str(ipam.acquire_ip(P)) == "10.0.0.11"
    assert [str(ip) for ip in ipam.acquire_ips(P, 3)] == ["10.0.0.12", "10.0.0.13", "10.0.0.14"]


def test_bulk_allocation_crosses_reserved_ranges_and_counts_them_out(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/28")  # .1-.14 usable
    ipam.reserve_range("10.0.0.0/28", "10.0.0.3", "10.0.0.5")
    ipam.reserve_range("10.0.0.0/28", "10.0.0.8", "10.0.0.12")
    with pytest.raises(NoIPAvailableError, match="7 requested, 6 free"):
        ipam.acquire_ips("10.0.0.0/28", 7)
    taken = [str(ip) for ip in ipam.acquire_ips("10.0.0.0/28", 6)]
    assert taken == ["10.0.0.1", "10.0.0.2", "10.0.0.6", "10.0.0.7", "10.0.0.13", "10.0.0.14"]
    with pytest.raises(NoIPAvailableError):
        ipam.acquire_ip("10.0.0.0/28")


def test_a_reserved_address_is_given_only_when_asked_for_as_reserved(ipam: Ipamer) -> None:
    ipam.new_prefix(P)
    ipam.reserve_range(P, "10.0.0.1", "10.0.0.10", description="gateways")
    with pytest.raises(ReservedAddressError) as raised:
        ipam.acquire_specific_ip(P, "10.0.0.5")
    assert str(raised.value) == (
        'ip 10.0.0.5 is in reserved range 10.0.0.1-10.0.0.10 ("gateways"); ask for it with reserved'
    )
    assert str(ipam.acquire_specific_ip(P, "10.0.0.5", reserved=True)) == "10.0.0.5"
    with pytest.raises(AlreadyAllocatedError, match=r"10\.0\.0\.5"):
        ipam.acquire_specific_ip(P, "10.0.0.5", reserved=True)
    # the flag outside every reserved range changes nothing
    assert str(ipam.acquire_specific_ip(P, "10.0.0.50", reserved=True)) == "10.0.0.50"
    with pytest.raises(InvalidInputError, match="reserved"):
        ipam.acquire_specific_ip(P, "10.0.0.6", reserved="yes")  # type: ignore[arg-type]


def test_usage_reports_reserved_addresses_apart_from_acquired_ones(ipam: Ipamer) -> None:
    ipam.new_prefix(P)
    ipam.reserve_range(P, "10.0.0.1", "10.0.0.10")
    usage = ipam.prefix_usage(P)
    assert (usage.acquired_ips, usage.reserved_ips, usage.available_ips) == (2, 10, 256)
    ipam.acquire_specific_ip(P, "10.0.0.3", reserved=True)
    ipam.acquire_ip(P)
    usage = ipam.prefix_usage(P)
    assert (usage.acquired_ips, usage.reserved_ips) == (4, 9)
    assert str(usage) == "ip:4/256 reserved:9"


def test_release_inside_a_reservation_returns_the_address_to_it(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/29")  # .1-.6 usable
    ipam.reserve_range("10.0.0.0/29", "10.0.0.1", "10.0.0.2")
    ip = ipam.acquire_specific_ip("10.0.0.0/29", "10.0.0.2", reserved=True)
    ipam.release_ip(ip)
    assert ipam.prefix_usage("10.0.0.0/29").reserved_ips == 2
    # not free: next-free allocation still skips it
    assert [str(ip) for ip in ipam.acquire_ips("10.0.0.0/29", 4)] == [f"10.0.0.{n}" for n in range(3, 7)]
    with pytest.raises(NoIPAvailableError):
        ipam.acquire_ip("10.0.0.0/29")
    with pytest.raises(NotFoundError, match=r"10\.0\.0\.1 because it is not allocated"):
        ipam.release_ip_from_prefix("10.0.0.0/29", "10.0.0.1")


def test_releases_inside_a_reservation_merge_and_can_be_taken_again(ipam: Ipamer) -> None:
    ipam.new_prefix(P)
    ipam.reserve_range(P, "10.0.0.10", "10.0.0.19")
    for n in range(10, 20):
        ipam.acquire_specific_ip(P, f"10.0.0.{n}", reserved=True)
    assert ipam.prefix_usage(P).reserved_ips == 0
    for n in (12, 14, 13, 19, 10, 11):
        ipam.release_ip_from_prefix(P, f"10.0.0.{n}")
    assert ipam.prefix_usage(P).reserved_ips == 6
    for n in (11, 13, 10, 14, 12, 19):
        ipam.acquire_specific_ip(P, f"10.0.0.{n}", reserved=True)
    assert ipam.prefix_usage(P).reserved_ips == 0
    for n in range(10, 20):
        ipam.release_ip_from_prefix(P, f"10.0.0.{n}")
    ipam.unreserve_range(P, "10.0.0.10", "10.0.0.19")
    assert ipam.prefix_usage(P).acquired_ips == 2
    assert str(ipam.acquire_ip(P)) == "10.0.0.1"


def test_adjacent_reservations_keep_their_addresses_apart(ipam: Ipamer) -> None:
    ipam.new_prefix(P)
    ipam.reserve_range(P, "10.0.0.1", "10.0.0.5", description="a")
    ipam.reserve_range(P, "10.0.0.6", "10.0.0.9", description="b")
    for n in (5, 6):
        ipam.acquire_specific_ip(P, f"10.0.0.{n}", reserved=True)
    for n in (5, 6):
        ipam.release_ip_from_prefix(P, f"10.0.0.{n}")
    ipam.unreserve_range(P, "10.0.0.1", "10.0.0.5")
    assert [str(ip) for ip in ipam.acquire_ips(P, 6)] == ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4",
                                                          "10.0.0.5", "10.0.0.10"]
    assert ipam.prefix_usage(P).reserved_ips == 4
    with pytest.raises(ReservedAddressError, match='"b"'):
        ipam.acquire_specific_ip(P, "10.0.0.6")


def test_unreserve_frees_what_is_held_and_keeps_what_is_acquired(ipam: Ipamer) -> None:
    ipam.new_prefix(P)
    ipam.acquire_ips(P, 3)  # .1-.3
    ipam.reserve_range(P, "10.0.0.4", "10.0.0.8", description="dhcp")
    ipam.acquire_specific_ip(P, "10.0.0.6", reserved=True)
    removed = ipam.unreserve_range(P, "10.0.0.4", "10.0.0.8")
    assert removed == ReservedRange("10.0.0.4", "10.0.0.8", "dhcp")
    assert ipam.reserved_ranges(P) == []
    usage = ipam.prefix_usage(P)
    assert (usage.acquired_ips, usage.reserved_ips) == (6, 0)
    assert [str(ip) for ip in ipam.acquire_ips(P, 3)] == ["10.0.0.4", "10.0.0.5", "10.0.0.7"]
    # acquired inside the reservation, released after it was removed: free again
    ipam.release_ip_from_prefix(P, "10.0.0.6")
    assert str(ipam.acquire_ip(P)) == "10.0.0.6"


def test_unreserve_needs_the_exact_range(ipam: Ipamer) -> None:
    ipam.new_prefix(P)
    ipam.reserve_range(P, "10.0.0.10", "10.0.0.20", description="x")
    with pytest.raises(NotFoundError, match=r'no reserved range 10\.0\.0\.10-10\.0\.0\.19 .*, but 10\.0\.0\.10-10'
                                            r'\.0\.0\.20 \("x"\) overlaps it'):
        ipam.unreserve_range(P, "10.0.0.10", "10.0.0.19")
    with pytest.raises(NotFoundError, match=r"no reserved range 10\.0\.0\.30-10\.0\.0\.40 in prefix 10\.0\.0\.0/24$"):
        ipam.unreserve_range(P, "10.0.0.30", "10.0.0.40")
    with pytest.raises(NotFoundError, match=r"10\.1\.0\.0/24 not found"):
        ipam.unreserve_range("10.1.0.0/24", "10.1.0.1", "10.1.0.2")


def test_reserved_ranges_are_listed_in_address_order(ipam: Ipamer) -> None:
    ipam.new_prefix("2001:db8::/64")
    ipam.reserve_range("2001:db8::/64", "2001:db8::100", "2001:db8::1ff", description="dhcp")
    ipam.reserve_range("2001:db8::/64", "2001:db8::1", "2001:db8::f")
    ipam.reserve_range("2001:db8::/64", "2001:db8::ffff:0", "2001:db8::ffff:ffff")
    assert ipam.reserved_ranges("2001:db8::/64") == [
        ReservedRange("2001:db8::1", "2001:db8::f", ""),
        ReservedRange("2001:db8::100", "2001:db8::1ff", "dhcp"),
        ReservedRange("2001:db8::ffff:0", "2001:db8::ffff:ffff", ""),
    ]
    assert ipam.prefix_usage("2001:db8::/64").reserved_ips == 15 + 256 + 65536
    assert str(ipam.acquire_ip("2001:db8::/64")) == "2001:db8::10"


def test_a_huge_ipv6_reservation_costs_no_more_than_a_small_one(ipam: Ipamer) -> None:
    ipam.new_prefix("2001:db8::/48")
    ipam.reserve_range("2001:db8::/48", "2001:db8::1", "2001:db8::ffff:ffff:ffff:ffff")
    assert str(ipam.acquire_ip("2001:db8::/48")) == "2001:db8:0:1::"
    assert ipam.prefix_usage("2001:db8::/48").reserved_ips == 2**31 - 1  # capped, as every count
    ipam.unreserve_range("2001:db8::/48", "2001:db8::1", "2001:db8::ffff:ffff:ffff:ffff")
    assert str(ipam.acquire_ip("2001:db8::/48")) == "2001:db8::1"


@pytest.mark.parametrize(
    ("first", "last", "error", "message"),
    [
        ("10.0.0.9", "10.0.0.2", InvalidInputError, r"invalid range 10\.0\.0\.9-10\.0\.0\.2: 10\.0\.0\.9 is above"),
        ("10.0.0.250", "10.0.1.3", InvalidInputError, r"10\.0\.1\.3 is not in 10\.0\.0\.0/24"),
        ("9.255.255.255", "10.0.0.3", InvalidInputError, r"9\.255\.255\.255 is not in"),
        ("2001:db8::1", "2001:db8::2", InvalidInputError, r"2001:db8::1 is not in 10\.0\.0\.0/24"),
        ("10.0.0.x", "10.0.0.2", InvalidInputError, r"10\.0\.0\.x"),
    ],
)
def test_reserve_refuses_bad_ranges(ipam: Ipamer, first: str, last: str, error: type[Exception],
                                    message: str) -> None:
    ipam.new_prefix(P)
    with pytest.raises(error, match=message):
        ipam.reserve_range(P, first, last)
    assert ipam.reserved_ranges(P) == []


def test_reserve_refuses_overlap_naming_the_reservation(ipam: Ipamer) -> None:
    ipam.new_prefix(P)
    ipam.reserve_range(P, "10.0.0.10", "10.0.0.20", description="lab")
    for first, last in (("10.0.0.5", "10.0.0.10"), ("10.0.0.20", "10.0.0.30"), ("10.0.0.12", "10.0.0.13"),
                        ("10.0.0.1", "10.0.0.100")):
        with pytest.raises(ConflictError, match=r'overlaps reserved range 10\.0\.0\.10-10\.0\.0\.20 \("lab"\)'):
            ipam.reserve_range(P, first, last)
    ipam.reserve_range(P, "10.0.0.21", "10.0.0.21")
    ipam.reserve_range(P, "10.0.0.9", "10.0.0.9")
    assert len(ipam.reserved_ranges(P)) == 3


def test_reserve_refuses_a_range_holding_acquired_addresses_naming_them(ipam: Ipamer) -> None:
    ipam.new_prefix(P)
    ipam.acquire_ips(P, 30)  # .1-.30
    ipam.acquire_specific_ip(P, "10.0.0.40")
    with pytest.raises(ConflictError) as raised:
        ipam.reserve_range(P, "10.0.0.29", "10.0.0.50")
    assert str(raised.value).endswith("holds acquired ips: 10.0.0.29, 10.0.0.30, 10.0.0.40")
    with pytest.raises(ConflictError) as raised:
        ipam.reserve_range(P, "10.0.0.0", "10.0.0.60")
    # the network address is the prefix's own, never named
    assert str(raised.value).endswith(
        "holds acquired ips: " + ", ".join(f"10.0.0.{n}" for n in range(1, 11)) + " and 21 more"
    )
    assert ipam.reserved_ranges(P) == []
    assert ipam.prefix_usage(P).acquired_ips == 33


def test_network_and_broadcast_may_lie_in_a_reservation(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/29")
    ipam.reserve_range("10.0.0.0/29", "10.0.0.0", "10.0.0.1")
    ipam.reserve_range("10.0.0.0/29", "10.0.0.6", "10.0.0.7")
    usage = ipam.prefix_usage("10.0.0.0/29")
    assert (usage.acquired_ips, usage.reserved_ips) == (2, 2)  # network and broadcast stay acquired
    assert [str(ip) for ip in ipam.acquire_ips("10.0.0.0/29", 4)] == [f"10.0.0.{n}" for n in range(2, 6)]
    ipam.new_prefix("2001:db8::/126")
    ipam.reserve_range("2001:db8::/126", "2001:db8::", "2001:db8::1")
    assert str(ipam.acquire_ip("2001:db8::/126")) == "2001:db8::2"


def test_reservations_and_child_prefixes_exclude_each_other(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/16")
    ipam.reserve_range("10.0.0.0/16", "10.0.0.1", "10.0.0.10", description="gateways")
    with pytest.raises(ConflictError, match=r'has reserved range 10\.0\.0\.1-10\.0\.0\.10 \("gateways"\), acquire '
                                            "child prefix not possible"):
        ipam.acquire_child_prefix("10.0.0.0/16", 24)
    with pytest.raises(ConflictError, match=r"reserved range 10\.0\.0\.1-10\.0\.0\.10"):
        ipam.acquire_specific_child_prefix("10.0.0.0/16", "10.0.128.0/24")
    ipam.unreserve_range("10.0.0.0/16", "10.0.0.1", "10.0.0.10")
    child = ipam.acquire_child_prefix("10.0.0.0/16", 24)
    with pytest.raises(ConflictError, match=r"prefix 10\.0\.0\.0/16 has child prefixes, reserve range"):
        ipam.reserve_range("10.0.0.0/16", "10.0.200.1", "10.0.200.2")
    ipam.reserve_range(child.cidr, "10.0.0.1", "10.0.0.2")  # the child is a prefix of its own


def test_deleting_a_prefix_deletes_its_reservations(ipam: Ipamer, storage: Storage) -> None:
    ipam.new_prefix(P)
    ipam.reserve_range(P, "10.0.0.1", "10.0.0.10")
    ipam.reserve_range(P, "10.0.0.100", "10.0.0.110")
    ip = ipam.acquire_specific_ip(P, "10.0.0.5", reserved=True)
    with pytest.raises(ConflictError, match="has ips"):
        ipam.delete_prefix(P)
    ipam.release_ip(ip)
    ipam.delete_prefix(P)
    cidr = parse_cidr(P)
    spaces = (layout.reservation_space("root", cidr), layout.held_space("root", cidr))
    assert storage.run(lambda tx: [tx.scan(space) for space in spaces], readonly=True) == [[], []]
    ipam.new_prefix(P)
    assert ipam.reserved_ranges(P) == []
    assert str(ipam.acquire_ip(P)) == "10.0.0.1"


def test_releasing_a_child_prefix_deletes_its_reservations(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/16")
    child = ipam.acquire_specific_child_prefix("10.0.0.0/16", "10.0.1.0/24")
    ipam.reserve_range(child.cidr, "10.0.1.1", "10.0.1.9")
    ipam.release_child_prefix(child)
    again = ipam.acquire_specific_child_prefix("10.0.0.0/16", "10.0.1.0/24")
    assert ipam.reserved_ranges(again.cidr) == []


def test_dump_and_load_carry_reservations(ipam: Ipamer) -> None:
    ipam.new_prefix(P)
    ipam.reserve_range(P, "10.0.0.1", "10.0.0.10", description="gateways")
    ipam.reserve_range(P, "10.0.0.20", "10.0.0.29")
    ipam.acquire_specific_ip(P, "10.0.0.5", reserved=True)
    ipam.acquire_ips(P, 3)
    dump = ipam.dump()
    decoded = msgspec.json.decode(dump)
    assert decoded["version"] == 2
    assert decoded["prefixes"][0]["ips"] == ["10.0.0.0", "10.0.0.5", "10.0.0.11", "10.0.0.12", "10.0.0.13",
                                             "10.0.0.255"]
    other = Ipamer()
    other.load(dump)
    assert other.dump() == dump
    assert other.reserved_ranges(P) == ipam.reserved_ranges(P)
    assert other.prefix_usage(P) == ipam.prefix_usage(P)
    with pytest.raises(AlreadyAllocatedError):
        other.acquire_specific_ip(P, "10.0.0.5", reserved=True)
    assert str(other.acquire_specific_ip(P, "10.0.0.6", reserved=True)) == "10.0.0.6"
    assert str(other.acquire_ip(P)) == "10.0.0.14"


def test_a_dump_without_reservations_stays_version_1(ipam: Ipamer) -> None:
    ipam.new_prefix(P)
    ipam.acquire_ip(P)
    decoded = msgspec.json.decode(ipam.dump())
    assert decoded["version"] == 1
    assert "reserved" not in decoded["prefixes"][0]


def test_reservation_changes_are_recorded_in_the_history(storage: Storage) -> None:
    ipam = Ipamer(storage, history=History())
    ipam.new_prefix(P)
    ipam.reserve_range("10.0.0.7/24", "10.0.0.1", "10.0.0.2", description="gw")
    with pytest.raises(ConflictError):
        ipam.reserve_range(P, "10.0.0.2", "10.0.0.3")
    ipam.unreserve_range(P, "10.0.0.1", "10.0.0.2")
    events = [decode(wire(e.seq, e.at, e.body)) for e in storage.read_events(0, 100)]
    state = {"prefix": P, "first": "10.0.0.1", "last": "10.0.0.2", "description": "gw", "namespace": "root"}
    assert [(e.kind, e.id, e.action) for e in events[1:]] == [
        ("ipam-reserved-range", "10.0.0.0/24 10.0.0.1-10.0.0.2", "create"),
        ("ipam-reserved-range", "10.0.0.0/24 10.0.0.1-10.0.0.2", "delete"),
    ]
    def states(event: Event) -> tuple[object, object]:
        return msgspec.json.decode(event.before), msgspec.json.decode(event.after)

    assert states(events[1]) == (None, state)
    assert states(events[2]) == (state, None)


def test_reserve_checks_its_arguments_at_the_edge(ipam: Ipamer) -> None:
    ipam.new_prefix(P)
    with pytest.raises(InvalidInputError, match="description"):
        ipam.reserve_range(P, "10.0.0.1", "10.0.0.2", description=5)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="longer than 256"):
        ipam.reserve_range(P, "10.0.0.1", "10.0.0.2", description="x" * 257)
    with pytest.raises(InvalidInputError):
        ipam.reserve_range(P, 1, "10.0.0.2")  # type: ignore[arg-type]


def test_a_stored_prefix_row_without_the_reservation_fields_reads_as_having_none() -> None:
    # rows written before migration 0004 lack the fields: they decode with no reservation
    row = PrefixRow("root", 4, 0, 24, None, 2, 0, 0, 0, 1, 254, 0)
    raw = msgspec.json.decode(encode_value(row))
    del raw["reservations"], raw["reserved_free"]
    old = decode_value(msgspec.json.encode(raw))
    assert isinstance(old, PrefixRow)
    assert (old.reservations, old.reserved_free) == (0, 0)
    assert old == row
