"""The value types stored in a :class:`~metalnet.storage.base.Storage`.

They are frozen msgspec Structs so that the memory backend can hand out shared objects safely and the
persistent backends can encode them as JSON (msgspec's JSON keeps integers of any size, which 128-bit
addresses and IPv6 block counts need). The ``tag`` lets one decoder read every row type back.
"""

from __future__ import annotations

import msgspec


class PrefixRow(msgspec.Struct, frozen=True, tag="prefix", gc=False):
    """One prefix of the IPAM core with the counters its usage is read from in O(1).

    ``acquired_ips`` counts reserved addresses too; ``children`` the acquired child prefixes.
    ``free_smallest`` is the number of (width-2)-length blocks in the stored free blocks (the free tail's
    follow from its size, see ipam/free_blocks.py); it is kept exact (it may exceed 2**64 for IPv6) and
    capped only when reported.
    """

    namespace: str
    version: int
    first: int
    length: int
    parent_cidr: str | None
    acquired_ips: int
    children: int
    free_smallest: int
    #: bit ``n`` is set while the prefix may have a free block of length ``n`` (best fit in O(1)); a superset,
    #: cleared lazily
    free_lengths: int
    #: whether free address ranges other than the lowest may be stored as keys (see ipam/free_ranges.py)
    ips_stored: bool = False
    #: whether free child blocks below the free tail may be stored as keys
    blocks_stored: bool = False
    #: the lowest free address range, inclusive (empty, first > last, only when the prefix is full);
    #: ``LEGACY_RANGES`` in rows written before it was kept here
    lowest_free_first: int = -1
    lowest_free_last: int = -1
    #: start of the free tail: from here to the prefix's end no address is taken by a child;
    #: ``LEGACY_TAIL`` in rows written before it was kept
    free_tail: int = -1


#: ``PrefixRow.lowest_free_first`` of a row from before the lowest free range was kept in the row
LEGACY_RANGES = -1
#: ``PrefixRow.free_tail`` of a row from before the free tail was kept in the row
LEGACY_TAIL = -1


class NamespaceRow(msgspec.Struct, frozen=True, tag="namespace", gc=False):
    name: str


Value = PrefixRow | NamespaceRow | int | str

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Value)


def encode_value(value: Value) -> bytes:
    return _encoder.encode(value)


def decode_value(data: bytes | memoryview) -> Value:
    return _decoder.decode(data)
