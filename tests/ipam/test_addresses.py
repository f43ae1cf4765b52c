"""Acquire and release of addresses."""

from __future__ import annotations

import pytest

from metalnet.ipam import (
    AlreadyAllocatedError,
    ConflictError,
    InvalidInputError,
    Ipamer,
    NoIPAvailableError,
    NotFoundError,
)


def test_seed_example_first_ip(ipam: Ipamer) -> None:
    prefix = ipam.new_prefix("192.168.0.0/24")
    ip = ipam.acquire_ip(prefix.cidr)
    assert str(ip) == "192.168.0.1"
    assert str(ip.ip) == "192.168.0.1"
    assert ip.parent_prefix == "192.168.0.0/24"
    assert str(ipam.acquire_ip(prefix.cidr)) == "192.168.0.2"


def test_lowest_free_address_reuses_holes(ipam: Ipamer) -> None:
    ipam.new_prefix("1.2.3.0/27")
    taken = [*range(1, 20), 21, 22, 23, 26]
    for last in taken:
        ipam.acquire_specific_ip("1.2.3.0/27", f"1.2.3.{last}")
    assert str(ipam.acquire_ip("1.2.3.0/27")) == "1.2.3.20"
    ipam.release_ip_from_prefix("1.2.3.0/27", "1.2.3.5")
    assert str(ipam.acquire_ip("1.2.3.0/27")) == "1.2.3.5"
    assert str(ipam.acquire_ip("1.2.3.0/27")) == "1.2.3.24"


def test_exhaustion_and_tiny_prefixes(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/30")
    assert [str(ipam.acquire_ip("10.0.0.0/30")) for _ in range(2)] == ["10.0.0.1", "10.0.0.2"]
    with pytest.raises(NoIPAvailableError, match=r"10\.0\.0\.0/30"):
        ipam.acquire_ip("10.0.0.0/30")
    for tiny in ("192.168.4.0/32", "192.168.5.0/31", "2001:db8::/128"):
        ipam.new_prefix(tiny)
        with pytest.raises(NoIPAvailableError):
            ipam.acquire_ip(tiny)
    ipam.new_prefix("2001:db8:1::/127")
    assert str(ipam.acquire_ip("2001:db8:1::/127")) == "2001:db8:1::1"


def test_specific_ip(ipam: Ipamer) -> None:
    ipam.new_prefix("2001:db8:85a3::/120")
    ip = ipam.acquire_specific_ip("2001:db8:85a3::/120", "2001:0db8:85a3::7")
    assert str(ip) == "2001:db8:85a3::7"
    with pytest.raises(AlreadyAllocatedError, match=r"2001:db8:85a3::7"):
        ipam.acquire_specific_ip("2001:db8:85a3::/120", "2001:db8:85a3::7")
    with pytest.raises(AlreadyAllocatedError):  # the reserved first address
        ipam.acquire_specific_ip("2001:db8:85a3::/120", "2001:db8:85a3::")
    with pytest.raises(InvalidInputError, match=r"given ip:2001:0db8:85a4::1 is not in 2001:db8:85a3::/120"):
        ipam.acquire_specific_ip("2001:db8:85a3::/120", "2001:0db8:85a4::1")
    with pytest.raises(InvalidInputError, match="nope"):
        ipam.acquire_specific_ip("2001:db8:85a3::/120", "nope")
    with pytest.raises(NotFoundError):  # the prefix is looked up before the address is parsed
        ipam.acquire_specific_ip("2001:db8:ffff::/120", "nope")
    assert str(ipam.acquire_specific_ip("2001:db8:85a3::/120", "")) == "2001:db8:85a3::1"
    assert str(ipam.acquire_ip("2001:db8:85a3::/120")) == "2001:db8:85a3::2"


def test_broadcast_is_reserved(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/24")
    with pytest.raises(AlreadyAllocatedError):
        ipam.acquire_specific_ip("10.0.0.0/24", "10.0.0.255")
    assert str(ipam.acquire_specific_ip("10.0.0.0/24", "10.0.0.254")) == "10.0.0.254"


def test_release(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/24")
    ips = [ipam.acquire_ip("10.0.0.0/24") for _ in range(5)]
    assert ipam.prefix_usage("10.0.0.0/24").acquired_ips == 7
    for ip in ips[1::2]:
        ipam.release_ip(ip)
    ipam.release_ip_from_prefix("10.0.0.0/24", "10.0.0.3")
    with pytest.raises(NotFoundError, match=r"10\.0\.0\.3"):
        ipam.release_ip_from_prefix("10.0.0.0/24", "10.0.0.3")
    with pytest.raises(NotFoundError):  # outside the prefix
        ipam.release_ip_from_prefix("10.0.0.0/24", "10.0.1.1")
    with pytest.raises(NotFoundError):  # other family
        ipam.release_ip_from_prefix("10.0.0.0/24", "2001:db8::1")
    with pytest.raises(InvalidInputError):
        ipam.release_ip_from_prefix("10.0.0.0/24", "bogus")
    assert ipam.prefix_usage("10.0.0.0/24").acquired_ips == 4
    assert [str(ipam.acquire_ip("10.0.0.0/24")) for _ in range(4)] == ["10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.6"]


def test_release_reserved_address_makes_it_available(ipam: Ipamer) -> None:
    ipam.new_prefix("10.0.0.0/30")
    ipam.release_ip_from_prefix("10.0.0.0/30", "10.0.0.0")
    assert str(ipam.acquire_ip("10.0.0.0/30")) == "10.0.0.0"


def test_parent_hands_out_no_ips_until_its_last_child_is_released(ipam: Ipamer) -> None:
    ipam.new_prefix("10.76.0.0/14")
    child = ipam.acquire_child_prefix("10.76.0.0/14", 16)
    with pytest.raises(ConflictError, match="has childprefixes"):
        ipam.acquire_ip("10.76.0.0/14")
    with pytest.raises(ConflictError, match="has childprefixes"):
        ipam.acquire_specific_ip("10.76.0.0/14", "10.77.0.1")
    ipam.release_child_prefix(child)
    assert str(ipam.acquire_ip("10.76.0.0/14")) == "10.76.0.1"
    with pytest.raises(ConflictError, match="has ips"):
        ipam.acquire_child_prefix("10.76.0.0/14", 16)


def test_ipv4_mapped_addresses_are_refused_naming_the_ipv4_form(ipam: Ipamer) -> None:
    with pytest.raises(InvalidInputError, match=r"IPv4-mapped.*use 10\.0\.0\.0/24"):
        ipam.new_prefix("::ffff:10.0.0.0/120")
    ipam.new_prefix("2001:db8::/120")
    with pytest.raises(InvalidInputError, match=r"IPv4-mapped.*use 10\.0\.0\.1"):
        ipam.acquire_specific_ip("2001:db8::/120", "::ffff:10.0.0.1")
    assert ipam.list_prefixes() == [ipam.prefix_from("2001:db8::/120")]
