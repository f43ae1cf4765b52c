"""Errors of the network layer: one class, a ``kind`` saying what went wrong, whatever protocol reports it.

::

    NetworkError(kind, message, reason, **details)
        kind INVALID    bad input, or a rule metal-api answers with "bad request"
        kind NOT_FOUND  unknown network, IP, partition or project
        kind CONFLICT   id exists, specific IP taken, VRF taken
        kind REFUSED    overlap, children or IPs present, exhausted, IPAM refusals
        kind STALE      an update based on an older version of the record (optimistic locking)
        kind RESERVED   a specific address inside a reserved range, asked for without saying it is meant
        kind FORBIDDEN  the caller may not act on the resource's project, or outside what the caller
                        restricted the operation to (IPAllocate.networktypes)

Each protocol owns one table from kind to its status or code (``/v1``: :mod:`metalnet.api.v1_errors`); no
status lives here. ``message`` is v1's wording (metal-api's). Where another protocol words a rule differently
(metal-stack v2: :mod:`metalnet.api.v2.codes`), the error also names the rule (``reason``, a :class:`Reason`)
and carries the values the message names (``details``: the prefix, the other prefix, the address, ...), so the
protocol renders its own text from them; the rule itself is written once, here in the network layer. IPAM
core errors (:mod:`metalnet.ipam.errors`) become a :class:`NetworkError` in :func:`from_ipam` and
:func:`from_core` only.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager

from metalnet.ipam.errors import (
    AlreadyAllocatedError,
    InvalidInputError,
    IpamError,
    NotFoundError,
    ReservedAddressError,
)


class ErrorKind(enum.Enum):
    """What went wrong, independent of the protocol that reports it."""

    INVALID = "invalid"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    REFUSED = "refused"
    STALE = "stale"
    FORBIDDEN = "forbidden"
    RESERVED = "reserved"


class Reason(enum.Enum):
    """Which rule refused, for protocols that word (or code) it their own way; the details each one carries."""

    #: a new prefix overlaps a stored one: ``prefix``, ``existing``
    OVERLAP = "overlap"
    #: the id of a new record is taken: ``kind`` (network, partition, project), ``id``
    EXISTS = "exists"
    #: a caller bound to a project asked for another project's record: ``kind`` (network, ip), ``id``
    OTHER_PROJECT = "other_project"
    #: an IP asked of a network of another project that is not shared: ``network``
    NETWORK_OF_OTHER_PROJECT = "network_of_other_project"
    #: the network's type is not one the caller may take addresses from: ``type``, ``shared`` (whether the
    #: network serves every project: it has none)
    NETWORK_TYPE = "network_type"
    #: a network names a project or partition that does not exist: ``kind`` (project, partition), ``id``
    MISSING_REFERENCE = "missing_reference"
    #: a private super network lacks a default child length for a family of its prefixes: ``family``
    DEFAULT_LENGTH_MISSING = "default_length_missing"
    #: a default child length is not longer than a prefix of its family: ``length``, ``prefix``
    LENGTH_NOT_LONGER = "length_not_longer"
    #: the partition has a private super network already: ``partition``
    SUPER_IN_PARTITION = "super_in_partition"
    #: a network with child networks cannot be deleted: ``id``
    HAS_CHILDREN = "has_children"
    #: a prefix being deleted or removed still holds IPs: ``prefix``, ``count``, ``ip`` (one of them)
    IPS_IN_PREFIX = "ips_in_prefix"
    #: a specific address has an IP record already: ``ip``
    IP_TAKEN = "ip_taken"
    #: a specific address the IPAM holds without a record (a network or broadcast address): ``ip``
    IP_HELD = "ip_held"
    #: a specific address in none of the network's prefixes: ``ip``, ``network``
    IP_OUTSIDE = "ip_outside"
    #: the network has no prefix of the asked family: ``family``, ``network``, ``present`` (its families)
    FAMILY_ABSENT = "family_absent"
    #: a specific address together with an address family: no details
    SPECIFIC_AND_FAMILY = "specific_and_family"
    #: an IP bound to a machine cannot be freed: ``ip``
    MACHINE_IP = "machine_ip"
    #: a static IP cannot become ephemeral: ``ip``
    STATIC_TO_EPHEMERAL = "static_to_ephemeral"
    #: a partition still holds networks: ``id``, ``network``
    PARTITION_IN_USE = "partition_in_use"
    #: a VRF id is taken by another network: ``vrf``
    VRF_TAKEN = "vrf_taken"
    #: default child lengths are for super networks only: no details
    LENGTHS_ON_NON_SUPER = "lengths_on_non_super"
    #: no free address left in the network: ``network``, ``family``
    NO_FREE_IP = "no_free_ip"
    #: the address is held in several project namespaces and the caller named none: ``ip``, ``namespaces``
    AMBIGUOUS_IP = "ambiguous_ip"


class NetworkError(Exception):
    """A refused network-layer operation; ``message`` names the offending value.

    ``reason`` and ``details``: the rule that refused and the values it names (see :class:`Reason`), for
    protocols that word the refusal themselves.
    """

    def __init__(self, kind: ErrorKind, message: str, reason: Reason | None = None, /, **details: object) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.reason = reason
        self.details = details

    def __repr__(self) -> str:
        reason = f", {self.reason.name}" if self.reason is not None else ""
        return f"NetworkError({self.kind.name}, {self.message!r}{reason})"


def invalid(message: str, reason: Reason | None = None, /, **details: object) -> NetworkError:
    return NetworkError(ErrorKind.INVALID, message, reason, **details)


def not_found(message: str, reason: Reason | None = None, /, **details: object) -> NetworkError:
    return NetworkError(ErrorKind.NOT_FOUND, f"NotFound {message}", reason, **details)


def conflict(message: str, reason: Reason | None = None, /, **details: object) -> NetworkError:
    return NetworkError(ErrorKind.CONFLICT, f"Conflict {message}", reason, **details)


def refused(message: str, reason: Reason | None = None, /, **details: object) -> NetworkError:
    return NetworkError(ErrorKind.REFUSED, message, reason, **details)


def forbidden(message: str, reason: Reason | None = None, /, **details: object) -> NetworkError:
    return NetworkError(ErrorKind.FORBIDDEN, message, reason, **details)


def reserved(message: str, reason: Reason | None = None, /, **details: object) -> NetworkError:
    return NetworkError(ErrorKind.RESERVED, message, reason, **details)


def stale(message: str, reason: Reason | None = None, /, **details: object) -> NetworkError:
    return NetworkError(ErrorKind.STALE, message, reason, **details)


def from_ipam(exc: IpamError, context: str = "") -> NetworkError:
    """The network-layer error for an IPAM core error; ``context`` prefixes the core's message."""
    message = f"{context}: {exc}" if context else str(exc)
    if isinstance(exc, AlreadyAllocatedError):
        return NetworkError(ErrorKind.CONFLICT, message)
    if isinstance(exc, NotFoundError):
        return NetworkError(ErrorKind.NOT_FOUND, message)
    if isinstance(exc, ReservedAddressError):
        return NetworkError(ErrorKind.RESERVED, message)
    # metal-api answers every other go-ipam refusal (invalid argument, has children, exhausted) alike: refused
    return NetworkError(ErrorKind.REFUSED, message)


def from_core(exc: IpamError) -> NetworkError:
    """An IPAM core error no operation translated itself (the safety net of every operation).

    Like :func:`from_ipam`, except that unparsable input stays what it is (invalid), as it was the caller's.
    """
    if isinstance(exc, InvalidInputError):
        return NetworkError(ErrorKind.INVALID, str(exc))
    return from_ipam(exc)


@contextmanager
def ipam_errors(context: str = "") -> Iterator[None]:
    """Translate IPAM core errors raised inside the block (see :func:`from_ipam`)."""
    try:
        yield
    except IpamError as exc:
        raise from_ipam(exc, context) from exc
