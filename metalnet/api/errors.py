"""Errors the API layer raises itself, while reading a request (credentials, body, path values).

::

    ApiError                 raised by the API layer itself, carrying its HTTP status
    ├── BadRequestError      400 input the wire models cannot express (bad path value, bad combination)
    ├── UnauthorizedError    401 missing or wrong credentials
    ├── ForbiddenError       403 authenticated, but the role does not allow it
    └── BodyTooLargeError    413 request body over the configured limit

Domain errors keep their own classes and kinds; each protocol owns the one table that maps them to what it
answers: ``/v1`` in :mod:`metalnet.api.v1_errors`, the IPAM service in :mod:`metalnet.api.ipam_errors`.
An error no table knows is a bug: it is logged and answered 500 (:mod:`metalnet.api.exceptions`).
"""

from __future__ import annotations


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


#: HTTP status -> Connect code, for errors raised by the framework or the API layer (Connect's own mapping)
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
