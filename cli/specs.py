"""The documents ``-f FILE`` accepts: the API's request structs, refusing unknown fields.

The request fields are the API's own wire structs (:mod:`metalnet.api.v1_wire`, plain msgspec that imports
no web framework, so the CLI stays a light HTTP client); a document may carry them all. The response-only
fields (``consumption``, ``created`` …) are accepted and dropped, so the YAML that ``describe -o yaml``
prints can be edited and fed back to ``create -f`` or ``update -f``.
"""

from __future__ import annotations

from typing import Any

import msgspec

from metalnet.api.v1_wire import V1IPUpdateRequest, V1NetworkCreateRequest, V1NetworkUpdateRequest


def given(**fields: Any) -> dict[str, Any]:
    """The fields that were given: ``None`` and ``False`` are left out (the API treats absent and empty alike,
    and metalctl sends neither)."""
    return {name: value for name, value in fields.items() if value is not None and value is not False}


def body_of(document: msgspec.Struct, request: type[msgspec.Struct]) -> dict[str, Any]:
    """The fields of ``request`` (by their JSON names) that ``document`` sets."""
    fields: dict[str, Any] = msgspec.to_builtins(document)
    return {f.encode_name: fields[f.encode_name] for f in msgspec.structs.fields(request) if f.encode_name in fields}


class NetworkSpec(V1NetworkCreateRequest, forbid_unknown_fields=True, omit_defaults=True):
    """A network document: V1NetworkCreateRequest's fields (update takes a part of them) and the response's."""

    consumption: Any = None
    usage: Any = None
    created: Any = None
    changed: Any = None

    def create_body(self) -> dict[str, Any]:
        """The V1NetworkCreateRequest body."""
        return body_of(self, V1NetworkCreateRequest)

    def update_body(self) -> dict[str, Any]:
        """The V1NetworkUpdateRequest body."""
        return body_of(self, V1NetworkUpdateRequest)


class IpSpec(V1IPUpdateRequest, forbid_unknown_fields=True, omit_defaults=True):
    """An IP document: V1IPUpdateRequest's fields and the response's."""

    projectid: str | None = None
    networkid: str | None = None
    allocationuuid: str | None = None
    created: Any = None
    changed: Any = None

    def update_body(self) -> dict[str, Any]:
        """The V1IPUpdateRequest body."""
        return body_of(self, V1IPUpdateRequest)
