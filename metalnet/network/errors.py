"""Errors of the network layer: one class, a ``kind`` the API maps to a status code.

::

    NetworkError(kind, message)
        kind INVALID    -> 400  bad input, or a rule metal-api answers with "bad request"
        kind NOT_FOUND  -> 404  unknown network, IP, partition or project
        kind CONFLICT   -> 409  id exists, specific IP taken, VRF taken
        kind REFUSED    -> 422  overlap, children or IPs present, exhausted, IPAM refusals
        kind STALE      -> 409  an update based on an older version of the record (optimistic locking)
        kind FORBIDDEN  -> 403  outside what the caller restricted the operation to (e.g. network types)

IPAM core errors (:mod:`metalnet.ipam.errors`) become a :class:`NetworkError` in :func:`from_ipam` only.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager

from metalnet.ipam.errors import AlreadyAllocatedError, IpamError, NotFoundError


class ErrorKind(enum.Enum):
    """What went wrong, independent of the protocol that reports it."""

    INVALID = "invalid"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    REFUSED = "refused"
    STALE = "stale"
    FORBIDDEN = "forbidden"

    @property
    def status(self) -> int:
        """The HTTP status metal-api answers with for this kind."""
        return _STATUS[self]


_STATUS = {
    ErrorKind.INVALID: 400,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.REFUSED: 422,
    ErrorKind.STALE: 409,
    ErrorKind.FORBIDDEN: 403,
}


class NetworkError(Exception):
    """A refused network-layer operation; ``message`` names the offending value."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message

    @property
    def status(self) -> int:
        return self.kind.status

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


def stale(message: str) -> NetworkError:
    return NetworkError(ErrorKind.STALE, message)


def from_ipam(exc: IpamError, context: str = "") -> NetworkError:
    """The network-layer error for an IPAM core error; ``context`` prefixes the core's message."""
    message = f"{context}: {exc}" if context else str(exc)
    if isinstance(exc, AlreadyAllocatedError):
        return NetworkError(ErrorKind.CONFLICT, message)
    if isinstance(exc, NotFoundError):
        return NetworkError(ErrorKind.NOT_FOUND, message)
    # metal-api answers every other go-ipam refusal (invalid argument, has children, exhausted) with 422
    return NetworkError(ErrorKind.REFUSED, message)


@contextmanager
def ipam_errors(context: str = "") -> Iterator[None]:
    """Translate IPAM core errors raised inside the block (see :func:`from_ipam`)."""
    try:
        yield
    except IpamError as exc:
        raise from_ipam(exc, context) from exc
