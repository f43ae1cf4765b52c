"""How the IPAM service reports an error: go-ipam's Connect code and status for each IPAM core error.

The service calls the IPAM core directly, whose error classes are its kinds; this is the one table that turns
them into Connect codes, the first matching row (most specific class first) winning.
"""

from __future__ import annotations

from metalnet.api.errors import CONNECT_CODE_BY_STATUS, ApiError
from metalnet.ipam import errors as ipam
from metalnet.storage.base import CommitOutcomeUnknownError, StorageBusyError, StorageUnavailableError

#: IPAM core error -> (Connect code, HTTP status), as go-ipam's service maps them
CONNECT_TABLE: tuple[tuple[type[BaseException], str, int], ...] = (
    (ipam.InvalidInputError, "invalid_argument", 400),
    (ipam.ProtectedNamespaceError, "permission_denied", 403),
    (ipam.NotFoundError, "not_found", 404),
    (ipam.AlreadyAllocatedError, "already_exists", 409),
    # metalnet's reserved ranges: the request holds only when it says it means a reserved address
    (ipam.ReservedAddressError, "failed_precondition", 400),
    (ipam.NoIPAvailableError, "not_found", 404),
    (ipam.ExhaustedError, "failed_precondition", 400),
    (ipam.ConflictError, "failed_precondition", 400),
    (StorageBusyError, "unavailable", 503),
    # the commit's answer was lost and nobody could say in time whether it happened: retry with the same key
    (CommitOutcomeUnknownError, "unavailable", 503),
    (StorageUnavailableError, "unavailable", 503),
)


def connect_for(exc: BaseException) -> tuple[str, int] | None:
    """The Connect code and HTTP status for an error of the IPAM service, ``None`` when unexpected (a bug)."""
    if isinstance(exc, ApiError):
        return CONNECT_CODE_BY_STATUS.get(exc.status, "unknown"), exc.status
    for error, code, status in CONNECT_TABLE:
        if isinstance(exc, error):
            return code, status
    return None
