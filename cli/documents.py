"""Reading ``-f FILE``: JSON or YAML, one document, a list, or a multi-document YAML stream.

Every document goes through one typed msgspec conversion against its Struct, so a misspelt or unknown field
and a wrongly typed value are refused with msgspec's message naming the field, never half-understood.
"""

from __future__ import annotations

import datetime
import re
from typing import Any, TypeVar

import msgspec
import msgspec.yaml
import yaml

from cli.errors import InputError

S = TypeVar("S", bound=msgspec.Struct)

_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_INT = "tag:yaml.org,2002:int"


_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)")


class _Loader(_BASE):  # type: ignore[misc]
    """YAML with canonical decimal integers only.

    YAML 1.1 reads ``022`` as octal 18, and ``0x16``, ``2_2``, ``0b10110`` or ``0:22`` as 22; a prefix length
    or VRF id written so would be sent as another number than meant. Such a value is refused, naming it.
    """


def _canonical_int(loader: Any, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if not _DECIMAL.fullmatch(text):
        meant = yaml.SafeLoader.construct_yaml_int(loader, node)
        raise yaml.constructor.ConstructorError(
            None, None, f"{text} is not a plain decimal number (YAML reads it as {meant}): write it in decimal "
            "without leading zeros, or quote it", node.start_mark)
    return int(text)


_Loader.add_constructor(_INT, _canonical_int)
_LOADER: Any = _Loader


def load_documents(data: bytes, source: str, spec: type[S]) -> list[S]:
    """Decode every document of ``data`` as ``spec``.

    Args:
        data: the file's bytes (JSON when it starts with ``{`` or ``[``, YAML otherwise).
        source: the file's name for messages (``-`` is called stdin).
        spec: the Struct each document (or each element of a list document) must match.

    Raises:
        InputError: not JSON/YAML, a document that does not match ``spec``, or no document at all.
    """
    name = "stdin" if source in ("-", "<stdin>") else source
    many: Any = spec | list[spec]  # type: ignore[valid-type]
    if data.lstrip()[:1] in (b"{", b"["):
        try:
            docs = [msgspec.json.decode(data, type=many)]
        except msgspec.ValidationError as exc:
            raise InputError(f"{name}: {exc}") from None
        except msgspec.DecodeError as exc:
            raise InputError(f"{name}: not valid JSON: {exc}") from None
    else:
        docs = _decode_yaml_stream(data, name, many)
    found = [item for doc in docs for item in (doc if isinstance(doc, list) else [doc])]
    if not found:
        raise InputError(f"{name}: no document found")
    return found


def _decode_yaml_stream(data: bytes, name: str, many: Any) -> list[Any]:
    """Each YAML document converted to ``many``.

    msgspec.yaml.decode reads a single document; a stream is split by the YAML parser and every document
    then gets exactly the conversion msgspec.yaml.decode applies (same builtin types, same errors).
    """
    try:
        raw = [doc for doc in yaml.load_all(data, Loader=_LOADER) if doc is not None]
    except yaml.YAMLError as exc:
        raise InputError(f"{name}: not valid YAML: {_yaml_problem(exc)}") from None
    decoded = []
    for index, doc in enumerate(raw, start=1):
        try:
            decoded.append(msgspec.convert(doc, type=many, builtin_types=(datetime.datetime, datetime.date)))
        except msgspec.ValidationError as exc:
            where = f" (document {index})" if len(raw) > 1 else ""
            raise InputError(f"{name}{where}: {exc}") from None
    return decoded


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """PyYAML's problem and position on one line ("mapping values are not allowed here (line 3, column 7)")."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        return f"{exc.problem}{where}"
    return " ".join(str(exc).split())
