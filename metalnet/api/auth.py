"""Authentication (metal-api HMAC, bearer tokens) and role checks.

HMAC, as metal-python's ``Driver`` and metal-go send it::

    Authorization: Metal-Edit <hex HMAC-SHA256(key, X-Date + METHOD + X-Data-Salt)>
    X-Date: 2026-01-02T03:04:05Z
    X-Data-Salt: <random letters>

The body is not signed (neither is it in metal-api). A date older than the user's lifetime (30 s view/edit,
90 s admin) is refused; so is one further in the future than that lifetime (clock skew allowance).
Bearer: ``Authorization: Bearer <token>`` with a configured token.

Without any configured credential every caller is admin; :mod:`metalnet.api.server` only allows that on a
loopback address.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

from metalnet.api.errors import ForbiddenError, UnauthorizedError
from metalnet.api.settings import Role, Settings

#: HMAC user name -> (role, max age of X-Date in seconds)
HMAC_USERS: dict[str, tuple[Role, int]] = {
    "Metal-View": (Role.VIEW, 30),
    "Metal-Edit": (Role.EDIT, 30),
    "Metal-Admin": (Role.ADMIN, 90),
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role and, for project-bound tokens, the one project they may act on (``project``,
    which the routes pass to the network layer as ``acting_for``)."""

    name: str
    role: Role
    project: str | None = None

    def require(self, role: Role) -> None:
        """Raise :class:`ForbiddenError` unless this principal has at least ``role``."""
        if self.role < role:
            raise ForbiddenError(f"{self.name} has role {self.role.name.lower()}, this needs {role.name.lower()}")

    def require_unbound(self) -> None:
        """Raise :class:`ForbiddenError` when bound to a project: for resources that belong to no project.

        Resources of a project are decided by the network layer from their owner
        (:mod:`metalnet.network.access`, which refuses in the same words: the caller's own project only).
        """
        if self.project is not None:
            raise ForbiddenError(f'the caller may act on resources of project "{self.project}" only')


#: the one answer to an Authorization header of no known scheme; it repeats nothing of the header
UNKNOWN_SCHEME = "Authorization header needs a scheme: 'Bearer <token>' or 'Metal-View|Metal-Edit|Metal-Admin <hmac>'"

ANONYMOUS_ADMIN = Principal("anonymous (authentication off)", Role.ADMIN)


class Authenticator:
    """Turns request headers into a :class:`Principal` according to the configured credentials."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.auth_enabled
        self._hmac_keys = {
            user: (settings.hmac_keys[role].encode(), role, age)
            for user, (role, age) in HMAC_USERS.items()
            if role in settings.hmac_keys
        }
        # keyed by a digest so the lookup does not compare secrets byte by byte
        self._tokens = {hashlib.sha256(t.token.encode()).digest(): t for t in settings.tokens}

    def authenticate(
        self, method: str, authorization: str | None, date: str | None, salt: str | None, now: datetime | None = None
    ) -> Principal:
        """The caller of a request with these headers.

        Raises:
            UnauthorizedError: missing, malformed, unknown or expired credentials.
        """
        if not self.enabled:
            return ANONYMOUS_ADMIN
        if not authorization:
            raise UnauthorizedError("missing Authorization header (HMAC or Bearer token)")
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() == "bearer":
            return self._bearer(credential.strip())
        if scheme in HMAC_USERS:
            return self._hmac(scheme, credential.strip(), method, date, salt, now or datetime.now(UTC))
        # whatever came first may be the secret itself (a pasted token, "<secret> extra"): echo none of it
        raise UnauthorizedError(UNKNOWN_SCHEME)

    def _bearer(self, token: str) -> Principal:
        found = self._tokens.get(hashlib.sha256(token.encode()).digest())
        if found is None:
            raise UnauthorizedError("invalid bearer token")
        name = f"token:{found.role.name.lower()}" + (f"@{found.project}" if found.project else "")
        return Principal(name, found.role, found.project)

    def _hmac(
        self, user: str, signature: str, method: str, date: str | None, salt: str | None, now: datetime
    ) -> Principal:
        entry = self._hmac_keys.get(user)
        if entry is None:
            raise UnauthorizedError(f"no HMAC key configured for {user}")
        key, role, max_age = entry
        if not date or salt is None:
            raise UnauthorizedError("HMAC authentication needs the X-Date and X-Data-Salt headers")
        try:
            signed_at = datetime.fromisoformat(date)
        except ValueError:
            raise UnauthorizedError(f"X-Date {date[:40]!r} is not a timestamp like 2026-01-02T03:04:05Z") from None
        if signed_at.tzinfo is None:
            signed_at = signed_at.replace(tzinfo=UTC)
        age = (now - signed_at).total_seconds()
        if abs(age) > max_age:
            raise UnauthorizedError(f"X-Date {date!r} is outside the {max_age} s allowed for {user}")
        expected = hmac.new(key, (date + method + salt).encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature.lower()):
            raise UnauthorizedError(f"wrong HMAC for {user}")
        return Principal(user, role)
