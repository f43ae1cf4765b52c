"""The ``Idempotency-Key`` header on every mutating call of ``/v1`` and of the IPAM service.

Semantics (the IETF httpapi draft's): the first request with a key runs; a repeat with the same key, route,
body and caller gets the first one's status and body without changing anything; the same key with another
route, body or caller answers 422; a repeat that arrives while the first still runs *in the same server
process* answers 409 (across processes and workers the repeat waits for the first's commit on the key's lock
and then gets its answer). Keys are scoped per caller (two tenants may use the same key).

The key row is written by the storage transaction of the change itself (:mod:`metalnet.idempotency`): this
module only reads the header (:func:`read_key`, a ``before_request`` hook) and supplies the encoding of the
answer. What is stored is the operation's result — the record(s) a route renders, or the refusal it reports —
so the route renders the same status and body from it again. Server errors and outages are not stored.
"""

from __future__ import annotations

import contextvars
import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec
from litestar import Request

from metalnet import ipam
from metalnet.api import ipam_wire
from metalnet.api.errors import ApiError, BadRequestError
from metalnet.api.guards import principal_of
from metalnet.idempotency import DEFAULT_TTL, Guard, KeyReused, guarded
from metalnet.ipam import errors as ipam_errors
from metalnet.ipam.addresses import parse_address
from metalnet.network import IP, ErrorKind, Network, NetworkError, Partition, Project

T = TypeVar("T")
HEADER = "Idempotency-Key"
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: the draft leaves the form open; a bounded, printable key keeps the key rows small and the logs readable
MAX_KEY_LENGTH = 255
#: read-only RPCs of the IPAM service (POST, but they change nothing: no key needed)
_READS = frozenset({"GetPrefix", "ListPrefixes", "PrefixUsage", "Dump", "ListNamespaces", "Version"})

_current: contextvars.ContextVar[Guard | None] = contextvars.ContextVar("metalnet_idempotency", default=None)

#: the results a write may return, by name: what a stored answer is decoded into again
_RESULTS: dict[str, type[Any]] = {
    kind.__name__: kind for kind in (IP, Network, Partition, Project)
} | {
    name: kind for name, kind in vars(ipam_wire).items()
    if isinstance(kind, type) and issubclass(kind, ipam_wire.Message) and kind is not ipam_wire.Message
}
_IPAM_ERRORS: dict[str, type[ipam_errors.IpamError]] = {
    name: kind for name, kind in vars(ipam_errors).items()
    if isinstance(kind, type) and issubclass(kind, ipam_errors.IpamError)
}
_API_ERRORS: dict[str, type[ApiError]] = {kind.__name__: kind for kind in ApiError.__subclasses__()}


class KeyInFlightError(ApiError):
    status = 409


class KeyReusedError(ApiError):
    status = 422


class _Answer(msgspec.Struct, omit_defaults=True):
    """A stored answer: a result (``type``, ``many``, ``data``) or a refusal (``error``, ``kind``, ``message``)."""

    type: str = ""
    many: bool = False
    data: Any = None
    error: str = ""
    kind: str = ""
    message: str = ""


def _ipam_prefix(data: dict[str, str]) -> ipam.Prefix:
    return ipam.Prefix(data["cidr"], data["parent_cidr"], data["namespace"])


def _ipam_ip(data: dict[str, str]) -> ipam.IP:
    version, value = parse_address(data["ip"])
    return ipam.IP(version, value, data["parent_prefix"])


#: the IPAM core's results (dataclasses holding objects msgspec does not encode): to and from plain fields
_IPAM_RESULTS: dict[str, tuple[type[Any], Callable[[Any], dict[str, str]], Callable[[Any], Any]]] = {
    "ipam.Prefix": (ipam.Prefix, lambda p: {"cidr": p.cidr, "parent_cidr": p.parent_cidr,
                                            "namespace": p.namespace}, _ipam_prefix),
    "ipam.IP": (ipam.IP, lambda i: {"ip": str(i), "parent_prefix": i.parent_prefix}, _ipam_ip),
}


