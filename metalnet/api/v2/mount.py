"""Every service of ``metalstack.api.v2`` and ``metalstack.admin.v2`` as Connect ASGI apps, and their mount.

The generated ``*_connect`` modules of the ``metal-stack-api`` wheel are walked: a service metalnet
implements gets its class, every other one a bare subclass of its generated protocol, whose methods answer
``unimplemented``. One interceptor runs the pipeline metal-stack's server runs before each handler —
authenticate, authorize from the method's options, validate with protovalidate — and afterwards maps
network-layer errors to Connect codes and counts the call in ``/metrics``.

:class:`V2Router` gives one Litestar mount per service path (``/metalstack.api.v2.NetworkService``), so
the same server and port answer ``POST /metalstack.{api,admin}.v2.<Service>/<Method>``; a method the
wheel does not know (the external-member RPCs, newer ones) answers ``unimplemented``, not 404.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import protovalidate
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from connectrpc.request import RequestContext
from connectrpc.server import ConnectASGIApplication
from google.protobuf import descriptor_pool
from google.protobuf.message import Message
from litestar import asgi
from litestar.handlers import ASGIRouteHandler

from metalnet.api.context import ApiContext
from metalnet.api.v2 import ips, networks, resources
from metalnet.api.v2.access import CURRENT, authenticate, authorize
from metalnet.api.v2.codes import connect_error
from metalnet.api.v2.runtime import Runtime
from metalnet.network.errors import NetworkError

PACKAGES = ("metalstack.api.v2", "metalstack.admin.v2")
Implementation = Callable[[Runtime], object]
IMPLEMENTED: dict[str, Implementation] = {
    "metalstack.api.v2.NetworkService": networks.Networks,
    "metalstack.admin.v2.NetworkService": networks.AdminNetworks,
    "metalstack.api.v2.IPService": ips.IPs,
    "metalstack.admin.v2.IPService": ips.AdminIPs,
    "metalstack.api.v2.PartitionService": resources.Partitions,
    "metalstack.admin.v2.PartitionService": resources.AdminPartitions,
    "metalstack.api.v2.ProjectService": resources.Projects,
    "metalstack.admin.v2.ProjectService": resources.AdminProjects,
    "metalstack.api.v2.HealthService": resources.Health,
    "metalstack.api.v2.VersionService": resources.Version,
}
_validator = protovalidate.Validator()


def validation_message(error: protovalidate.ValidationError) -> str:
    """metal-stack's text: ``validation error: <path>: <message>``, or one line per violation."""
    lines = []
    for violation in error.violations:
        parts = []
        elements: list[Any] = list(violation.proto.field.elements) if violation.proto.field is not None else []
        for element in elements:
            part = element.field_name
            # a list index or map key, when the violation is about one element (a oneof of the element)
            subscript = getattr(element, "subscript", None)
            if subscript is not None:
                part += f"[{getattr(subscript, 'value', subscript)}]"
            parts.append(part)
        lines.append(f"{'.'.join(parts)}: {violation.proto.message}")
    if len(lines) == 1:
        return f"validation error: {lines[0]}"
    return "validation errors:" + "".join(f"\n - {line}" for line in lines)


def _subject(request: Message) -> str:
    field = request.DESCRIPTOR.fields_by_name.get("project")
    if field is None or field.type != field.TYPE_STRING:
        return ""
    value: str = getattr(request, "project")  # noqa: B009 - a field of a generated message
    return value


class Pipeline:
    """The unary interceptor of every v2 app (see the module docstring)."""

    def __init__(self, ctx: ApiContext, *, validate: bool = True) -> None:
        self.ctx = ctx
        # a service metalnet does not implement answers unimplemented whatever its request holds
        self.validate = validate
        self._counters: dict[tuple[str, str, str], Any] = {}

    async def intercept_unary(
        self, call_next: Callable[[Any, RequestContext[Any, Any]], Awaitable[Any]], request: Any,
        ctx: RequestContext[Any, Any],
    ) -> Any:
        method = ctx.method()
        code = "ok"
        try:
            path = f"/{method.service_name}/{method.name}"
            grant = authenticate(self.ctx.auth, ctx.request_headers().get("authorization"))
            authorize(path, grant, _subject(request))
            CURRENT.set(grant)
            try:
                if self.validate:
                    _validator.validate(request)
            except protovalidate.ValidationError as exc:
                raise ConnectError(Code.INVALID_ARGUMENT, validation_message(exc)) from None
            try:
                return await call_next(request, ctx)
            except NetworkError as exc:
                raise connect_error(exc) from None
        except ConnectError as exc:
            code = exc.code.value
            raise
        except Exception:
            code = Code.INTERNAL.value
            raise
        finally:
            self.ctx.metrics.v2_call(method.service_name, method.name, code)


