"""Settings of the API server: credentials, limits and version information.

Settings are plain frozen data built by the caller (the CLI, :mod:`metalnet.api.asgi` from ``METALNET_*``
environment variables, or a test). Secrets live only here and are never part of ``repr`` or a log line.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

#: largest accepted request body; bigger bodies are answered with 413
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class Role(enum.IntEnum):
    """What a caller may do; a higher role includes every lower one."""

    VIEW = 1
    EDIT = 2
    ADMIN = 3

    @classmethod
    def parse(cls, text: str) -> Role:
        """The role named ``text`` (``view``, ``edit`` or ``admin``, any case)."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown role {text!r}: use view, edit or admin") from None


@dataclass(frozen=True)
class ApiToken:
    """A bearer token granting ``role``, optionally only for the resources of one project."""

    token: str = field(repr=False)
    role: Role
    project: str | None = None

    @classmethod
    def parse(cls, spec: str) -> ApiToken:
        """Parse ``ROLE[@PROJECT]:TOKEN``; the token is everything after the first ``:``.

        Raises:
            ValueError: the spec is malformed (the message never contains the token).
        """
        head, sep, token = spec.partition(":")
        if not sep or not token:
            raise ValueError(f"malformed token spec starting with {head[:12]!r}: expected ROLE[@PROJECT]:TOKEN")
        role_text, _, project = head.partition("@")
        return cls(token=token, role=Role.parse(role_text), project=project or None)


@dataclass(frozen=True)
class Settings:
    """Everything the app needs besides its storage.

    Attributes:
        hmac_keys: the HMAC key per role (metal-api's Metal-View / Metal-Edit / Metal-Admin users).
        tokens: the accepted bearer tokens.
        max_body_bytes: request bodies larger than this are refused with 413.
        version: reported by ``/v1/version`` and the IPAM service's ``Version``.
        request_log: emit one log line per request.
        fast_path: serve ``POST /v1/ip/allocate`` by :mod:`metalnet.api.hotpath` instead of Litestar.
        idempotency_ttl: seconds an ``Idempotency-Key`` and its answer are kept (``METALNET_IDEMPOTENCY_TTL``).
    """

    hmac_keys: Mapping[Role, str] = field(default_factory=dict, repr=False)
    tokens: tuple[ApiToken, ...] = field(default=(), repr=False)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    version: str = "0.1.0"
    request_log: bool = True
    fast_path: bool = True
    idempotency_ttl: float = 24 * 3600.0

    @property
    def auth_enabled(self) -> bool:
        """Whether any credential is configured; without one every request is admin (loopback only)."""
        return bool(self.hmac_keys) or bool(self.tokens)

    @classmethod
    def build(
        cls,
        hmac_keys: Mapping[str, str | None] | None = None,
        tokens: Iterable[str | ApiToken] = (),
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        request_log: bool = True,
    ) -> Settings:
        """Settings from role names and token specs as the CLI and environment give them.

        Raises:
            ValueError: an unknown role name or a malformed token spec.
        """
        keys = {Role.parse(name): key for name, key in (hmac_keys or {}).items() if key}
        parsed = tuple(t if isinstance(t, ApiToken) else ApiToken.parse(t) for t in tokens if t)
        return cls(hmac_keys=keys, tokens=parsed, max_body_bytes=max_body_bytes, request_log=request_log)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``METALNET_HMAC_{VIEW,EDIT,ADMIN}_KEY``, ``METALNET_TOKENS``, ``METALNET_MAX_BODY_BYTES``."""
        env = os.environ if environ is None else environ
        keys = {role: env.get(f"METALNET_HMAC_{role.upper()}_KEY") for role in ("view", "edit", "admin")}
        tokens = [spec.strip() for spec in env.get("METALNET_TOKENS", "").split(",") if spec.strip()]
        max_body = int(env.get("METALNET_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))
        log = env.get("METALNET_REQUEST_LOG", "1") not in ("0", "false", "no")
        settings = cls.build(keys, tokens, max_body_bytes=max_body, request_log=log)
        ttl = env.get("METALNET_IDEMPOTENCY_TTL")
        if ttl is None:
            return settings
        if not ttl.replace(".", "", 1).isdigit() or float(ttl) <= 0:
            raise ValueError(f"METALNET_IDEMPOTENCY_TTL={ttl!r}: expected a positive number of seconds")
        return replace(settings, idempotency_ttl=float(ttl))
