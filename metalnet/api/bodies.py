"""Request bodies: strict msgspec decoding, and their OpenAPI description.

Route handlers read and decode their JSON body themselves (:func:`read_json`) instead of declaring a
Litestar ``data`` parameter: msgspec then decodes straight from bytes in one strict pass (a number sent
as a string is a 400, as in metal-api), which is also cheaper. Because Litestar then cannot see the body
type, :func:`documented` adds the request body to the route's OpenAPI operation from msgspec's JSON schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema

from metalnet.api.errors import BadRequestError

T = TypeVar("T")


_decoders: dict[type[Any], msgspec.json.Decoder[Any]] = {}


def _decoder(kind: type[Any]) -> msgspec.json.Decoder[Any]:
    decoder = _decoders.get(kind)
    if decoder is None:
        decoder = _decoders[kind] = msgspec.json.Decoder(kind)
    return decoder


def decode_body(raw: bytes, kind: type[T]) -> T:
    """Decode a JSON body into ``kind``.

    Raises:
        BadRequestError: missing or malformed body, or a field of the wrong type (named in the message).
    """
    if not raw.strip():
        raise BadRequestError("request body is missing: expected a JSON object")
    try:
        decoded: T = _decoder(kind).decode(raw)
    except msgspec.ValidationError as exc:
        text, _, where = str(exc).partition(" - at `$.")
        if where:
            raise BadRequestError(f"invalid value for field {where.rstrip('`')!r}: {text}") from None
        raise BadRequestError(f"request body: {text}") from None
    except msgspec.DecodeError as exc:
        raise BadRequestError(f"malformed JSON body: {exc}") from None
    except RecursionError:  # msgspec's answer to nesting deeper than it recurses (an unknown field suffices)
        raise BadRequestError("malformed JSON body: nested too deeply") from None
    return decoded


async def read_json(request: Request[Any, Any, Any], kind: type[T]) -> T:
    """The request's body decoded into ``kind`` (Litestar enforces the body size limit: 413)."""
    return decode_body(await request.body(), kind)


def _schema(node: dict[str, Any], defs: dict[str, Any]) -> Schema:
    """A Litestar schema object from a node of msgspec's JSON schema (references inlined)."""
    if "$ref" in node:
        return _schema(defs[node["$ref"].rsplit("/", 1)[1]], defs)
    additional = node.get("additionalProperties")
    return Schema(
        type=OpenAPIType(node["type"]) if "type" in node else None,
        any_of=[_schema(n, defs) for n in node["anyOf"]] if "anyOf" in node else None,
        properties={k: _schema(v, defs) for k, v in node["properties"].items()} if "properties" in node else None,
        items=_schema(node["items"], defs) if "items" in node else None,
        additional_properties=_schema(additional, defs) if isinstance(additional, dict) else None,
        minimum=node.get("minimum"),
        maximum=node.get("maximum"),
        format=node.get("format"),
        title=node.get("title"),
        description=node.get("description"),
    )


def documented(kind: type[Any], description: str | None = None) -> type[Operation]:
    """An OpenAPI operation class whose request body is ``kind``'s JSON schema."""
    document = msgspec.json.schema(kind)
    defs = document.get("$defs", {})
    body = RequestBody(content={"application/json": OpenAPIMediaType(schema=_schema(document, defs))},
                       description=description, required=True)

    @dataclass
    class WithBody(Operation):
        def __post_init__(self) -> None:
            self.request_body = body

    return WithBody
