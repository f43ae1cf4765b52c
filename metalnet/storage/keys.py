"""Order-preserving byte encoding of storage keys, for backends that keep keys as bytes.

Each item becomes a type byte and a body: ``str`` as UTF-8 followed by NUL, ``int`` as 17 bytes big-endian
(a 128-bit address, or a prefix id ``address << 8 | length``, fits).
Byte order of encoded keys equals tuple order of the keys, and the encoding of a key prefix is a byte
prefix of the encoding of every key that starts with it, so range scans map to ``BETWEEN`` on an index.
"""

from __future__ import annotations

from metalnet.storage.base import Key

_STR = b"\x01"
_INT = b"\x02"
#: greater than every type byte, so ``encode(p) + UPPER`` bounds every key starting with ``p``
UPPER = b"\xff"
INT_WIDTH = 17


def encode_key(key: Key) -> bytes:
    parts: list[bytes] = []
    for item in key:
        if isinstance(item, str):
            parts += (_STR, item.encode(), b"\x00")
        else:
            parts += (_INT, item.to_bytes(INT_WIDTH, "big"))
    return b"".join(parts)


def decode_key(data: bytes) -> Key:
    items: list[str | int] = []
    pos = 0
    while pos < len(data):
        kind = data[pos : pos + 1]
        pos += 1
        if kind == _STR:
            end = data.index(b"\x00", pos)
            items.append(data[pos:end].decode())
            pos = end + 1
        else:
            items.append(int.from_bytes(data[pos : pos + INT_WIDTH], "big"))
            pos += INT_WIDTH
    return tuple(items)


def prefix_bounds(within: Key) -> tuple[bytes, bytes]:
    """The half-open byte range ``[low, high)`` holding every key that starts with ``within``."""
    low = encode_key(within)
    return low, low + UPPER
