"""The documents ``-f FILE`` accepts, as msgspec Structs that refuse unknown fields.

Field names are the API's JSON names. The response-only fields (``consumption``, ``created`` …) are accepted
and dropped, so the YAML that ``describe -o yaml`` prints can be edited and fed back to ``update -f``.
"""

from __future__ import annotations

from typing import Any

import msgspec

#: fields of a network response that are never sent back
NETWORK_RESPONSE_ONLY = ("consumption", "usage", "created", "changed")
#: the fields of V1NetworkUpdateRequest
NETWORK_UPDATE_FIELDS = (
    "id", "name", "description", "labels", "prefixes", "destinationprefixes", "shared",
    "defaultchildprefixlength", "additionalAnnouncableCIDRs",
)
#: fields of an IP response that V1IPUpdateRequest does not carry
IP_RESPONSE_ONLY = ("projectid", "networkid", "allocationuuid", "created", "changed")


def given(**fields: Any) -> dict[str, Any]:
    """The fields that were given: ``None`` and ``False`` are left out (the API treats absent and empty alike,
    and metalctl sends neither)."""
    return {name: value for name, value in fields.items() if value is not None and value is not False}


class NetworkSpec(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A network document: the fields of V1NetworkCreateRequest (and of the response, ignored)."""

    id: str | None = None
    name: str | None = None
    description: str | None = None
    partitionid: str | None = None
    projectid: str | None = None
    labels: dict[str, str] | None = None
    shared: bool | None = None
    prefixes: list[str] | None = None
    destinationprefixes: list[str] | None = None
    defaultchildprefixlength: dict[str, int] | None = None
    nat: bool | None = None
    privatesuper: bool | None = None
    underlay: bool | None = None
    vrf: int | None = None
    vrfshared: bool | None = None
    parentnetworkid: str | None = None
    additional_announcable_cidrs: list[str] | None = msgspec.field(default=None, name="additionalAnnouncableCIDRs")
    networktype: str | None = None
    nattype: str | None = None
    consumption: Any = None
    usage: Any = None
    created: Any = None
    changed: Any = None

    def create_body(self) -> dict[str, Any]:
        """The V1NetworkCreateRequest body: every field set in the document, response-only ones dropped."""
        body: dict[str, Any] = msgspec.to_builtins(self)
        for name in NETWORK_RESPONSE_ONLY:
            body.pop(name, None)
        return body

    def update_body(self) -> dict[str, Any]:
        """The V1NetworkUpdateRequest body: the updatable fields set in the document."""
        body: dict[str, Any] = msgspec.to_builtins(self)
        return {name: body[name] for name in NETWORK_UPDATE_FIELDS if name in body}


class IpSpec(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """An IP document: the fields of V1IPUpdateRequest (and of the response, ignored)."""

    ipaddress: str | None = None
    name: str | None = None
    description: str | None = None
    type: str | None = None
    tags: list[str] | None = None
    projectid: str | None = None
    networkid: str | None = None
    allocationuuid: str | None = None
    created: Any = None
    changed: Any = None

    def update_body(self) -> dict[str, Any]:
        """The V1IPUpdateRequest body."""
        body: dict[str, Any] = msgspec.to_builtins(self)
        for name in IP_RESPONSE_ONLY:
            body.pop(name, None)
        return body
