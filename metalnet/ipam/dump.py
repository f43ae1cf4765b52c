"""The dump format of a namespace, and reading go-ipam's.

metalnet writes::

    {"format": "metalnet-ipam", "version": 1, "namespace": "root",
     "prefixes": [{"cidr": "10.0.0.0/16", "parent_cidr": "", "ips": ["10.0.0.0", "10.0.255.255"]}, ...]}

``ips`` lists every acquired address, reserved ones included; children follow their parents. ``load``
also reads go-ipam's dump (a JSON array of ``{"Cidr", "ParentCidr", "IPs": {address: true}}`` or ``null``).
"""

from __future__ import annotations

from typing import Any

import msgspec

from metalnet.ipam.addresses import format_address, parse_address, parse_cidr
from metalnet.ipam.errors import ConflictError, InvalidInputError
from metalnet.ipam.session import IpamSession

FORMAT = "metalnet-ipam"
VERSION = 1


class DumpedPrefix(msgspec.Struct, forbid_unknown_fields=True):
    cidr: str
    parent_cidr: str = ""
    ips: list[str] = []


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
        prefixes.append(DumpedPrefix(prefix.cidr, prefix.parent_cidr, ips))
    return msgspec.json.encode(Dump(FORMAT, VERSION, session.namespace, prefixes)).decode()


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
