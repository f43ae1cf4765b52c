"""The one address parser accepts exactly the canonical decimal forms, names what it refuses, and round-trips.

The model is written from the grammar (RFC 791 dotted quads, decimal prefix lengths without leading zeros)
and never calls the parser or :mod:`ipaddress`.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from metalnet.ipam.addresses import format_address, parse_address, parse_cidr, parse_length
from metalnet.ipam.errors import InvalidInputError

DECIMAL = re.compile(r"0|[1-9][0-9]*", re.ASCII)

# mostly well-formed pieces, with the mistakes the parser must catch: leading zeros, non-ASCII digits, signs
octet_text = st.one_of(
    st.integers(0, 255).map(str),
    st.integers(0, 300).map(lambda n: f"0{n}"),
    st.sampled_from(["٢", "٢٤", "１", "+1", "-0", "", " 1", "1 ", "0x1", "1_0", "256", "00"]),
)
length_text = st.one_of(
    st.integers(0, 40).map(str),
    st.integers(0, 40).map(lambda n: f"0{n}"),
    st.sampled_from(["٢٤", "２４", "+8", "", "8 ", "1e1", "0000000024", "255.0.0.0"]),
)


def model_octets(parts: list[str]) -> int | None:
    """The IPv4 address of canonical dotted text, else ``None``."""
    if len(parts) != 4 or not all(DECIMAL.fullmatch(p) and int(p) <= 255 for p in parts):
        return None
    return sum(int(p) << (24 - 8 * i) for i, p in enumerate(parts))


def model_cidr(text: str) -> tuple[int, int] | None:
    """(first address, length) of a canonical IPv4 CIDR text, host bits masked; else ``None``."""
    address, slash, length = text.partition("/")
    value = model_octets(address.split("."))
    if not slash or value is None or not DECIMAL.fullmatch(length) or int(length) > 32:
        return None
    host_bits = 32 - int(length)
    return value >> host_bits << host_bits, int(length)


@given(st.lists(octet_text, min_size=3, max_size=5), length_text)
@example(["10", "0", "0", "0"], "08")
@example(["010", "0", "0", "0"], "8")
@example(["10", "0", "0", "0"], "٢٤")
@example(["10", "0", "0", "0"], "0")
def test_ipv4_cidrs_accepted_exactly_in_canonical_form(octets: list[str], length: str) -> None:
    text = ".".join(octets) + "/" + length
    expected = model_cidr(text)
    if expected is None:
        with pytest.raises(InvalidInputError) as caught:
            parse_cidr(text)
        assert repr(text) in str(caught.value)
        return
    cidr = parse_cidr(text)
    assert (cidr.version, cidr.first, cidr.length) == (4, *expected)
    assert parse_cidr(str(cidr)) == cidr  # round trip
    if cidr.first == model_octets(text.split("/")[0].split(".")):
        assert str(cidr) == text  # canonical input comes back unchanged


@given(st.lists(octet_text, min_size=3, max_size=5))
def test_ipv4_addresses_accepted_exactly_in_canonical_form(octets: list[str]) -> None:
    text = ".".join(octets)
    expected = model_octets(octets)
    if expected is None:
        with pytest.raises(InvalidInputError, match=re.escape(repr(text))):
            parse_address(text)
        return
    assert parse_address(text) == (4, expected)
    assert format_address(4, expected) == text


ipv6_values = st.integers(0, 2**128 - 1).filter(lambda v: v >> 32 != 0xFFFF)


@given(ipv6_values, st.integers(0, 128))
def test_ipv6_round_trips(value: int, length: int) -> None:
    first = value >> (128 - length) << (128 - length)
    text = f"{format_address(6, first)}/{length}"
    assert parse_cidr(text).key() == (6, first, length)
    assert str(parse_cidr(text)) == text
    assert parse_address(format_address(6, value)) == (6, value)


@given(ipv6_values, st.integers(0, 128), length_text)
def test_ipv6_lengths_are_canonical_decimal(value: int, length: int, written: str) -> None:
    text = f"{format_address(6, value)}/{written}"
    if DECIMAL.fullmatch(written) and int(written) <= 128:
        assert parse_cidr(text).length == int(written)
    else:
        with pytest.raises(InvalidInputError, match=re.escape(repr(text))):
            parse_cidr(text)


@given(st.integers(0, 2**32 - 1), st.integers(96, 128))
def test_ipv4_mapped_ipv6_is_refused_with_the_ipv4_form(ipv4: int, length: int) -> None:
    first = (0xFFFF << 32 | ipv4) >> (128 - length) << (128 - length)
    dotted = format_address(4, first & 0xFFFFFFFF)
    for text in (f"::ffff:{dotted}/{length}", f"0:0:0:0:0:ffff:{first >> 16 & 0xFFFF:x}:{first & 0xFFFF:x}/{length}"):
        with pytest.raises(InvalidInputError, match=rf"IPv4-mapped IPv6.*use {re.escape(dotted)}/{length - 96}$"):
            parse_cidr(text)
    with pytest.raises(InvalidInputError, match=rf"IPv4-mapped IPv6.*use {re.escape(format_address(4, ipv4))}$"):
        parse_address(f"::ffff:{format_address(4, ipv4)}")


@pytest.mark.parametrize(("text", "fragment"), [
    ("10.0.0.0/08", "'08' has a leading zero; write 8"),
    ("010.0.0.0/8", "Leading zeros are not permitted in '010'"),
    ("10.0.0.0/٢٤", "'٢٤' is not a decimal number of ASCII digits"),
    ("::ffff:10.0.0.0/104", "IPv4-mapped IPv6 prefixes are refused"),
    ("2001:db8::/064", "'064' has a leading zero"),
    ("10.0.0.0/33", "33"),
])
def test_refusals_name_the_value_and_why(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_cidr(text)
    assert repr(text) in str(caught.value)
    assert fragment in str(caught.value)


@given(st.one_of(st.integers(-5, 300), length_text, st.booleans()))
@example("٢٤")
@example("024")
@example(True)
def test_lengths(value: int | str | bool) -> None:
    canonical = isinstance(value, str) and DECIMAL.fullmatch(value) is not None
    number = int(value) if canonical or (isinstance(value, int) and not isinstance(value, bool)) else None
    if number is not None and 0 <= number <= 128:
        assert parse_length(value) == number
    else:
        with pytest.raises(InvalidInputError, match=re.escape(repr(value))):
            parse_length(value)
