"""Namespace names: ``root`` always exists; other names are created explicitly."""

from __future__ import annotations

from metalnet.ipam.errors import InvalidInputError

ROOT_NAMESPACE = "root"
MAX_NAMESPACE_LENGTH = 128


def check_namespace_name(name: object) -> None:
    if name == ROOT_NAMESPACE:
        return
    if (
        not isinstance(name, str)
        or not name
        or len(name) > MAX_NAMESPACE_LENGTH
        or not name.isprintable()
    ):
        raise InvalidInputError(
            f"invalid namespace {name!r}: 1 to {MAX_NAMESPACE_LENGTH} printable characters expected"
        )
