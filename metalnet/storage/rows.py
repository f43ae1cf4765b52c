"""The values a :class:`~metalnet.storage.base.Storage` keeps, and their encoding for persistent backends.

A value is an ``int``, a ``str`` or a *row*: a frozen msgspec Struct derived from :class:`Row` with a tag of
its own. Storage defines no row type itself: the layer that stores one declares it and registers it with
:func:`register_row` (the IPAM core's rows live in ``metalnet/ipam/rows.py``), so that the persistent
backends can decode it. Rows are immutable, so the memory backend can hand out shared objects safely, and
msgspec's JSON keeps integers of any size (128-bit addresses, IPv6 block counts). The tag lets one decoder
read every registered row type back.
"""

from __future__ import annotations

import functools
import operator
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec


class Row(msgspec.Struct, frozen=True, gc=False):
    """Base of the row types: subclasses set ``tag="..."`` (unique across the store) and register themselves."""


Value = Row | int | str
R = TypeVar("R", bound=type[Row])

#: storage.base.Key (base imports this module, so it is spelled out here)
_Key = tuple[str | int, ...]

_encoder = msgspec.json.Encoder()
_registered: dict[str, type[Row]] = {}
_lock = threading.Lock()


def _decoders(row_types: tuple[type[Row], ...]) -> tuple[msgspec.json.Decoder[Any], msgspec.json.Decoder[Any]]:
    value_type: Any = functools.reduce(operator.or_, row_types, int | str)
    return msgspec.json.Decoder(value_type), msgspec.json.Decoder(list[tuple[_Key, value_type | None]])


_value_decoder, _entries_decoder = _decoders(())


def register_row(row_type: R) -> R:
    """Make ``row_type`` decodable by every backend (a class decorator; registering twice is a no-op)."""
    global _value_decoder, _entries_decoder
    tag = row_type.__struct_config__.tag
    if not isinstance(tag, str):
        raise TypeError(f"row type {row_type.__name__} needs a string tag (class ...(Row, tag='name'))")
    with _lock:
        known = _registered.get(tag)
        if known is row_type:
            return row_type
        if known is not None:
            raise TypeError(f"row tag {tag!r} of {row_type.__name__} is taken by {known.__name__}")
        _registered[tag] = row_type
        _value_decoder, _entries_decoder = _decoders(tuple(_registered.values()))
    return row_type


#: the stored bytes of a value (the encoder's own method: no Python frame per value, bulk writes call it often)
encode_value: Callable[[Value], bytes] = _encoder.encode


def decode_value(data: bytes | memoryview | str) -> Value:
    """The value ``data`` encodes; a row of a type no layer registered is a :class:`msgspec.ValidationError`."""
    value: Value = _value_decoder.decode(data)
    return value


def decode_entries(data: bytes | memoryview | str) -> list[tuple[_Key, Value | None]]:
    """A JSON list of ``[key, value or null]`` pairs (as the log-based backends write them)."""
    entries: list[tuple[_Key, Value | None]] = _entries_decoder.decode(data)
    return entries
