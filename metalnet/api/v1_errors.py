"""How ``/v1`` reports an error: metal-api's status for each network-layer kind, and for storage outages.

The network layer raises :class:`~metalnet.network.NetworkError` with a kind; this is the one table that
turns kinds into ``/v1`` statuses (see docs/api.md for deliberate differences from metal-api).
"""

from __future__ import annotations

from metalnet.api.errors import ApiError
from metalnet.network import ErrorKind, NetworkError
from metalnet.storage.base import CommitOutcomeUnknownError, StorageBusyError, StorageUnavailableError

#: network-layer kind -> ``/v1`` status
STATUS_BY_KIND: dict[ErrorKind, int] = {
    ErrorKind.INVALID: 400,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.REFUSED: 422,
    ErrorKind.STALE: 409,  # v1 sends no version to compare; only other callers' updates can be stale
    ErrorKind.RESERVED: 409,  # as a taken address: the request can be repeated with "reserved": true
}
#: the store cannot serve now: the client may retry
OUTAGE_STATUS = 503


def v1_status(exc: BaseException) -> int | None:
    """The ``/v1`` status for ``exc``, or ``None`` when it is unexpected (a bug: a logged 500)."""
    if isinstance(exc, NetworkError):
        return STATUS_BY_KIND[exc.kind]
    if isinstance(exc, ApiError):
        return exc.status
    if isinstance(exc, CommitOutcomeUnknownError):  # the commit's answer was lost: retry with the same key
        return OUTAGE_STATUS
    if isinstance(exc, StorageBusyError | StorageUnavailableError):
        return OUTAGE_STATUS
    return None
