"""The rows the IPAM core stores (where each lives: :mod:`metalnet.ipam.layout`).

They are registered with the storage (:func:`~metalnet.storage.rows.register_row`) so that persistent
backends can read them back. One layout: a change to these fields comes with a numbered migration
(docs/storage.md).
"""

from __future__ import annotations

from metalnet.storage.rows import Row, register_row


@register_row
class PrefixRow(Row, frozen=True, tag="prefix", gc=False):
    """One prefix of the IPAM core with the counters its usage is read from in O(1).

    ``acquired_ips`` counts every address that is not free: the acquired ones (the network/broadcast addresses
    taken at creation included) and the ``reserved_free`` ones (in a reserved range and not acquired), so that
    the free ranges alone decide next-free allocation; ``children`` counts the acquired child prefixes.
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
    #: the lowest free address range, inclusive (empty, first > last, only when the prefix is full)
    lowest_free_first: int
    lowest_free_last: int
    #: start of the free tail: from here to the prefix's end no address is taken by a child
    free_tail: int
    #: whether free address ranges other than the lowest may be stored as keys (see ipam/free_ranges.py)
    ips_stored: bool = False
    #: whether free child blocks below the free tail may be stored as keys
    blocks_stored: bool = False
    #: how many reserved ranges the prefix has (0: no reservation look-up on any path, see ipam/reservations.py)
    reservations: int = 0
    #: addresses in reserved ranges that are not acquired (part of ``acquired_ips``, reported apart)
    reserved_free: int = 0


@register_row
class ReservationRow(Row, frozen=True, tag="reservation", gc=False):
    """A reserved address range of a prefix, stored under its last address (``layout.reservation_key``)."""

    first: int
    description: str


@register_row
class NamespaceRow(Row, frozen=True, tag="namespace", gc=False):
    name: str
