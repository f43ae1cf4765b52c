"""How v2 reports a refusal: the one table from network-layer error kinds and reasons to Connect codes and
metal-stack's wording.

The network layer decides every rule and raises :class:`~metalnet.network.errors.NetworkError` with a kind,
v1's message, and, where metal-stack's v2 server words or codes the rule otherwise, the rule's
:class:`~metalnet.network.errors.Reason` and the values it names. Here a reason becomes metal-apiserver's code
and text (reference §1, §4, §7); any other error keeps its message (without v1's ``NotFound``/``Conflict``
prefix) under its kind's code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from connectrpc.code import Code
from connectrpc.errors import ConnectError

from metalnet.network.errors import ErrorKind, NetworkError, Reason

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

Details = Mapping[str, object]


def _network_type(details: Details) -> tuple[Code, str]:
    # metal-apiserver: a network of no project serves IPs only as child-shared, external or underlay (the
    # others are bad input); an underlay only to admin editors; any other type is not allowed
    kind = details["type"]
    if details["shared"] and kind not in ("child-shared", "external", "underlay"):
        return Code.INVALID_ARGUMENT, f"cannot allocate ip in network of type {kind}"
    if kind == "underlay":
        return Code.PERMISSION_DENIED, "only admin editors can allocate ips from an underlay network"
    return Code.PERMISSION_DENIED, f'given networktype "{kind}" is not allowed'


def _families(value: object) -> str:
    # Go prints a slice of families as [IPv4 IPv6]
    return "[" + " ".join(str(item) for item in value) + "]" if isinstance(value, list | tuple) else str(value)


#: reason -> metal-apiserver's code and message (a format string over the details, or a function of them)
REASONS: dict[Reason, tuple[Code, str] | Callable[[Details], tuple[Code, str]]] = {
    Reason.OVERLAP: (Code.ALREADY_EXISTS, "{prefix} overlaps {existing}"),
    Reason.EXISTS: (Code.ALREADY_EXISTS, "{kind} with id:{id} already exists"),
    # a project's caller learns nothing of another project's records: they do not exist for it
    Reason.OTHER_PROJECT: (Code.NOT_FOUND, '*metal.{kind} with id "{id}" not found'),
    Reason.NETWORK_OF_OTHER_PROJECT: (Code.INVALID_ARGUMENT, 'not allowed to create ip in network "{network}"'),
    Reason.NETWORK_TYPE: _network_type,
    Reason.SUPER_IN_PARTITION: (
        Code.INVALID_ARGUMENT, 'partition with id "{partition}" already has a network of type NETWORK_TYPE_SUPER'),
    Reason.HAS_CHILDREN: (Code.FAILED_PRECONDITION, "cannot remove network with existing child networks"),
    Reason.IPS_IN_PREFIX: (Code.FAILED_PRECONDITION, "there are still {count} ips present in prefix: {prefix}"),
    Reason.IP_TAKEN: (Code.INVALID_ARGUMENT, 'given ip "{ip}" is already allocated'),
    Reason.IP_HELD: (Code.ALREADY_EXISTS, "AlreadyAllocatedError: given ip:{ip} is already allocated"),
    Reason.IP_OUTSIDE: (
        Code.INVALID_ARGUMENT, 'specific ip "{ip}" is not contained in any of the prefixes of network "{network}"'),
    Reason.FAMILY_ABSENT: lambda d: (
        Code.INVALID_ARGUMENT,
        f'there is no prefix for the given addressfamily {d["family"]} present in network "{d["network"]}", '
        f"available address families are: {_families(d['present'])}",
    ),
    Reason.MACHINE_IP: (Code.INVALID_ARGUMENT, "ip with machine scope cannot be deleted"),
    Reason.STATIC_TO_EPHEMERAL: (Code.INVALID_ARGUMENT, "cannot change type of ip address from static to ephemeral"),
    Reason.PARTITION_IN_USE: (Code.FAILED_PRECONDITION, 'there are still networks in "{id}"'),
    Reason.VRF_TAKEN: (Code.ALREADY_EXISTS, "integer is already acquired by another"),
    Reason.LENGTHS_ON_NON_SUPER: (
        Code.INVALID_ARGUMENT, "default child prefix length can only be set on super networks"),
    Reason.NO_FREE_IP: (Code.INVALID_ARGUMENT, 'no free ips in network "{network}"'),
    Reason.MISSING_REFERENCE: (
        Code.FAILED_PRECONDITION,
        '{kind} must exist before creating network: not_found: no {kind} with id "{id}" found'),
    Reason.DEFAULT_LENGTH_MISSING: (
        Code.INVALID_ARGUMENT,
        "a super network must always contain a default child prefix length per addressfamily: {family}"),
    Reason.LENGTH_NOT_LONGER: (
        Code.INVALID_ARGUMENT, "given childprefixlength {length} is not greater than prefix length of:{prefix}"),
}

#: v1's message prefixes that metal-stack's v2 messages do not carry
_PREFIXES = ("NotFound ", "Conflict ")


def render(exc: NetworkError) -> tuple[Code, str]:
    """The Connect code and message of a network-layer refusal."""
    entry = REASONS.get(exc.reason) if exc.reason is not None else None
    if entry is not None:
        if callable(entry):
            return entry(exc.details)
        code, template = entry
        return code, template.format(**exc.details)
    message = exc.message
    for prefix in _PREFIXES:
        message = message.removeprefix(prefix)
    return CODES.get(exc.kind, Code.INTERNAL), message


def connect_error(exc: NetworkError) -> ConnectError:
    return ConnectError(*render(exc))
