"""Row types the storage tests store: storage knows no row type of its own, each layer registers its own."""

from __future__ import annotations

from metalnet.storage.rows import Row, register_row


@register_row
class WideRow(Row, frozen=True, tag="test-wide", gc=False):
    """Integers beyond 64 bits (IPv6 addresses, block counts) and an optional text, as the IPAM rows have."""

    name: str
    first: int
    count: int
    parent: str | None = None
    flag: bool = False


@register_row
class NameRow(Row, frozen=True, tag="test-name", gc=False):
    name: str
