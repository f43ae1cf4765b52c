"""Health, ``/v1/version`` and ``/metrics`` (open to everyone: they carry no secrets).

- ``GET /v1/health`` is **readiness** (metal-api's path and shape): 200 while the store takes a write
  (:mod:`metalnet.api.readiness`), 503 otherwise (disk full, read-only, database down).
- ``GET /v1/health/liveliness`` is **liveness** (metal-api's path): 200 whenever the process serves
  requests, whatever the store does, so that an orchestrator does not restart a server a database outage
  cannot cure.

What went wrong with the store (its error text can name the database's user, host, port and name) is only
shown to an authenticated admin; everyone else learns that the database cannot take a write.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec

from metalnet.api.auth import Authenticator
from metalnet.api.context import ApiContext
from metalnet.api.errors import ApiError
from metalnet.api.metrics import CONTENT_TYPE
from metalnet.api.readiness import WriteProbe
from metalnet.api.settings import Role


class HealthResponse(msgspec.Struct):
    """metal-api's ``rest.HealthResponse``."""

    status: str
    message: str
    services: dict[str, HealthResponse] = msgspec.field(default_factory=dict)


class VersionResponse(msgspec.Struct):
    """metal-api's ``rest.Version``."""

    name: str
    version: str
    revision: str
    gitsha1: str
    builddate: str
    min_client_version: str


def system_handlers(ctx: ApiContext) -> list[HTTPRouteHandler]:
    version = VersionResponse(
        name="metalnet", version=ctx.settings.version, revision="", gitsha1="", builddate="", min_client_version=""
    )

    # a serial-write store's probe queues with its writes on the store's thread (abandoned, not awaited, at the
    # timeout); any other store's runs in a worker thread the probe abandons itself
    probe = WriteProbe(ctx.storage, offload=ctx.offload, run=ctx.write if ctx.writer is not None else None)

    @get("/v1/health", operation_id="health", tags=["health"], summary="Readiness",
         responses={503: ResponseSpec(data_container=HealthResponse, description="The database cannot take a write")})
    async def health(request: Request[Any, Any, Any]) -> Response[HealthResponse]:
        """Readiness: healthy (200) while the database takes a write, unhealthy (503) otherwise."""
        found = await probe.check()
        admin = _is_admin(ctx.auth, request)
        if found.ok:
            db = HealthResponse("healthy", f"{ctx.storage.name}: {found.detail}" if admin else "takes writes")
            return Response(HealthResponse("healthy", "all services are healthy", {"database": db}), status_code=200)
        db = HealthResponse("unhealthy", f"{ctx.storage.name}: {found.detail}" if admin else "cannot take a write")
        return Response(HealthResponse("unhealthy", "database cannot take a write", {"database": db}),
                        status_code=503)

    @get("/v1/health/liveliness", operation_id="liveliness", tags=["health"], summary="Liveness")
    async def liveliness() -> HealthResponse:
        """Liveness: 200 while the process serves requests (the database is not asked)."""
        return HealthResponse("healthy", "alive")

    @get("/v1/version", operation_id="info", tags=["version"])
    async def version_info() -> VersionResponse:
        return version

    @get("/metrics", operation_id="metrics", tags=["metrics"], include_in_schema=False)
    async def metrics() -> Response[bytes]:
        body = await ctx.call(ctx.metrics.render)
        return Response(body, media_type=CONTENT_TYPE)

    return [health, liveliness, version_info, metrics]


def _is_admin(auth: Authenticator, request: Request[Any, Any, Any]) -> bool:
    """Whether the caller authenticates as admin (health itself is open, so no credentials is no error)."""
    headers = request.headers
    try:
        principal = auth.authenticate(request.method, headers.get("authorization"), headers.get("x-date"),
                                      headers.get("x-data-salt"))
    except ApiError:
        return False
    return principal.role >= Role.ADMIN and principal.project is None
