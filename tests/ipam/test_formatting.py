"""Address text: IPv6 prints as ipaddress prints it (RFC 5952), IPv4-mapped addresses dotted."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from metalnet.ipam.addresses import format_address

# hextets drawn mostly from 0 and 1 so that zero runs of every length and place (and ties) occur
hextet = st.one_of(st.just(0), st.just(0), st.just(1), st.integers(0, 0xFFFF))
ipv6 = st.lists(hextet, min_size=8, max_size=8).map(lambda words: int("".join(f"{w:04x}" for w in words), 16))


@given(ipv6)
def test_ipv6_text_is_what_ipaddress_prints(value: int) -> None:
    expected = ipaddress.IPv6Address(value).compressed
    if value >> 32 == 0xFFFF:  # IPv4-mapped: dotted, as go-ipam prints them
        expected = "::ffff:" + str(ipaddress.IPv4Address(value & 0xFFFFFFFF))
    assert format_address(6, value) == expected


@given(st.integers(0, 2**32 - 1))
def test_ipv4_text_and_the_ipv4_compatible_range(value: int) -> None:
    assert format_address(4, value) == str(ipaddress.IPv4Address(value))
    assert format_address(6, value) == ipaddress.IPv6Address(value).compressed
