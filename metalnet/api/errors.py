"""Errors of the API and the one table that maps every error to an HTTP status.

``/v1`` answers errors as metal-api does, ``{"statuscode": <int>, "message": "<text>"}``; the IPAM service
answers them as Connect does, ``{"code": "<connect code>", "message": "<text>"}`` with the matching status.

::

    ApiError                 raised by the API layer itself
    ├── BadRequestError      400 input the wire models cannot express (bad path value, bad combination)
    ├── UnauthorizedError    401 missing or wrong credentials
    ├── ForbiddenError       403 authenticated, but the role or project does not allow it
    └── BodyTooLargeError    413 request body over the configured limit

Domain errors keep their own classes. The network layer's :class:`NetworkError` carries its status (its
``kind``: invalid 400, not found 404, conflict 409, refused 422); for the others :data:`STATUS_TABLE` and
:data:`CONNECT_TABLE` translate them, the first matching row (most specific class first) wins.
"""

from __future__ import annotations

from metalnet.ipam import errors as ipam
from metalnet.ipam.errors import ProtectedNamespaceError
from metalnet.network.errors import NetworkError
from metalnet.storage.base import StorageBusyError, StorageError, StorageUnavailableError


class ApiError(Exception):
    """An error raised by the API layer, carrying its HTTP status."""

    status = 500


class BadRequestError(ApiError):
    status = 400


class UnauthorizedError(ApiError):
    status = 401


class ForbiddenError(ApiError):
    status = 403


class BodyTooLargeError(ApiError):
    status = 413


#: domain error -> HTTP status for ``/v1`` (metal-api's statuses; see docs/api.md for deliberate differences)
STATUS_TABLE: tuple[tuple[type[BaseException], int], ...] = (
    (ipam.InvalidInputError, 400),
    (ipam.NotFoundError, 404),
    (ipam.AlreadyAllocatedError, 409),
    (ipam.ConflictError, 422),
    (ipam.ExhaustedError, 422),
    (StorageBusyError, 503),
    (StorageUnavailableError, 503),
    (StorageError, 500),
    (ValueError, 400),
)

#: domain error -> (Connect code, HTTP status) for the IPAM service, as go-ipam's service maps them
CONNECT_TABLE: tuple[tuple[type[BaseException], str, int], ...] = (
    (ipam.InvalidInputError, "invalid_argument", 400),
    (ProtectedNamespaceError, "permission_denied", 403),
    (ipam.NotFoundError, "not_found", 404),
    (ipam.AlreadyAllocatedError, "already_exists", 409),
    (ipam.NoIPAvailableError, "not_found", 404),
    (ipam.ExhaustedError, "failed_precondition", 400),
    (ipam.ConflictError, "failed_precondition", 400),
    (StorageBusyError, "unavailable", 503),
    (StorageUnavailableError, "unavailable", 503),
    (StorageError, "internal", 500),
    (ValueError, "invalid_argument", 400),
)

#: HTTP status -> Connect code, for errors raised by the framework or the API layer
CONNECT_CODE_BY_STATUS = {
    400: "invalid_argument",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "unimplemented",
    409: "already_exists",
    413: "resource_exhausted",
    415: "invalid_argument",
    422: "failed_precondition",
    500: "internal",
    503: "unavailable",
}

def status_for(exc: BaseException) -> int | None:
    """The HTTP status for a domain or API error, or ``None`` when it is unexpected (a bug: 500)."""
    if isinstance(exc, ApiError | NetworkError):
        return exc.status
    for error, status in STATUS_TABLE:
        if isinstance(exc, error):
            return status
    return None


def connect_for(exc: BaseException) -> tuple[str, int] | None:
    """The Connect code and HTTP status for an error of the IPAM service, ``None`` when unexpected."""
    if isinstance(exc, ApiError):
        return CONNECT_CODE_BY_STATUS.get(exc.status, "unknown"), exc.status
    for error, code, status in CONNECT_TABLE:
        if isinstance(exc, error):
            return code, status
    return None
