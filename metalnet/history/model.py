"""The event: what the store keeps (its body) and what readers receive (the body with its number).

The body is the JSON of :class:`Event` without ``seq`` and ``at``; the store numbers the event when the
transaction commits and keeps its time in a column of its own, and :func:`wire` puts both in front, so
recording formats no time and serving an event never decodes and re-encodes its states.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from metalnet.history.actor import Principal

#: the kinds of object the history records
KINDS = ("network", "ip", "partition", "project", "prefix", "child-prefix", "ipam-ip", "namespace")
ACTIONS = ("create", "update", "delete", "allocate", "free", "acquire", "release")


#: the JSON null of an absent state
NULL = msgspec.Raw(b"null")


class Event(msgspec.Struct, kw_only=True):
    """One change. ``before``/``after`` are the object's stored state (JSON) before and after it: ``after`` is
    null for a delete, free or release, ``before`` for a create, allocate or acquire."""

    seq: int
    #: RFC 3339, UTC, microseconds
    at: str
    principal: Principal
    route: str
    kind: str
    id: str
    #: the project the object belongs to (null for partitions and IPAM objects)
    project: str | None = None
    action: str
    before: msgspec.Raw = NULL
    after: msgspec.Raw = NULL


class _Body(msgspec.Struct, kw_only=True):
    principal: Principal
    route: str
    kind: str
    id: str
    project: str | None
    action: str
    before: msgspec.Raw
    after: msgspec.Raw


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Event)


def timestamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def encode_body(principal: Principal, route: str, kind: str, ident: str, project: str | None,
                action: str, before: str | bytes | None, after: str | bytes | None) -> str:
    body = _Body(principal=principal, route=route, kind=kind, id=ident, project=project,
                 action=action, before=NULL if before is None else msgspec.Raw(before),
                 after=NULL if after is None else msgspec.Raw(after))
    return _encoder.encode(body).decode()


def encode_bodies(principal: Principal, route: str, kind: str, action: str,
                  changes: list[tuple[str, str | None, str | bytes | None, str | bytes | None]]) -> list[str]:
    """:func:`encode_body` of many changes by one actor, of one kind and action (``(ident, project, before,
    after)`` each): the text every body shares is encoded once, the rest of each joined to it."""
    shared = encode_body(principal, route, kind, "", None, action, None, None)
    head = shared[: shared.index(',"id":')] + ',"id":'
    tail = ',"action":' + _encoder.encode(action).decode() + ',"before":'
    projects: dict[str | None, str] = {None: "null"}
    bodies = []
    for ident, project, before, after in changes:
        shown = projects.get(project)
        if shown is None:
            shown = projects[project] = "null" if project is None else _json_string(project)
        bodies.append("".join((head, _json_string(ident), ',"project":', shown, tail, _raw(before), ',"after":',
                               _raw(after), "}")))
    return bodies


def _json_string(text: str) -> str:
    """``text`` as a JSON string, as the encoder writes it (quoted as is when nothing in it needs escaping)."""
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return _encoder.encode(text).decode()


def _raw(state: str | bytes | None) -> str:
    if state is None:
        return "null"
    return state if isinstance(state, str) else state.decode()


def wire(seq: int, at: float, body: str) -> str:
    """The event as readers receive it: ``{"seq": n, "at": "…", ...body}`` (the body is a JSON object)."""
    return f'{{"seq":{seq},"at":"{timestamp(at)}",{body[1:]}'


def decode(text: str | bytes) -> Event:
    return _decoder.decode(text)
