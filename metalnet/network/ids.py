"""The one rule for the ids of networks, partitions and projects, whichever protocol creates them, and the
ids the network layer gives new records (UUIDv7, :func:`new_id`).

An id travels as one URL path segment (``GET /v1/network/{id}``, ``DELETE /v1/project/{id}``, …), so it may
hold only what a path segment carries unescaped and unchanged: RFC 3986's *unreserved* characters,
``A-Z a-z 0-9 - . _ ~``. Anything else is refused at creation (400, naming the first offending character)
instead of creating a record no route can reach: ``/`` splits the segment, ``%`` and non-ASCII need escaping
that clients and proxies treat differently, and spaces, ``?`` and ``#`` end the path. ``.`` and ``..`` are
refused as well, since clients remove such dot-segments from a path (RFC 3986 §5.2.4), and so are the words
the resource paths use for their verbs (``find``, ``allocate``, ``free``): ``GET /v1/network/find`` is the
path of a verb, never of the network ``find``. UUIDs and metal-stack's names
(``tenant-super-network-mini-lab``) fall within the rule.

Length: 1 to :data:`MAX_ID_LENGTH` characters (ids are storage key items and lock names; metal-api keeps them
as RethinkDB primary keys, which hold at most 127 bytes, so every id metal-api can store fits).
"""

from __future__ import annotations

import os
import string
import time
from uuid import UUID

from metalnet.network.errors import invalid

#: RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~"
UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
MAX_ID_LENGTH = 256
#: path segments that name verbs next to ``{id}`` (``/v1/network/find``, ``/v1/ip/allocate``, ``/v1/network/free/…``)
RESERVED = frozenset({"find", "allocate", "free"})
#: how much of a refused id a message repeats
_SHOWN = 80


def _shown(ident: str) -> str:
    return repr(ident if len(ident) <= _SHOWN else ident[:_SHOWN] + "…")


def check_id(ident: str, what: str) -> str:
    """``ident`` when it follows the id rule (see the module docstring); otherwise a 400 naming what breaks it.

    Args:
        ident: the id asked for.
        what: the kind of record (``network``, ``partition``, ``project``), for the message.

    Raises:
        NetworkError: kind INVALID.
    """
    if not ident:
        raise invalid(f"{what} id must not be empty")
    if len(ident) > MAX_ID_LENGTH:
        raise invalid(f"{what} id {_shown(ident)} is {len(ident)} characters long, at most {MAX_ID_LENGTH} are allowed")
    for char in ident:
        if char not in UNRESERVED:
            raise invalid(
                f"{what} id {_shown(ident)} contains {char!r} (U+{ord(char):04X}): an id may only hold letters "
                "A-Z a-z, digits and '-', '.', '_', '~' (what a URL path segment carries unescaped)"
            )
    if ident in (".", ".."):
        raise invalid(f"{what} id {ident!r} is a dot-segment, which URL paths drop: it could never be read back")
    if ident in RESERVED:
        raise invalid(f"{what} id {ident!r} is reserved: the API's paths use it for a verb")
    return ident


def uuid7(unix_ms: int | None = None) -> UUID:
    """A version 7 UUID (RFC 9562) for ``unix_ms`` (default: now), as metal-stack's v2 server gives networks
    and IPs: 48 bits of time in milliseconds, so ids sort by creation and index well, then 74 random bits.
    Python's ``uuid`` module has ``uuid7`` only from 3.14.

    >>> str(uuid7())[14]
    '7'
    """
    ms = time.time_ns() // 1_000_000 if unix_ms is None else unix_ms
    rand = int.from_bytes(os.urandom(10), "big")  # 80 bits; 74 of them are used
    value = (ms & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76  # version
    value |= (rand >> 68 & 0xFFF) << 64  # rand_a, 12 bits
    value |= 0b10 << 62  # variant
    value |= rand & 0x3FFF_FFFF_FFFF_FFFF  # rand_b, 62 bits
    return UUID(int=value)


def new_id() -> str:
    """The id of a new network or IP (when the caller gives none): a UUIDv7."""
    return str(uuid7())


def new_ids(count: int) -> list[str]:
    """``count`` ids as :func:`new_id` gives them, with one clock read and one read of random bytes.

    They share the millisecond; their random bits differ, and they are returned in ascending order, so they
    still sort by creation as the RFC's UUIDv7 do.

    >>> a, b = new_ids(2)
    >>> a < b and a[14] == b[14] == '7'
    True
    """
    if count <= 0:
        return []
    stamp = f"{time.time_ns() // 1_000_000 & 0xFFFF_FFFF_FFFF:012x}"
    head = f"{stamp[:8]}-{stamp[8:]}-7"
    digits = os.urandom(10 * count).hex()  # 20 hex digits each: 3 of rand_a, 16 of rand_b (its first cut to 2 bits)
    ids = [
        f"{head}{digits[i:i + 3]}-{_VARIANT[digits[i + 3]]}{digits[i + 4:i + 7]}-{digits[i + 7:i + 19]}"
        for i in range(0, 20 * count, 20)
    ]
    ids.sort()  # ordered by their random bits, as UUIDv7 values of one millisecond are
    return ids


#: the first hex digit of rand_b's 16 bits with the variant bits ``10`` in front (2 random bits left)
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}
