"""Wire messages of go-ipam's ``api.v1.IpamService`` in the protobuf JSON mapping.

Output uses lowerCamelCase names, renders ``uint64`` counters as strings and leaves out empty fields, as
protobuf JSON does. Input accepts both the lowerCamelCase and the original snake_case names (see
:func:`decode_request`) and ``null`` for any field.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec

from metalnet.api.errors import BadRequestError
from metalnet.ipam import addresses

M = TypeVar("M", bound=msgspec.Struct)
_SNAKE = re.compile(r"_([a-z0-9])")


class Message(msgspec.Struct, rename="camel", omit_defaults=True):
    """Base of every IPAM service message."""


class Empty(Message):
    pass


class PrefixRequest(Message):
    """CreatePrefix, DeletePrefix, GetPrefix, PrefixUsage, ReleaseChildPrefix."""

    cidr: str | None = None
    namespace: str | None = None


class NamespaceOnlyRequest(Message):
    """ListPrefixes and Dump."""

    namespace: str | None = None


class AcquireChildPrefixRequest(Message):
    cidr: str | None = None
    length: int | str | None = None
    child_cidr: str | None = None
    namespace: str | None = None


class AcquireIPRequest(Message):
    prefix_cidr: str | None = None
    ip: str | None = None
    namespace: str | None = None
    #: metalnet's extension: the specific ``ip`` may lie in a reserved range
    reserved: bool | None = None


class AcquireIPsRequest(Message):
    """metalnet's extension: ``count`` lowest free addresses of a prefix, all or nothing."""

    prefix_cidr: str | None = None
    count: int | None = None
    namespace: str | None = None


class ReserveRangeRequest(Message):
    """metalnet's extension: ReserveRange, UnreserveRange (``description`` unused there)."""

    prefix_cidr: str | None = None
    first: str | None = None
    last: str | None = None
    description: str | None = None
    namespace: str | None = None


class PrefixCidrRequest(Message):
    """ListReservedRanges (metalnet's extension)."""

    prefix_cidr: str | None = None
    namespace: str | None = None


class ReleaseIPRequest(Message):
    prefix_cidr: str | None = None
    ip: str | None = None
    namespace: str | None = None


class LoadRequest(Message):
    dump: str | None = None
    namespace: str | None = None


class NamespaceRequest(Message):
    """CreateNamespace and DeleteNamespace."""

    namespace: str | None = None


class PrefixMsg(Message):
    cidr: str = ""
    parent_cidr: str = ""


class PrefixResponse(Message):
    prefix: PrefixMsg | None = None


class ListPrefixesResponse(Message):
    prefixes: list[PrefixMsg] = msgspec.field(default_factory=list)


class PrefixUsageResponse(Message):
    """Counters are ``uint64`` in the proto: strings in JSON, left out when zero (see :func:`uint64`)."""

    available_ips: str | None = None
    acquired_ips: str | None = None
    available_smallest_prefixes: str | None = None
    available_prefixes: list[str] = msgspec.field(default_factory=list)
    acquired_prefixes: str | None = None
    #: metalnet's extension: reserved addresses that are not acquired
    reserved_ips: str | None = None


class IPMsg(Message):
    ip: str = ""
    parent_prefix: str = ""


class IPResponse(Message):
    ip: IPMsg | None = None


class IPsResponse(Message):
    ips: list[IPMsg] = []


class ReservedRangeMsg(Message):
    first: str = ""
    last: str = ""
    description: str = ""


class ReservedRangeResponse(Message):
    reserved_range: ReservedRangeMsg | None = None


class ListReservedRangesResponse(Message):
    reserved_ranges: list[ReservedRangeMsg] = msgspec.field(default_factory=list)


class DumpResponse(Message):
    dump: str = ""


class ListNamespacesResponse(Message):
    namespace: list[str] = msgspec.field(default_factory=list)


class VersionResponse(Message):
    version: str = ""
    revision: str = ""
    git_sha1: str = ""
    build_date: str = ""


def uint64(value: int) -> str | None:
    """A ``uint64`` in protobuf JSON: a decimal string, or nothing (``None`` is left out) when zero."""
    return str(value) if value else None


def _camel(name: str) -> str:
    return _SNAKE.sub(lambda m: m.group(1).upper(), name)


def decode_request(body: bytes, message: type[M]) -> M:
    """Decode ``body`` (an empty body is ``{}``) into ``message``, accepting snake_case names too.

    Raises:
        BadRequestError: malformed JSON, not an object, or a field of the wrong type (named in the message).
    """
    if not body.strip():
        return message()
    try:
        raw: Any = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise BadRequestError(f"malformed JSON body: {exc}") from None
    except RecursionError:  # msgspec's answer to nesting deeper than it recurses
        raise BadRequestError("malformed JSON body: nested too deeply") from None
    if not isinstance(raw, dict):
        raise BadRequestError(f"request body must be a JSON object, got {type(raw).__name__}")
    normalised = {(_camel(k) if isinstance(k, str) else k): v for k, v in raw.items()}
    try:
        return msgspec.convert(normalised, message)
    except msgspec.ValidationError as exc:
        raise BadRequestError(f"invalid request: {exc}") from None


def parse_length(value: int | str | None) -> int:
    """The ``uint32 length`` field, given as a JSON number or (protobuf JSON allows it) a decimal string.

    Parsed by the IPAM core's one length parser (canonical ASCII decimal, 0 to 128).
    """
    if value is None or value == "":
        return 0
    return addresses.parse_length(value)
