"""Turns every exception into an error response: metal-api's body on ``/v1``, Connect's on the IPAM service.

The framework's own errors carry their status; every other error is looked up in its protocol's table
(:mod:`metalnet.api.v1_errors`, :mod:`metalnet.api.ipam_errors`). One that no table knows is a bug: it is
logged with its traceback and answered 500 with a message that reveals nothing of it.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from metalnet.api.errors import CONNECT_CODE_BY_STATUS
from metalnet.api.ipam_errors import connect_for
from metalnet.api.ipam_service import SERVICE_PATH
from metalnet.api.v1_errors import OUTAGE_STATUS, v1_status

log = logging.getLogger("metalnet.api")
_encode = msgspec.json.Encoder().encode
#: seconds a client should wait before retrying after a 503 (a store usually returns within seconds)
RETRY_AFTER = "1"


class ErrorBody(msgspec.Struct):
    """metal-api's error body (``httperrors.HTTPErrorResponse``)."""

    statuscode: int
    message: str


class ConnectErrorBody(msgspec.Struct):
    """Connect's error JSON."""

    code: str
    message: str


def _validation_message(exc: ValidationException) -> str:
    problems = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        key, text = item.get("key", ""), str(item.get("message", ""))
        if key == "data" and text in ("'data'", "data"):
            problems.append("request body is missing: expected a JSON object")
        elif key == "data":
            problems.append(f"request body: {text}")
        else:
            problems.append(f"invalid value for field {key!r}: {text}")
    return "; ".join(problems) or str(exc.detail)


def _http_exception(exc: HTTPException) -> tuple[int, str]:
    if isinstance(exc, ValidationException):
        return exc.status_code, _validation_message(exc)
    message = str(exc.detail)
    if exc.status_code == 413:
        message = "request body too large"
    return exc.status_code, message


def classify(path: str, method: str, exc: Exception) -> tuple[int, str, str | None]:
    """(status, message, Connect code or None when the status decides it) for an error while serving."""
    if isinstance(exc, HTTPException):
        status, message = _http_exception(exc)
        return status, message, None
    if path.startswith(SERVICE_PATH):
        found = connect_for(exc)
        if found is not None:
            return found[1], str(exc), found[0]
    else:
        status_found = v1_status(exc)
        if status_found is not None:
            return status_found, str(exc), None
    log.exception("unexpected error while serving %s %s", method, path)
    return 500, "internal server error", None


def error_parts(path: str, method: str, exc: Exception) -> tuple[int, bytes, dict[str, str]]:
    """Status, JSON body and extra headers of the error response for ``exc``."""
    status, message, code = classify(path, method, exc)
    body: msgspec.Struct
    if path.startswith(SERVICE_PATH):
        body = ConnectErrorBody(code or CONNECT_CODE_BY_STATUS.get(status, "unknown"), message)
    else:
        body = ErrorBody(status, message)
    headers = {"WWW-Authenticate": 'Bearer realm="metalnet"'} if status == 401 else {}
    # the store is out or the deadline passed: nothing was written, or (a commit whose answer was lost) a retry
    # with the same Idempotency-Key gets the committed answer; either way retrying is safe
    if status == OUTAGE_STATUS:
        headers["Retry-After"] = RETRY_AFTER
    if isinstance(exc, HTTPException) and exc.headers:
        headers.update(exc.headers)  # the framework's own, e.g. ``Allow`` on a 405 (HTTP requires it)
    return status, _encode(body), headers


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """The Litestar exception handler for every exception type."""
    status, body, headers = error_parts(request.scope["path"], request.method, exc)
    return Response(body, status_code=status, media_type="application/json", headers=headers or None)
