"""The app factory: ``create_app(storage, settings)`` builds a Litestar app around an open storage."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from metalnet.api.context import ApiContext
from metalnet.api.exceptions import handle_exception
from metalnet.api.guards import access_check
from metalnet.api.idempotency import read_key
from metalnet.api.ipam_service import ipam_service_handlers
from metalnet.api.limits import with_limits
from metalnet.api.settings import Settings
from metalnet.api.system_routes import system_handlers
from metalnet.api.telemetry import instrument
from metalnet.api.ui import ui_router, ui_templates
from metalnet.api.v1_bulk import bulk_handlers
from metalnet.api.v1_events import event_handlers
from metalnet.api.v1_ips import ip_handlers
from metalnet.api.v1_networks import network_handlers
from metalnet.api.v1_resources import partition_handlers, project_handlers
from metalnet.api.v2 import V2Router
from metalnet.history.retention import Pruner
from metalnet.storage.base import Storage

#: where the OpenAPI document is served (``/schema/openapi.json``, ``/schema/openapi.yaml``, viewers)
SCHEMA_PATH = "/schema"


def _openapi(settings: Settings) -> OpenAPIConfig:
    return OpenAPIConfig(
        title="metalnet",
        version=settings.version,
        path=SCHEMA_PATH,
        description="metal-api-compatible /v1 networks and IPs, and go-ipam's api.v1.IpamService over JSON.",
        components=Components(
            security_schemes={
                "HMAC": SecurityScheme(type="apiKey", name="Authorization", security_scheme_in="header",
                                       description="metal-api HMAC: '<Metal-View|Metal-Edit|Metal-Admin> <hex>'"),
                "jwt": SecurityScheme(type="http", scheme="bearer"),
            }
        ),
        security=[{"HMAC": []}, {"jwt": []}],
    )


def _before(ctx: ApiContext, settings: Settings) -> Callable[[Request[Any, Any, Any]], Awaitable[None]]:
    """Authentication first, then the Idempotency-Key (scoped to the caller it authenticated)."""
    check = access_check(ctx.auth)

    async def before(request: Request[Any, Any, Any]) -> None:
        await check(request)
        await read_key(request, settings.idempotency_ttl)

    return before


def create_app(storage: Storage, settings: Settings | None = None) -> Litestar:
    """A Litestar app serving ``storage``; the caller keeps ownership of the storage and closes it.

    Args:
        storage: an open store (see :func:`metalnet.storage.open_storage`).
        settings: credentials and limits; the default has no credentials (authentication off).
    """
    settings = settings or Settings()
    ctx = ApiContext.build(storage, settings)
    v2 = V2Router.build(ctx)
    pruner = Pruner(storage, settings.history)
    app = Litestar(
        route_handlers=[
            *system_handlers(ctx), *network_handlers(ctx), *ip_handlers(ctx), *partition_handlers(ctx),
            *project_handlers(ctx), *ipam_service_handlers(ctx), *bulk_handlers(ctx), ui_router(ctx), *v2.mounts(),
            *event_handlers(ctx),
        ],
        template_config=ui_templates(),
        # the history's retention, in the background of every worker (docs/history.md)
        on_startup=[pruner.start] if settings.history.enabled else [],
        on_shutdown=[pruner.stop],
        before_request=_before(ctx, settings),
        exception_handlers={Exception: handle_exception},
        openapi_config=_openapi(settings),
        request_max_body_size=settings.max_body_bytes,
        logging_config=None,
    )
    ctx.metrics.add_pool_collector(
        lambda: {family: msgspec.structs.asdict(usage) for family, usage in ctx.networks.pool_usage().items()})
    app.state.metalnet = ctx
    # in front of routing (as Litestar middleware it cost ~30 µs per request more): every request is measured
    # and logged, then refused early when its declared body is too large or its body too slow
    # and each runs under its deadline from its arrival on (the body's time counts too)
    limited = with_limits(app.asgi_handler, max_body_bytes=settings.max_body_bytes, body_timeout=settings.body_timeout,
                          request_deadline=settings.request_deadline)
    app.asgi_handler = instrument(limited, ctx.metrics, log_requests=settings.request_log)
    return app
