"""Who looks at a page: the token kept in the UI's session cookie, checked like an API bearer token.

With credentials configured, a visitor types a bearer token into the login page; it is kept in Litestar's
client-side session cookie (AES-GCM: encrypted and signed, HttpOnly, SameSite=Strict, path ``/ui``) and
checked by the API's :class:`~metalnet.api.auth.Authenticator` on every page, so a token removed from the
configuration stops working at once. The cookie key is derived from the configured credentials: every
worker process of one server accepts the same cookies, and changing the credentials ends every session.
Without credentials (loopback only) every visitor is the anonymous admin and no cookie is set.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import Any

from litestar import Request
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.types import ASGIApp

from metalnet.api.auth import ANONYMOUS_ADMIN, Authenticator, Principal
from metalnet.api.errors import ForbiddenError, UnauthorizedError
from metalnet.api.settings import Role, Settings

TOKEN_KEY = "token"  # noqa: S105 - the name of the session entry, not a secret
COOKIE_NAME = "metalnet-ui"
#: a session lasts a working day; the token is checked again on every page all the same
SESSION_SECONDS = 8 * 3600


def session_secret(settings: Settings) -> bytes:
    """32 bytes for the cookie cipher, derived from every configured secret (random when there is none)."""
    if not settings.auth_enabled:
        return os.urandom(32)
    digest = hashlib.sha256(b"metalnet ui session cookie v1\0")
    for token in sorted(t.token for t in settings.tokens):
        digest.update(token.encode() + b"\0")
    for role in sorted(settings.hmac_keys):
        digest.update(f"{role.name}={settings.hmac_keys[role]}\0".encode())
    return digest.digest()


def session_config(settings: Settings) -> CookieBackendConfig:
    return CookieBackendConfig(
        secret=session_secret(settings), key=COOKIE_NAME, path="/ui", max_age=SESSION_SECONDS, httponly=True,
        samesite="strict",
    )


def session_middleware(settings: Settings) -> Callable[[ASGIApp], ASGIApp]:
    """The session middleware as a factory: Litestar deep-copies routers when it registers them, and the
    cookie cipher inside the middleware cannot be copied (a closure is kept as it is)."""
    middleware = session_config(settings).middleware

    def wrap(app: ASGIApp) -> ASGIApp:
        return middleware(app)

    return wrap


def check_token(authenticator: Authenticator, token: str) -> Principal:
    """The principal of a bearer ``token`` with at least the view role.

    Raises:
        UnauthorizedError: unknown token.
        ForbiddenError: not possible today (every role includes view), kept so a future role below view fails.
    """
    principal = authenticator.authenticate("GET", f"Bearer {token}", None, None)
    principal.require(Role.VIEW)
    return principal


def viewer(authenticator: Authenticator, request: Request[Any, Any, Any]) -> Principal | None:
    """Who is looking at this page; ``None`` when they have to log in (no session, or a dead token)."""
    if not authenticator.enabled:
        return ANONYMOUS_ADMIN
    token = request.session.get(TOKEN_KEY) if request.session else None
    if not isinstance(token, str) or not token:
        return None
    try:
        return check_token(authenticator, token)
    except (UnauthorizedError, ForbiddenError):
        request.clear_session()
        return None
