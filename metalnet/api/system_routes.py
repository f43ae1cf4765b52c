"""``/v1/health``, ``/v1/version`` and ``/metrics`` (open to everyone: they carry no secrets)."""

from __future__ import annotations

import msgspec
from litestar import Response, get
from litestar.handlers import HTTPRouteHandler

from metalnet.api.context import ApiContext
from metalnet.api.metrics import CONTENT_TYPE


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

    @get("/v1/health", operation_id="health", tags=["health"])
    async def health() -> Response[HealthResponse]:
        """Healthy when the database answers a read."""
        try:
            await ctx.call(ctx.storage.ping)
        except Exception as exc:  # any failure of the store means unhealthy, reported as such
            db = HealthResponse("unhealthy", f"{ctx.storage.name}: {exc}")
            return Response(HealthResponse("unhealthy", "database unavailable", {"database": db}), status_code=503)
        db = HealthResponse("healthy", f"{ctx.storage.name} answers")
        return Response(HealthResponse("healthy", "all services are healthy", {"database": db}), status_code=200)

    @get("/v1/version", operation_id="info", tags=["version"])
    async def version_info() -> VersionResponse:
        return version

    @get("/metrics", operation_id="metrics", tags=["metrics"], include_in_schema=False)
    async def metrics() -> Response[bytes]:
        body = await ctx.call(ctx.metrics.render)
        return Response(body, media_type=CONTENT_TYPE)

    return [health, version_info, metrics]
