"""The dump format of a namespace, and reading go-ipam's.

metalnet writes::

    {"format": "metalnet-ipam", "version": 2, "namespace": "root",
     "prefixes": [{"cidr": "10.0.0.0/16", "parent_cidr": "", "ips": ["10.0.0.0", "10.0.255.255"],
                   "reserved": [{"first": "10.0.0.1", "last": "10.0.0.9", "description": "gateways"}]}, ...]}

``ips`` lists every acquired address (network and broadcast included, and addresses acquired inside reserved
ranges); ``reserved`` the prefix's reserved ranges. A dump without any reserved range is written as version 1
(without ``reserved``), which older readers know. Children follow their parents. ``load`` also reads
go-ipam's dump (a JSON array of ``{"Cidr", "ParentCidr", "IPs": {address: true}}`` or ``null``).
"""

from __future__ import annotations

from typing import Any

import msgspec

from metalnet.ipam.addresses import format_address, parse_address, parse_cidr
from metalnet.ipam.errors import ConflictError, InvalidInputError
from metalnet.ipam.session import IpamSession

FORMAT = "metalnet-ipam"
#: the newest version written (2: reserved ranges); a dump without reserved ranges is written as version 1
VERSION = 2


class DumpedRange(msgspec.Struct, forbid_unknown_fields=True):
    first: str
    last: str
    description: str = ""


class DumpedPrefix(msgspec.Struct, forbid_unknown_fields=True):
    cidr: str
    parent_cidr: str = ""
    ips: list[str] = []
    reserved: list[DumpedRange] = []


class _DumpedPrefixV1(msgspec.Struct):
    """A prefix as version 1 writes it (no ``reserved`` field, which version 1 readers refuse)."""

    cidr: str
    parent_cidr: str
    ips: list[str]


class _DumpV1(msgspec.Struct):
    format: str
    version: int
    namespace: str
    prefixes: list[_DumpedPrefixV1]


class Dump(msgspec.Struct, forbid_unknown_fields=True):
    format: str
    version: int
    namespace: str
    prefixes: list[DumpedPrefix]


class _GoIpamPrefix(msgspec.Struct, rename="pascal"):
    cidr: str
    parent_cidr: str = ""
    ips: dict[str, bool] | None = msgspec.field(default=None, name="IPs")


def dump_namespace(session: IpamSession) -> str:
    prefixes = []
    for prefix in sorted(session.prefixes(), key=lambda p: (p.parent_cidr != "", parse_cidr(p.cidr))):
        version = parse_cidr(prefix.cidr).version
        ips = [
            format_address(version, address)
            for first, last in session.acquired_ip_ranges(prefix.cidr)
            for address in range(first, last + 1)
        ]
        reserved = [DumpedRange(r.first, r.last, r.description) for r in session.reserved_ranges(prefix.cidr)]
        prefixes.append(DumpedPrefix(prefix.cidr, prefix.parent_cidr, ips, reserved))
    if any(prefix.reserved for prefix in prefixes):
        return msgspec.json.encode(Dump(FORMAT, VERSION, session.namespace, prefixes)).decode()
    plain = [_DumpedPrefixV1(prefix.cidr, prefix.parent_cidr, prefix.ips) for prefix in prefixes]
    return msgspec.json.encode(_DumpV1(FORMAT, 1, session.namespace, plain)).decode()


def _decode(text: str) -> list[DumpedPrefix]:
    if not isinstance(text, str | bytes):
        raise InvalidInputError(f"invalid dump {text!r}: expected JSON text")
    try:
        raw: Any = msgspec.json.decode(text)
        if raw is None:
            return []
        if isinstance(raw, list):
            legacy = msgspec.convert(raw, list[_GoIpamPrefix])
            return [DumpedPrefix(p.cidr, p.parent_cidr, sorted(p.ips or {})) for p in legacy]
        dump = msgspec.convert(raw, Dump)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InvalidInputError(f"invalid dump: {exc}") from None
    if dump.format != FORMAT or dump.version > VERSION:
        raise InvalidInputError(f"invalid dump: format {dump.format!r} version {dump.version} is not known")
    return dump.prefixes


def load_namespace(session: IpamSession, text: str) -> None:
    """Recreate every prefix of a dump in an empty namespace (inside the session's transaction)."""
    prefixes = _decode(text)
    if session.read_all_prefix_cidrs():
        raise ConflictError(
            f"prefixes exist in namespace {session.namespace}, please drop existing data before loading"
        )
    # parents before children: shorter prefixes first
    ordered = sorted(prefixes, key=lambda p: parse_cidr(p.cidr).length)
    for prefix in ordered:
        if prefix.parent_cidr:
            session.acquire_specific_child_prefix(prefix.parent_cidr, prefix.cidr)
        else:
            session.new_prefix(prefix.cidr)
    for prefix in ordered:
        cidr = parse_cidr(prefix.cidr)
        addresses = []
        for ip in prefix.ips:
            version, address = parse_address(ip)
            if version != cidr.version:
                raise InvalidInputError(f"ip {ip} is not in {cidr}")
            addresses.append(address)
        session.set_acquired_ips(prefix.cidr, addresses)
        for reserved in prefix.reserved:
            # addresses acquired inside a reserved range were acquired with ``reserved``: they stay acquired
            session.reserve_range(prefix.cidr, reserved.first, reserved.last, reserved.description,
                                  keep_acquired=True)
