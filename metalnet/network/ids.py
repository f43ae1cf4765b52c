"""The one rule for the ids of networks, partitions and projects, whichever protocol creates them.

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

import string

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
