"""Settings of the API server: credentials, limits and version information.

Settings are plain frozen data built by the caller: from the server's configuration
(:meth:`metalnet.api.config.ServerConfig.app_settings`, what every entry point and worker uses) or by a test.
Secrets live only here and are never part of ``repr`` or a log line.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from metalnet.history.retention import HistorySettings

#: largest accepted request body; a bigger one is answered 413 (before it is read, when it is declared)
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
#: seconds a request may take to send its body after its headers; then 408
DEFAULT_BODY_TIMEOUT = 30.0
#: seconds an Idempotency-Key and its answer are kept (the IETF draft suggests at least 24 hours)
DEFAULT_IDEMPOTENCY_TTL = 24 * 3600.0
#: seconds from a request's arrival by which its storage work commits (shorter than any client's usual timeout)
DEFAULT_REQUEST_DEADLINE = 10.0


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
        body_timeout: seconds a request may take to send its body after its headers (then 408).
        history: whether changes are recorded, and for how long (``--history*`` / ``METALNET_HISTORY*``,
            read by :func:`metalnet.api.config.load_config`; docs/history.md).
        idempotency_ttl: seconds an ``Idempotency-Key`` and its answer are kept (``METALNET_IDEMPOTENCY_TTL``).
        request_deadline: seconds from a request's arrival by which its storage work commits or is rolled
            back and answered 503 (:mod:`metalnet.storage.deadlines`).
    """

    hmac_keys: Mapping[Role, str] = field(default_factory=dict, repr=False)
    tokens: tuple[ApiToken, ...] = field(default=(), repr=False)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    version: str = "0.1.0"
    request_log: bool = True
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    history: HistorySettings = field(default_factory=HistorySettings)
    idempotency_ttl: float = DEFAULT_IDEMPOTENCY_TTL
    request_deadline: float = DEFAULT_REQUEST_DEADLINE

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
        body_timeout: float = DEFAULT_BODY_TIMEOUT,
        idempotency_ttl: float = DEFAULT_IDEMPOTENCY_TTL,
        request_deadline: float = DEFAULT_REQUEST_DEADLINE,
        history: HistorySettings | None = None,
    ) -> Settings:
        """Settings from role names and token specs as the CLI and environment give them.

        Raises:
            ValueError: an unknown role name or a malformed token spec.
        """
        keys = {Role.parse(name): key for name, key in (hmac_keys or {}).items() if key}
        parsed = tuple(t if isinstance(t, ApiToken) else ApiToken.parse(t) for t in tokens if t)
        return cls(hmac_keys=keys, tokens=parsed, max_body_bytes=max_body_bytes, request_log=request_log,
                   body_timeout=body_timeout, idempotency_ttl=idempotency_ttl, request_deadline=request_deadline,
                   history=history or HistorySettings())

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The app settings the ``METALNET_*`` variables give (:func:`metalnet.api.config.load_config`).

        Raises:
            ValueError: a variable's value is unusable (:class:`~metalnet.api.config.ConfigError`).
        """
        from metalnet.api.config import load_config  # the loader builds Settings: imported late, no cycle

        return load_config(environ=os.environ if environ is None else environ).app_settings()
