"""The one table from network-layer error kinds to Connect codes, and the error every refusal becomes."""

from __future__ import annotations

from connectrpc.code import Code
from connectrpc.errors import ConnectError

from metalnet.network.errors import ErrorKind, NetworkError

#: metal-stack's v2 server answers bad input with invalid_argument, a missing entity with not_found, a taken
#: id or address with already_exists, a rule that the current state refuses (children, IPs present, no room)
#: with failed_precondition, a stale optimistic lock with aborted and a caller's restriction with
#: permission_denied; a specific address in a reserved range (metalnet's) is failed_precondition too
CODES: dict[ErrorKind, Code] = {
    ErrorKind.INVALID: Code.INVALID_ARGUMENT,
    ErrorKind.NOT_FOUND: Code.NOT_FOUND,
    ErrorKind.CONFLICT: Code.ALREADY_EXISTS,
    ErrorKind.REFUSED: Code.FAILED_PRECONDITION,
    ErrorKind.STALE: Code.ABORTED,
    ErrorKind.FORBIDDEN: Code.PERMISSION_DENIED,
    ErrorKind.RESERVED: Code.FAILED_PRECONDITION,
}

#: v1's message prefixes that metal-stack's v2 messages do not carry
_PREFIXES = ("NotFound ", "Conflict ")


def connect_error(exc: NetworkError) -> ConnectError:
    message = exc.message
    for prefix in _PREFIXES:
        message = message.removeprefix(prefix)
    return ConnectError(CODES.get(exc.kind, Code.INTERNAL), message)
