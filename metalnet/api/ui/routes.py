"""The pages: ``/ui/`` (network tree), ``/ui/network/<id>``, ``/ui/ipam/`` (and one prefix's map), login.

Handlers translate only: they ask :class:`~metalnet.network.views.NetworkViews` and
:class:`~metalnet.ipam.occupancy.IpamReader` for every figure and hand the results to a template. No page
changes data; logging in and out only set or clear the session cookie.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from metalnet.api.auth import ANONYMOUS_ADMIN, Principal
from metalnet.api.context import ApiContext
from metalnet.api.errors import ForbiddenError, UnauthorizedError
from metalnet.api.exceptions import classify
from metalnet.api.ui.access import TOKEN_KEY, check_token, viewer
from metalnet.ipam.namespaces import ROOT_NAMESPACE
from metalnet.ipam.occupancy import IpamReader
from metalnet.network.views import PAGE_SIZE, NetworkViews

UI = "/ui"
#: the pages load only what metalnet serves; no inline script, no framing, no referrer leaking ids
SECURITY_HEADERS = (
    ResponseHeader(name="Content-Security-Policy",
                   value="default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                         "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="no-referrer"),
)
#: children listed below a parent (tree, IPAM page) and per page of a network's children; the rest is linked
CHILD_LIMIT = 50
#: longest search term, block or cursor read from a query string: longer than any id (256), CIDR or address,
#: so cutting there never hides a match
MAX_QUERY = 300


def _safe_next(target: str | None) -> str:
    """Only a path of the UI itself: a login must never redirect elsewhere."""
    if target and target.startswith(f"{UI}/") and not target.startswith("//") and "\\" not in target:
        return target
    return f"{UI}/"


def _login_redirect(request: Request[Any, Any, Any]) -> Redirect:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"{UI}/login?next={quote(target, safe='')}")


def _page(name: str, principal: Principal, context: dict[str, Any], status: int = 200) -> Template:
    context = {"viewer": principal, "logins": principal is not ANONYMOUS_ADMIN, **context}
    return Template(template_name=name, context=context, status_code=status)


def _clip(value: str | None) -> str | None:
    return None if value is None else value[:MAX_QUERY]


def ui_handlers(ctx: ApiContext) -> list[ControllerRouterHandler]:
    """The page handlers of one app."""
    networks = NetworkViews(ctx.storage)
    ipam = IpamReader(ctx.storage)
    auth = ctx.auth

    @get("/", name="ui:index")
    async def index(request: Request[Any, Any, Any], q: FromQuery[str] = "") -> Template | Redirect:
        principal = viewer(auth, request)
        if principal is None:
            return _login_redirect(request)
        term = _clip(q) or ""
        trees = await ctx.call(lambda: networks.tree(term, acting_for=principal.project,
                                                           child_limit=CHILD_LIMIT))
        name = "tree.html.j2" if request.query_params.get("fragment") == "tree" else "index.html.j2"
        return _page(name, principal, {"trees": trees, "q": term})

    @get("/network/{ident:str}", name="ui:network")
    async def network(
        request: Request[Any, Any, Any],
        ident: FromPath[str],
        block: FromQuery[str | None] = None,
        after: FromQuery[str | None] = None,
        before: FromQuery[str | None] = None,
        children: FromQuery[int] = 0,
    ) -> Template | Redirect:
        principal = viewer(auth, request)
        if principal is None:
            return _login_redirect(request)
        block, after, before = _clip(block), _clip(after), _clip(before)
        acting_for = principal.project  # the network layer decides what a project-bound viewer sees
        detail = await ctx.call(lambda: networks.detail(ident, block, acting_for=acting_for, children_from=children,
                                                        child_limit=CHILD_LIMIT))
        page = await ctx.call(lambda: networks.ips_page(ident, acting_for=acting_for, after=after, before=before))
        return _page("network.html.j2", principal, {"detail": detail, "page": page, "page_size": PAGE_SIZE,
                                                     "child_limit": CHILD_LIMIT})

    @get("/ipam", name="ui:ipam")
    async def ipam_index(request: Request[Any, Any, Any]) -> Template | Redirect:
        principal = viewer(auth, request)
        if principal is None:
            return _login_redirect(request)
        # IPAM prefixes belong to no project: a project-bound token may not read them (as on the API)
        namespaces = None if principal.project is not None else await ctx.call(lambda: ipam.namespaces(CHILD_LIMIT))
        return _page("ipam.html.j2", principal, {"namespaces": namespaces})

    @get("/ipam/map", name="ui:ipam-map")
    async def ipam_map(
        request: Request[Any, Any, Any],
        cidr: FromQuery[str],
        namespace: FromQuery[str] = ROOT_NAMESPACE,
        block: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        principal = viewer(auth, request)
        if principal is None:
            return _login_redirect(request)
        principal.require_unbound()  # IPAM prefixes belong to no project
        cidr, block, namespace = _clip(cidr) or "", _clip(block), _clip(namespace) or ROOT_NAMESPACE
        found = await ctx.call(lambda: ipam.occupancy(cidr, block, namespace=namespace))
        return _page("ipam_map.html.j2", principal, {"map": found, "namespace": namespace})

    @get("/login", name="ui:login")
    async def login_page(request: Request[Any, Any, Any], next: FromQuery[str] = "") -> Template | Redirect:
        if not auth.enabled:
            return Redirect(f"{UI}/")
        return Template(template_name="login.html.j2", context={"next": _safe_next(next), "error": ""})

    @post("/login", name="ui:login-submit", status_code=303)
    async def login(
        request: Request[Any, Any, Any],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:
        target = _safe_next(data.get("next"))
        if not auth.enabled:
            return Redirect(target, status_code=303)
        token = data.get("token", "").strip()
        try:
            check_token(auth, token)
        except (UnauthorizedError, ForbiddenError):
            return Template(template_name="login.html.j2", status_code=401,
                            context={"next": target, "error": "This token is not valid here."})
        request.set_session({TOKEN_KEY: token})
        return Redirect(target, status_code=303)

    @post("/logout", name="ui:logout", status_code=303)
    async def logout(request: Request[Any, Any, Any]) -> Redirect:
        request.clear_session()
        return Redirect(f"{UI}/login" if auth.enabled else f"{UI}/", status_code=303)

    return [index, network, ipam_index, ipam_map, login_page, login, logout]


def error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Errors of a page as a page: the status and message the API would answer, never a traceback."""
    if isinstance(exc, NotFoundException):
        status, message = 404, "There is no such page."
    else:
        status, message, _ = classify(request.scope["path"], request.method, exc)
    return Template(template_name="error.html.j2", status_code=status,
                    context={"status": status, "message": message},
                    headers={"Cache-Control": "no-store", **{h.name: h.value or "" for h in SECURITY_HEADERS}})