def encode_result(result: object) -> str:
    many = isinstance(result, list)
    items: list[Any] = result if isinstance(result, list) else [] if result is None else [result]
    name = type(items[0]).__name__ if items else ""
    data: Any = result
    for ipam_name, (kind, to_fields, _) in _IPAM_RESULTS.items():
        if items and type(items[0]) is kind:
            name, data = ipam_name, [to_fields(item) for item in items] if many else to_fields(result)
            break
    else:
        if items and _RESULTS.get(name) is not type(items[0]):
            raise TypeError(f"no stored form for a result of type {name}")
    return msgspec.json.encode(_Answer(type=name, many=many, data=data)).decode()


def encode_error(exc: BaseException) -> str | None:
    """The stored form of a refusal, or ``None`` for a server error or an outage (those are not stored)."""
    if isinstance(exc, NetworkError):
        return msgspec.json.encode(_Answer(error="network", kind=exc.kind.value, message=exc.message)).decode()
    if isinstance(exc, ipam_errors.IpamError) and _IPAM_ERRORS.get(type(exc).__name__) is type(exc):
        return msgspec.json.encode(_Answer(error=type(exc).__name__, message=str(exc))).decode()
    if isinstance(exc, ApiError) and exc.status < 500 and _API_ERRORS.get(type(exc).__name__) is type(exc):
        return msgspec.json.encode(_Answer(error="api:" + type(exc).__name__, message=str(exc))).decode()
    return None


def decode_answer(text: str) -> Any:
    """The result a stored answer holds; a stored refusal is raised again."""
    answer = msgspec.json.decode(text, type=_Answer)
    if answer.error == "network":
        raise NetworkError(ErrorKind(answer.kind), answer.message)
    if answer.error.startswith("api:"):
        raise _API_ERRORS[answer.error[4:]](answer.message)
    if answer.error:
        raise _IPAM_ERRORS[answer.error](answer.message)
    if not answer.type:
        return [] if answer.many else None
    if answer.type in _IPAM_RESULTS:
        decode = _IPAM_RESULTS[answer.type][2]
        return [decode(item) for item in answer.data] if answer.many else decode(answer.data)
    kind = _RESULTS[answer.type]
    return msgspec.convert(answer.data, list[kind] if answer.many else kind)  # type: ignore[valid-type]


def _check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise BadRequestError(
            f"invalid {HEADER} {key[:40]!r}: expected 1 to {MAX_KEY_LENGTH} printable ASCII characters")
    return key


async def read_key(request: Request[Any, Any, Any], ttl: float = DEFAULT_TTL) -> None:
    """``before_request``: the guard of a mutating request carrying the header, for :func:`run_once`."""
    _current.set(None)
    key = request.headers.get(HEADER)
    if key is None or request.method not in MUTATING or request.url.path.rsplit("/", 1)[-1] in _READS:
        return
    principal = principal_of(request)
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.url.path.encode(), (request.url.query or "").encode()):
        digest.update(part + b"\0")
    digest.update(await request.body())
    scope = f"{principal.name}@{principal.project or ''}"
    _current.set(Guard(scope, _check_key(key), digest.hexdigest(), encode_result, encode_error, decode_answer, ttl))


def active() -> bool:
    """Whether the current request carries a key (its write must not join a shared batch)."""
    return _current.get() is not None


class InFlight:
    """The keys whose first request runs in this process now (a repeat answers 409 instead of waiting)."""

    def __init__(self) -> None:
        self._running: set[tuple[str, str]] = set()

    async def run_once(self, run: Callable[[Callable[[], T]], Any], fn: Callable[[], T]) -> T:
        """``run(fn)`` (one of the context's ways to leave the loop) under the current request's key, if any."""
        guard = _current.get()
        if guard is None:
            result: T = await run(fn)
            return result
        ident = (guard.scope, guard.key)
        if ident in self._running:
            raise KeyInFlightError(f"a request with {HEADER} {guard.key!r} is still running; retry later")
        self._running.add(ident)

        def keyed() -> T:
            with guarded(guard):
                return fn()

        try:
            result = await run(keyed)
        except KeyReused as exc:
            raise KeyReusedError(str(exc)) from None
        finally:
            self._running.discard(ident)
        return result
