"""What the OpenAPI document says about errors: which statuses each kind of route answers, and their body.

``/v1`` routes answer errors as metal-api does, ``{"statuscode", "message"}``; the IPAM service as Connect
does, ``{"code", "message"}`` (see :mod:`metalnet.api.exceptions`, which builds them). Declaring them per
route replaces Litestar's default error schema (``{status_code, detail, extra}``), which the server never
sends. tests/api/test_schemathesis.py checks real answers of every route against the document.
"""

from __future__ import annotations

import msgspec
from litestar.openapi import ResponseSpec


class V1Error(msgspec.Struct):
    """metal-api's error body (``httperrors.HTTPErrorResponse``)."""

    statuscode: int
    message: str


class ConnectError(msgspec.Struct):
    """Connect's error body; ``code`` is the Connect code (``invalid_argument``, ``not_found``, …)."""

    code: str
    message: str


_WHY = {
    400: "Bad input: malformed JSON, a field of the wrong type, or a value a rule refuses (named in the message)",
    401: "Missing, malformed, unknown or expired credentials",
    403: "The caller's role or project does not allow this",
    404: "No such resource",
    409: "Conflict: the id, address or child prefix is taken, or the address is reserved",
    413: "Request body too large",
    422: "Refused: overlap, exhausted, still in use, or a rule metal-api answers with 422",
    503: "The database is unavailable or busy; retry later",
}

#: statuses per kind of route (every route with a role may answer 401 and 403; every one that reads 503)
READ = (401, 403, 503)
READ_ONE = (400, 401, 403, 404, 503)
FIND = (400, 401, 403, 413, 422, 503)
WRITE = (400, 401, 403, 404, 409, 413, 422, 503)
#: the IPAM service maps refusals to 400 failed_precondition, exhausted IPs to 404 not_found
RPC = (400, 401, 403, 404, 409, 413, 503)


def v1_errors(statuses: tuple[int, ...]) -> dict[int, ResponseSpec]:
    """``responses=`` of a ``/v1`` route answering ``statuses`` with metal-api's error body."""
    return {status: ResponseSpec(data_container=V1Error, description=_WHY[status]) for status in statuses}


def connect_errors(statuses: tuple[int, ...] = RPC) -> dict[int, ResponseSpec]:
    """``responses=`` of an IPAM service RPC answering ``statuses`` with Connect's error body."""
    return {status: ResponseSpec(data_container=ConnectError, description=_WHY[status]) for status in statuses}



#: ``responses=`` of the ``/v1`` routes, by kind
V1_READ, V1_READ_ONE, V1_FIND, V1_WRITE = (v1_errors(kind) for kind in (READ, READ_ONE, FIND, WRITE))
