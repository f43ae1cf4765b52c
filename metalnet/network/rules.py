"""Pure validation rules of metal-api's network create and update (no storage access)."""

from __future__ import annotations

from metalnet.ipam.addresses import parse_length
from metalnet.ipam.errors import InvalidInputError
from metalnet.network.addresses import canonical_cidr, cidr_family, families, parse_family, prefix_length
from metalnet.network.errors import ErrorKind, NetworkError, Reason, invalid
from metalnet.network.model import Family, Network

#: metal-api decodes child prefix lengths as uint8
MAX_LENGTH = 255


def canonical_cidrs(cidrs: list[str], what: str = "cidr") -> list[str]:
    """Canonical forms of ``cidrs``, in order; invalid, naming the first unparsable one."""
    result = []
    for text in cidrs:
        try:
            result.append(canonical_cidr(text))
        except InvalidInputError as exc:
            raise invalid(f"given {what} {text} is not a valid ip with mask: {exc}") from None
    return result


def distinct_prefixes(cidrs: list[str]) -> list[str]:
    """Canonical ``cidrs`` (invalid, naming an unparsable one or a prefix given twice).

    A repeated prefix would be stored twice in the record, counted twice in consumption and released twice
    on free (the second release fails, so the network could never be freed again).
    """
    result = canonical_cidrs(cidrs)
    seen: set[str] = set()
    for cidr in result:
        if cidr in seen:
            raise invalid(f"prefix {cidr} is given more than once in {cidrs}")
        seen.add(cidr)
    return result


def family_lengths(lengths: dict[str, int], what: str) -> dict[str, int]:
    """``lengths`` with its keys normalised to ``IPv4``/``IPv6``; invalid for a bad key or value."""
    result: dict[str, int] = {}
    for key, length in lengths.items():
        parsed = parse_family(key)
        if parsed is None:
            raise invalid(f'addressfamily of {what} is invalid given addressfamily:"{key}" is invalid')
        try:
            result[parsed] = parse_length(length, "length", MAX_LENGTH)
        except InvalidInputError as exc:
            raise invalid(f"{what} for {parsed}: {exc}") from None
    return result


def check_prefixes_and_families(
    prefixes: list[str],
    destination_families: list[Family],
    lengths: dict[str, int] | None,
    privatesuper: bool,
) -> None:
    """metal-api's ``validatePrefixesAndAddressFamilies`` (every failure is invalid input)."""
    present = families(prefixes)
    for family in destination_families:
        if family not in present:
            raise invalid(f"addressfamily:{family} of destination prefixes is not present in existing prefixes")
    if not privatesuper:
        return
    if not lengths:
        raise invalid("private super network must always contain a defaultchildprefixlength")
    for key, length in lengths.items():
        for cidr in prefixes:
            if cidr_family(cidr) == key and length <= prefix_length(cidr):
                raise invalid(f"given defaultchildprefixlength {length} is not greater than prefix length of:{cidr}",
                              Reason.LENGTH_NOT_LONGER, length=length, prefix=cidr)
    for family in present:
        if family not in lengths:
            raise invalid(
                f"private super network must always contain a defaultchildprefixlength per addressfamily:{family}",
                Reason.DEFAULT_LENGTH_MISSING, family=family,
            )


def check_announcable(cidrs: list[str], privatesuper: bool, kind: ErrorKind = ErrorKind.INVALID) -> list[str]:
    """Canonical additionalAnnouncableCIDRs; only a private super network may carry some.

    metal-api answers these checks as bad input on create and as refused on update, hence ``kind``.
    """
    if cidrs and not privatesuper:
        raise NetworkError(kind, "additionalannouncablecidrs can only be set in a private super network")
    result = []
    for text in cidrs:
        try:
            result.append(canonical_cidr(text))
        except InvalidInputError as exc:
            raise NetworkError(
                kind, f'given cidr:"{text}" in additionalannouncablecidrs is malformed:{exc}'
            ) from None
    return result


def check_minimum(parent: Network, lengths: dict[str, int]) -> None:
    """Refuse a child length shorter (a bigger block) than the parent's minimum for its family."""
    minimum = parent.minchildprefixlength or {}
    short = {family: length for family, length in lengths.items() if length < minimum.get(family, 0)}
    if short:
        raise invalid(
            f"requested prefix length {_go_map(short)} is smaller than allowed "
            f"(super network defines a minimum of {_go_map(minimum)})"
        )


def _go_map(lengths: dict[str, int]) -> str:
    # metal-stack prints Go maps: map[IPv4:20 IPv6:104]
    return "map[" + " ".join(f"{family}:{length}" for family, length in sorted(lengths.items())) + "]"
