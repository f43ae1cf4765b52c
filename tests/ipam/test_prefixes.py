"""Prefixes: parsing, masking, reserved addresses, overlap, deletion, namespaces."""

from __future__ import annotations

import pytest

from metalnet.ipam import (
    AlreadyAllocatedError,
    ConflictError,
    InvalidInputError,
    Ipamer,
    IpamError,
    NotFoundError,
    prefixes_overlapping,
)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("192.169.0.1/24", "192.169.0.0/24"),
        ("192.167.10.0/16", "192.167.0.0/16"),
        ("2001:0db8:85a3::/120", "2001:db8:85a3::/120"),
        ("2001:0db8:85a4::2/120", "2001:db8:85a4::/120"),
    ],
)
def test_new_prefix_masks_host_bits(ipam: Ipamer, given: str, stored: str) -> None:
    assert ipam.new_prefix(given).cidr == stored
    assert ipam.prefix_from(given).cidr == stored
    assert ipam.read_all_prefix_cidrs() == [stored]


@pytest.mark.parametrize(
    "bad", ["", "garbage", "10.0.0.0", "192.168.0.0/33", "300.1.1.1/24", "2001:db8::/129", "10.0.0.0/255.0.0.0",
            "fe80::/64%eth0", " 10.0.0.0/8", "10.0.0.0/-1", "010.0.0.0/8"],
)
def test_bad_cidr_is_invalid_input_naming_it(ipam: Ipamer, bad: str) -> None:
    for call in (ipam.new_prefix, ipam.prefix_from, ipam.delete_prefix, ipam.acquire_ip):
        with pytest.raises(InvalidInputError) as info:
            call(bad)
        assert repr(bad) in str(info.value) or bad in str(info.value)


def test_non_string_input_is_invalid_input(ipam: Ipamer) -> None:
    for junk in (None, 10, ["10.0.0.0/8"], {"cidr": "10.0.0.0/8"}, b"10.0.0.0/8"):
        with pytest.raises(InvalidInputError):
            ipam.new_prefix(junk)  # type: ignore[arg-type]
        with pytest.raises(InvalidInputError):
            ipam.prefix_from(junk)  # type: ignore[arg-type]
    ipam.new_prefix("10.0.0.0/16")
    with pytest.raises(InvalidInputError):
        ipam.acquire_child_prefix("10.0.0.0/16", "24")  # type: ignore[arg-type]
    for junk in ([1], {"a": 1}, 10.5, b"10.0.0.1"):
        with pytest.raises(InvalidInputError):
            ipam.acquire_specific_ip("10.0.0.0/16", junk)  # type: ignore[arg-type]
        with pytest.raises(InvalidInputError):
            ipam.release_ip_from_prefix("10.0.0.0/16", junk)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cidr", "acquired", "available"),
    [("192.168.0.0/24", 2, 256), ("192.168.4.0/32", 1, 1), ("192.168.4.0/31", 2, 2), ("2001:db8::/120", 1, 256),
     ("2001:db8::/128", 1, 1), ("10.0.0.0/8", 2, 16777216), ("2001:db8::/64", 1, 2147483647)],
)
def test_fresh_prefix_reserves_addresses(ipam: Ipamer, cidr: str, acquired: int, available: int) -> None:
    usage = ipam.new_prefix(cidr).usage()
    assert (usage.acquired_ips, usage.available_ips, usage.acquired_prefixes) == (acquired, available, 0)


def test_overlap_is_refused_naming_both(ipam: Ipamer) -> None:
    ipam.new_prefix("192.168.0.0/24")
    for overlapping in ("192.168.0.0/23", "192.168.0.128/25", "192.168.0.1/24", "0.0.0.0/0"):
        with pytest.raises(ConflictError, match=r"overlaps 192\.168\.0\.0/24"):
            ipam.new_prefix(overlapping)
    ipam.new_prefix("192.168.1.0/24")
    ipam.new_prefix("192.167.255.0/24")
    ipam.new_prefix("::/0")  # other family never conflicts


