"""A read-only web UI in the API process: the network tree, a network's prefixes and IPs, IPAM usage.

Server-rendered Jinja templates (Litestar's template engine, autoescaping on) with one stylesheet and one
small script, all served from this package: no build step, nothing fetched from elsewhere. Every figure is
read from :mod:`metalnet.network.views` and :mod:`metalnet.ipam.occupancy`; see :mod:`.access` for logins.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from metalnet.api.context import ApiContext
from metalnet.api.ui.access import session_middleware
from metalnet.api.ui.format import FILTERS, GLOBALS
from metalnet.api.ui.routes import SECURITY_HEADERS, UI, error_page, ui_handlers

HERE = Path(__file__).resolve().parent
def ui_templates() -> TemplateConfig[JinjaTemplateEngine]:
    """The app's template config: the UI's templates with autoescaping and the figure filters."""
    environment = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True,
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters.update(FILTERS)
    environment.globals.update(GLOBALS)
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


def ui_router(ctx: ApiContext) -> Router:
    """``/ui/…`` pages and ``/ui/static/…`` assets, with the session cookie and HTML error pages."""
    static = create_static_files_router(path="/static", directories=[HERE / "static"], name="ui:static",
                                        cache_control=CacheControlHeader(max_age=3600), include_in_schema=False)
    return Router(
        path=UI,
        route_handlers=[*ui_handlers(ctx), static],
        middleware=[session_middleware(ctx.settings)],
        exception_handlers={Exception: error_page},
        response_headers=list(SECURITY_HEADERS),
        cache_control=CacheControlHeader(no_store=True),  # pages hold what a token may read: never cached
        include_in_schema=False,
    )


__all__ = ["ui_router", "ui_templates"]
