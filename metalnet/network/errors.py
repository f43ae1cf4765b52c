"""Errors of the network layer: one class, a ``kind`` saying what went wrong, whatever protocol reports it.

::

    NetworkError(kind, message)
        kind INVALID    bad input, or a rule metal-api answers with "bad request"
        kind NOT_FOUND  unknown network, IP, partition or project
        kind CONFLICT   id exists, specific IP taken, VRF taken
        kind REFUSED    overlap, children or IPs present, exhausted, IPAM refusals
        kind STALE      an update based on an older version of the record (optimistic locking)
        kind RESERVED   a specific address inside a reserved range, asked for without saying it is meant
        kind FORBIDDEN  the caller may not act on the resource's project, or outside what the caller
                        restricted the operation to (IPAllocate.networktypes)

Each protocol owns one table from kind to its status or code (``/v1``: :mod:`metalnet.api.v1_errors`); no
status lives here. IPAM core errors (:mod:`metalnet.ipam.errors`) become a :class:`NetworkError` in
:func:`from_ipam` and :func:`from_core` only.
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


class NetworkError(Exception):
    """A refused network-layer operation; ``message`` names the offending value."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message

    def __repr__(self) -> str:
        return f"NetworkError({self.kind.name}, {self.message!r})"


def invalid(message: str) -> NetworkError:
    return NetworkError(ErrorKind.INVALID, message)


def not_found(message: str) -> NetworkError:
    return NetworkError(ErrorKind.NOT_FOUND, f"NotFound {message}")


def conflict(message: str) -> NetworkError:
    return NetworkError(ErrorKind.CONFLICT, f"Conflict {message}")


def refused(message: str) -> NetworkError:
    return NetworkError(ErrorKind.REFUSED, message)


def forbidden(message: str) -> NetworkError:
    return NetworkError(ErrorKind.FORBIDDEN, message)


def reserved(message: str) -> NetworkError:
    return NetworkError(ErrorKind.RESERVED, message)


def stale(message: str) -> NetworkError:
    return NetworkError(ErrorKind.STALE, message)


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