def test_overlap_with_child_is_refused(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/16")
    ipam.acquire_child_prefix("10.0.0.0/16", 24)
    with pytest.raises(ConflictError):
        ipam.new_prefix("10.0.0.0/25")


def test_delete_prefix(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/24")
    ip = ipam.acquire_ip("10.0.0.0/24")
    with pytest.raises(ConflictError, match="has ips"):
        ipam.delete_prefix("10.0.0.0/24")
    ipam.release_ip(ip)
    assert ipam.delete_prefix("10.0.0.0/24").cidr == "10.0.0.0/24"
    with pytest.raises(NotFoundError, match=r"10\.0\.0\.0/24"):
        ipam.prefix_from("10.0.0.0/24")
    with pytest.raises(NotFoundError):
        ipam.delete_prefix("10.0.0.0/24")
    ipam.new_prefix("10.0.0.0/23")  # the space is free again


def test_delete_parent_with_children_is_refused(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/16")
    child = ipam.acquire_child_prefix("10.0.0.0/16", 24)
    with pytest.raises(ConflictError, match="child prefixes"):
        ipam.delete_prefix("10.0.0.0/16")
    ipam.delete_prefix(child.cidr)  # deleting a child gives its block back
    assert ipam.prefix_usage("10.0.0.0/16").available_prefixes == ["10.0.0.0/16"]
    ipam.delete_prefix("10.0.0.0/16")
    assert ipam.read_all_prefix_cidrs() == []


def test_namespaces_are_independent(ipam: Ipamer) -> None:
    ipam.create_namespace("testns1")
    ipam.create_namespace("testns2")
    ipam.create_namespace("testns2")  # idempotent
    assert sorted(ipam.list_namespaces()) == ["root", "testns1", "testns2"]
    for ns in ("testns1", "testns2"):
        ipam.new_prefix("192.168.0.0/20", namespace=ns)
        assert str(ipam.acquire_ip("192.168.0.0/20", namespace=ns)) == "192.168.0.1"
    assert ipam.read_all_prefix_cidrs() == []
    assert ipam.read_all_prefix_cidrs(namespace="testns1") == ["192.168.0.0/20"]
    with pytest.raises(ConflictError, match="testns1"):
        ipam.delete_namespace("testns1")
    ipam.release_ip_from_prefix("192.168.0.0/20", "192.168.0.1", namespace="testns1")
    ipam.delete_prefix("192.168.0.0/20", namespace="testns1")
    ipam.delete_namespace("testns1")
    assert sorted(ipam.list_namespaces()) == ["root", "testns2"]


def test_unknown_namespace(ipam: Ipamer) -> None:
    with pytest.raises(NotFoundError, match="nowhere"):
        ipam.new_prefix("10.0.0.0/8", namespace="nowhere")
    with pytest.raises(NotFoundError, match="nowhere"):
        ipam.delete_namespace("nowhere")
    with pytest.raises(NotFoundError, match="nowhere"):
        ipam.read_all_prefix_cidrs(namespace="nowhere")
    with pytest.raises(InvalidInputError):
        ipam.create_namespace("")
    with pytest.raises(ConflictError):
        ipam.delete_namespace("root")


def test_prefixes_overlapping() -> None:
    prefixes_overlapping(["10.0.0.0/24", "10.0.1.0/24"], ["10.0.2.0/24", "2001:db8::/64"])
    with pytest.raises(ConflictError, match=r"10\.0\.1\.128/25 overlaps 10\.0\.1\.0/24"):
        prefixes_overlapping(["10.0.0.0/24", "10.0.1.0/24"], ["10.0.2.0/24", "10.0.1.128/25"])
    with pytest.raises(InvalidInputError, match="nonsense"):
        prefixes_overlapping(["nonsense"], ["10.0.0.0/8"])


def test_errors_share_one_base() -> None:
    for error in (NotFoundError, AlreadyAllocatedError, ConflictError, InvalidInputError):
        assert issubclass(error, IpamError)
    assert issubclass(InvalidInputError, ValueError)


def test_dump_and_load_round_trip(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/16")
    child = ipam.acquire_child_prefix("10.0.0.0/16", 24)
    ipam.acquire_ip(child.cidr)
    ipam.acquire_specific_ip(child.cidr, "10.0.0.77")
    ipam.new_prefix("2001:db8::/64")
    ipam.acquire_ip("2001:db8::/64")
    dump = ipam.dump()
    other = Ipamer()
    other.load(dump)
    assert other.dump() == dump
    assert other.prefix_usage("10.0.0.0/16") == ipam.prefix_usage("10.0.0.0/16")
    assert str(other.acquire_ip(child.cidr)) == "10.0.0.2"
    with pytest.raises(ConflictError, match="prefixes exist"):
        other.load(dump)
    with pytest.raises(InvalidInputError):
        Ipamer().load("{not json")
    with pytest.raises(InvalidInputError):
        Ipamer().load(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        Ipamer().release_ip("10.0.0.1")  # type: ignore[arg-type]


def test_dump_honours_namespace(ipam: Ipamer) -> None:
    ipam.create_namespace("a")
    ipam.new_prefix("10.0.0.0/8", namespace="a")
    ipam.new_prefix("11.0.0.0/8")
    assert "10.0.0.0/8" in ipam.dump(namespace="a")
    assert "10.0.0.0/8" not in ipam.dump()


def test_load_reads_go_ipam_dump(ipam: Ipamer) -> None:
    go_dump = (
        '[{"Cidr":"192.168.0.0/24","ParentCidr":"","Namespace":"","AvailableChildPrefixes":{},'
        '"ChildPrefixLength":0,"IsParent":false,"IPs":{"192.168.0.0":true,"192.168.0.1":true,'
        '"192.168.0.255":true},"Version":3}]'
    )
    ipam.load(go_dump)
    assert str(ipam.acquire_ip("192.168.0.0/24")) == "192.168.0.2"
    ipam.load("null") if False else None
    Ipamer().load("null")
