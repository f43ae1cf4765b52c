"""Child prefixes: best fit, specific children, release, usage numbers."""

from __future__ import annotations

import pytest

from metalnet.ipam import (
    AlreadyAllocatedError,
    ConflictError,
    InvalidInputError,
    Ipamer,
    NoPrefixAvailableError,
    NotFoundError,
)


def test_seed_ipv6_example(ipam: Ipamer) -> None:
    ipam.new_prefix("2001:aabb::/48")
    first = ipam.acquire_child_prefix("2001:aabb::/48", 64)
    second = ipam.acquire_child_prefix("2001:aabb::/48", 72)
    assert (first.cidr, second.cidr) == ("2001:aabb::/64", "2001:aabb:0:1::/72")
    assert second.parent_cidr == "2001:aabb::/48"
    assert str(ipam.acquire_ip(second.cidr)) == "2001:aabb:0:1::1"
    usage = ipam.prefix_usage("2001:aabb::/48")
    assert usage.acquired_prefixes == 2
    assert usage.available_smallest_prefixes == 2147483647


def test_best_fit_prefers_exact_block(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/16")
    big = ipam.acquire_child_prefix("10.0.0.0/16", 24)
    assert big.cidr == "10.0.0.0/24"
    assert ipam.acquire_child_prefix("10.0.0.0/16", 26).cidr == "10.0.1.0/26"
    ipam.release_child_prefix(big)
    assert ipam.acquire_child_prefix("10.0.0.0/16", 26).cidr == "10.0.1.64/26"


def test_go_ipam_slash20_sequence(ipam: Ipamer) -> None:
    parent = "192.168.0.0/20"
    ipam.new_prefix(parent)
    assert ipam.acquire_child_prefix(parent, 21).cidr == "192.168.0.0/21"
    quarter = ipam.acquire_child_prefix(parent, 22)
    assert quarter.cidr == "192.168.8.0/22"
    assert ipam.prefix_usage(parent).available_prefixes == ["192.168.12.0/22"]
    with pytest.raises(
        NoPrefixAvailableError, match=r"no prefix found in 192\.168\.0\.0/20 with length:21, but 192\.168\.12\.0/22 is"
    ):
        ipam.acquire_child_prefix(parent, 21)
    ipam.release_child_prefix(quarter)
    assert ipam.acquire_child_prefix(parent, 28).cidr == "192.168.8.0/28"
    assert ipam.prefix_usage(parent).available_prefixes == [
        "192.168.8.16/28", "192.168.8.32/27", "192.168.8.64/26", "192.168.8.128/25",
        "192.168.9.0/24", "192.168.10.0/23", "192.168.12.0/22",
    ]
    assert ipam.acquire_child_prefix(parent, 22).cidr == "192.168.12.0/22"


@pytest.mark.parametrize(
    ("cidr", "smallest", "listed"),
    [("10.0.0.0/20", 1024, True), ("10.0.0.0/16", 16384, True), ("10.0.0.0/24", 64, True), ("10.0.0.0/30", 1, True),
     ("10.0.0.0/31", 0, False), ("10.0.0.0/32", 0, False), ("2001:db8::/120", 64, True), ("2001:db8::/116", 1024, True),
     ("2001:db8::/126", 1, True), ("2001:db8::/127", 0, False), ("2001:db8::/128", 0, False),
     ("2001:db8::/48", 2147483647, True)],
)
def test_available_smallest_prefixes(ipam: Ipamer, cidr: str, smallest: int, listed: bool) -> None:
    usage = ipam.new_prefix(cidr).usage()
    assert usage.available_smallest_prefixes == smallest
    assert usage.available_prefixes == ([cidr] if listed else [])


def test_usage_after_children(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/20")
    ipam.acquire_child_prefix("10.0.0.0/20", 22)
    assert ipam.prefix_usage("10.0.0.0/20").available_smallest_prefixes == 768
    ipam.new_prefix("10.1.0.0/16")
    ipam.acquire_child_prefix("10.1.0.0/16", 22)
    assert ipam.prefix_usage("10.1.0.0/16").available_smallest_prefixes == 8192 + 4096 + 2048 + 1024 + 512 + 256
    ipam.acquire_child_prefix("10.1.0.0/16", 26)
    usage = ipam.prefix_usage("10.1.0.0/16")
    assert usage.available_smallest_prefixes == 16384 - 256 - 16
    assert usage.acquired_prefixes == 2
    assert str(usage) == f"ip:2/65536 prefixes alloc:2 avail:{usage.available_smallest_prefixes}"


def test_dual_stack_proposal_numbers(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/16")
    ipam.new_prefix("2001:db8:0:10::/64")
    v4 = ipam.acquire_child_prefix("10.0.0.0/16", 22).usage()
    v6 = ipam.acquire_child_prefix("2001:db8:0:10::/64", 96)
    assert v6.cidr == "2001:db8:0:10::/96"
    assert (v4.available_ips, v4.acquired_ips, v4.available_smallest_prefixes) == (1024, 2, 256)
    usage = v6.usage()
    assert (usage.available_ips, usage.acquired_ips, usage.available_smallest_prefixes) == (2147483647, 1, 1073741824)


def test_child_length_rules(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/16")
    for bad in (16, 8, 33):
        with pytest.raises(InvalidInputError, match=f"given length:{bad}"):
            ipam.acquire_child_prefix("10.0.0.0/16", bad)
    with pytest.raises(NotFoundError):
        ipam.acquire_child_prefix("10.9.0.0/16", 24)
    assert ipam.acquire_child_prefix("10.0.0.0/16", 32).cidr == "10.0.0.0/32"


def test_exhausting_children(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/24")
    assert [ipam.acquire_child_prefix("10.0.0.0/24", 25).cidr for _ in range(2)] == ["10.0.0.0/25", "10.0.0.128/25"]
    with pytest.raises(NoPrefixAvailableError, match=r"no prefix found in 10\.0\.0\.0/24 with length:26$"):
        ipam.acquire_child_prefix("10.0.0.0/24", 26)


def test_specific_child(ipam: Ipamer) -> None:
    ipam.new_prefix("2001:db8:85a3::/112")
    child = ipam.acquire_specific_child_prefix("2001:db8:85a3::/112", "2001:0db8:85a3::0800/117")
    assert child.cidr == "2001:db8:85a3::800/117"
    with pytest.raises(AlreadyAllocatedError, match="not available"):
        ipam.acquire_specific_child_prefix("2001:db8:85a3::/112", "2001:db8:85a3::800/118")
    with pytest.raises(InvalidInputError):
        ipam.acquire_specific_child_prefix("2001:db8:85a3::/112", "2001:db8:85a4::/120")
    assert ipam.acquire_child_prefix("2001:db8:85a3::/112", 117).cidr == "2001:db8:85a3::/117"
    ipam.release_child_prefix(child)
    assert ipam.prefix_usage("2001:db8:85a3::/112").available_prefixes == [
        "2001:db8:85a3::800/117", "2001:db8:85a3::1000/116", "2001:db8:85a3::2000/115",
        "2001:db8:85a3::4000/114", "2001:db8:85a3::8000/113",
    ]


def test_specific_child_with_host_bits_is_canonicalised(ipam: Ipamer) -> None:
    ipam.new_prefix("192.168.0.0/16")
    child = ipam.acquire_specific_child_prefix("192.168.0.0/16", "192.168.0.1/21")
    assert child.cidr == "192.168.0.0/21"
    ipam.release_child_prefix("192.168.0.1/21")
    assert ipam.prefix_usage("192.168.0.0/16").available_prefixes == ["192.168.0.0/16"]


def test_release_child_rules(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/16")
    with pytest.raises(NotFoundError):  # a top-level prefix is no child
        ipam.release_child_prefix("10.0.0.0/16")
    child = ipam.acquire_child_prefix("10.0.0.0/16", 24)
    ip = ipam.acquire_ip(child.cidr)
    with pytest.raises(ConflictError, match="has ips"):
        ipam.release_child_prefix(child)
    ipam.release_ip(ip)
    released = ipam.release_child_prefix(child)
    assert released.cidr == "10.0.0.0/24"
    with pytest.raises(NotFoundError):
        ipam.prefix_from("10.0.0.0/24")
    usage = ipam.prefix_usage("10.0.0.0/16")
    assert (usage.acquired_prefixes, usage.available_prefixes) == (0, ["10.0.0.0/16"])


def test_ipv6_child_with_one_ip_cannot_be_released(ipam: Ipamer) -> None:
    ipam.new_prefix("2001:db8::/48")
    child = ipam.acquire_child_prefix("2001:db8::/48", 64)
    ipam.acquire_ip(child.cidr)
    with pytest.raises(ConflictError):
        ipam.release_child_prefix(child)
    assert ipam.prefix_usage("2001:db8::/48").acquired_prefixes == 1


def test_grandchildren(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/8")
    child = ipam.acquire_child_prefix("10.0.0.0/8", 16)
    grandchild = ipam.acquire_child_prefix(child.cidr, 24)
    assert grandchild.parent_cidr == child.cidr
    with pytest.raises(ConflictError):
        ipam.release_child_prefix(child)
    ipam.release_child_prefix(grandchild)
    ipam.release_child_prefix(child)
    assert ipam.prefix_usage("10.0.0.0/8").available_prefixes == ["10.0.0.0/8"]