def _generated() -> Iterator[tuple[str, Any, type]]:
    """(service name, ASGI application class, service protocol) of every generated service."""
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.iter_modules(module.__path__):
            if not info.name.endswith("_connect"):
                continue
            generated = importlib.import_module(f"{package}.{info.name}")
            for name, app_class in vars(generated).items():
                defined_here = getattr(app_class, "__module__", None) == generated.__name__
                if name.endswith("ASGIApplication") and isinstance(app_class, type) and defined_here:
                    service = name.removesuffix("ASGIApplication")
                    yield f"{package}.{service}", app_class, getattr(generated, service)


def connect_apps(ctx: ApiContext) -> dict[str, ConnectASGIApplication[Any]]:
    """Service path (``/metalstack.api.v2.NetworkService``) → its Connect app."""
    runtime = Runtime.of(ctx)
    pipelines = {True: Pipeline(ctx), False: Pipeline(ctx, validate=False)}
    apps: dict[str, ConnectASGIApplication[Any]] = {}
    for full_name, app_class, protocol in _generated():
        factory = IMPLEMENTED.get(full_name)
        # a subclass of the generated protocol inherits its "unimplemented" answer for every method
        service = factory(runtime) if factory else type(protocol.__name__, (protocol,), {})()
        app = app_class(service, interceptors=[pipelines[factory is not None]],
                        read_max_bytes=ctx.settings.max_body_bytes)
        apps[app.path] = app
    return apps


async def _unimplemented(path: str, send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
    body = ConnectError(Code.UNIMPLEMENTED, f"{path} is not implemented")
    payload = b'{"code":"unimplemented","message":"' + body.message.encode().replace(b'"', b"'") + b'"}'
    await send({"type": "http.response.start", "status": 501,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": payload})


def _sized(send: Callable[[dict[str, Any]], Awaitable[None]]) -> Callable[[dict[str, Any]], Awaitable[None]]:
    """Give a one-piece response a Content-Length: Connect's unary answers come in one body message, and
    without the length the server would frame them chunked (more bytes, more work for every client)."""
    held: dict[str, Any] | None = None

    async def sized(message: dict[str, Any]) -> None:
        nonlocal held
        if message["type"] == "http.response.start":
            held = message
            return
        if held is not None:
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                length = str(len(message.get("body", b""))).encode()
                held = {**held, "headers": [*held.get("headers", ()), (b"content-length", length)]}
            await send(held)
            held = None
        await send(message)

    return sized


ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]


class V2Router:
    """The Connect apps by service path, served through one Litestar mount per service.

    The mounts keep the v2 paths part of the Litestar app: its limits, metrics and request log cover them.
    """

    def __init__(self, apps: dict[str, ConnectASGIApplication[Any]]) -> None:
        self.apps = apps
        self.known = {
            f"{prefix}/{method.name}"
            for prefix in apps
            for method in descriptor_pool.Default().FindServiceByName(prefix.strip("/")).methods
        }

    @classmethod
    def build(cls, ctx: ApiContext) -> V2Router:
        return cls(connect_apps(ctx))

    async def serve(self, prefix: str, path: str, scope: Any, receive: Any, send: Any) -> None:
        # in place: the request log and the HTTP metrics read the same scope afterwards
        scope["path"], scope["root_path"], scope["path_template"] = path, "", prefix + "/{method}"
        if path not in self.known:
            await _unimplemented(path, send)
            return
        await self.apps[prefix](scope, receive, _sized(send))

    def mounts(self) -> list[ASGIRouteHandler]:
        """One Litestar mount per service; each hands the request to its Connect app with the full path."""

        def mount(prefix: str) -> ASGIRouteHandler:
            async def service(scope: Any, receive: Any, send: Any) -> None:
                # Litestar hands a mount the rest of the path; Connect routes on the whole of it
                await self.serve(prefix, prefix + scope["path"].rstrip("/"), scope, receive, send)

            return asgi(prefix, is_mount=True, copy_scope=False, name=prefix.strip("/"))(service)

        return [mount(prefix) for prefix in self.apps]
