"""Record ids: UUIDv7 (RFC 9562), as metal-stack's v2 server gives networks and IPs.

A UUIDv7 starts with the creation time in milliseconds, so ids sort by creation and index well; the rest is
random. Python's ``uuid`` module has ``uuid7`` only from 3.14, hence this small generator.

>>> str(uuid7())[14]
'7'
"""

from __future__ import annotations

import os
import time
from uuid import UUID


def uuid7(unix_ms: int | None = None) -> UUID:
    """A version 7 UUID for ``unix_ms`` (default: now): 48 bits of time, version, 74 random bits, variant."""
    ms = time.time_ns() // 1_000_000 if unix_ms is None else unix_ms
    rand = int.from_bytes(os.urandom(10), "big")  # 80 bits; 74 of them are used
    value = (ms & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76  # version
    value |= (rand >> 68 & 0xFFF) << 64  # rand_a, 12 bits
    value |= 0b10 << 62  # variant
    value |= rand & 0x3FFF_FFFF_FFFF_FFFF  # rand_b, 62 bits
    return UUID(int=value)


def new_id() -> str:
    return str(uuid7())
