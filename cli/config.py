"""Where the CLI finds the API and its credentials: flags > environment > config file > default.

The config file (``~/.metalnet/config.yaml``, or ``--config`` / ``METALNET_CONFIG``) holds named contexts::

    current: lab
    contexts:
      lab:
        url: http://127.0.0.1:8080
        hmac: change-me
        hmac_user: Metal-Edit
      prod:
        url: https://metalnet.example.com
        token: s3cret

The URL is taken from the first source that sets one. Credentials are taken as a unit from the first source
that gives any (so ``--token`` on the command line overrides an HMAC key in the file); when one source gives
both a token and an HMAC key the HMAC key wins, as in metalctl.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
import msgspec.yaml

from cli.errors import ConfigError

DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_HMAC_USER = "Metal-Admin"
HMAC_USERS = ("Metal-View", "Metal-Edit", "Metal-Admin")


class ContextConfig(msgspec.Struct, forbid_unknown_fields=True):
    """One named context of the config file."""

    url: str | None = None
    token: str | None = None
    hmac: str | None = None
    hmac_user: str | None = None


class ConfigFile(msgspec.Struct, forbid_unknown_fields=True):
    """The config file: the current context and every context by name."""

    current: str | None = None
    contexts: dict[str, ContextConfig] = msgspec.field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    """What one source (flags, environment or a file context) says; ``None`` means "not set here"."""

    url: str | None = None
    token: str | None = field(default=None, repr=False)
    hmac: str | None = field(default=None, repr=False)
    hmac_user: str | None = None


@dataclass(frozen=True)
class Connection:
    """The resolved API endpoint and credentials.

    Attributes:
        url: the API's base URL without a trailing slash (requests go to ``<url>/v1/...``).
        token: a bearer token, or ``None``.
        hmac: an HMAC key (metal-api's scheme), or ``None``; wins over ``token``.
        hmac_user: the HMAC auth type / user (Metal-View, Metal-Edit or Metal-Admin).
        context: the name of the config-file context in use, if any.
    """

    url: str = DEFAULT_URL
    token: str | None = field(default=None, repr=False)
    hmac: str | None = field(default=None, repr=False)
    hmac_user: str = DEFAULT_HMAC_USER
    context: str | None = None


def default_config_path(environ: Mapping[str, str]) -> Path:
    """``METALNET_CONFIG`` or ``~/.metalnet/config.yaml``."""
    explicit = environ.get("METALNET_CONFIG")
    return Path(explicit) if explicit else Path.home() / ".metalnet" / "config.yaml"


def load_config_file(path: Path, *, required: bool) -> ConfigFile:
    """Read and validate the config file; a missing file is empty unless ``required``.

    Raises:
        ConfigError: the file is missing (when required), unreadable, or not a valid config.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if required:
            raise ConfigError(f"config file {path} does not exist") from None
        return ConfigFile()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    if not data.strip():
        return ConfigFile()
    try:
        return msgspec.yaml.decode(data, type=ConfigFile)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        first_line = str(exc).splitlines()[0]
        raise ConfigError(f"config file {path}: {first_line}") from None


def env_source(environ: Mapping[str, str]) -> Source:
    """The ``METALNET_URL`` / ``METALNET_TOKEN`` / ``METALNET_HMAC`` / ``METALNET_HMAC_USER`` variables."""
    return Source(
        url=environ.get("METALNET_URL") or None,
        token=environ.get("METALNET_TOKEN") or None,
        hmac=environ.get("METALNET_HMAC") or None,
        hmac_user=environ.get("METALNET_HMAC_USER") or None,
    )


def pick_context(config: ConfigFile, name: str | None, path: Path) -> tuple[str | None, Source]:
    """The named context (or the file's current one) as a :class:`Source`.

    Raises:
        ConfigError: the context is not defined in the file.
    """
    chosen = name or config.current
    if chosen is None:
        return None, Source()
    ctx = config.contexts.get(chosen)
    if ctx is None:
        known = ", ".join(sorted(config.contexts)) or "none"
        raise ConfigError(f"context {chosen!r} is not defined in {path} (defined: {known})")
    return chosen, Source(url=ctx.url, token=ctx.token, hmac=ctx.hmac, hmac_user=ctx.hmac_user)


def resolve(flags: Source, environ: Mapping[str, str] | None = None, *, config_path: Path | None = None,
            context: str | None = None) -> Connection:
    """Combine flags, environment and the config file into one :class:`Connection`.

    Args:
        flags: what the command line says.
        environ: the environment (``os.environ`` when omitted).
        config_path: an explicit config file (``--config``); it must exist.
        context: an explicit context name (``--context``); ``METALNET_CONTEXT`` otherwise.

    Raises:
        ConfigError: the config file or context is unusable, or the URL or HMAC user is malformed.
    """
    env = os.environ if environ is None else environ
    path = config_path or default_config_path(env)
    required = config_path is not None or "METALNET_CONFIG" in env
    config = load_config_file(path, required=required)
    ctx_name, file_source = pick_context(config, context or env.get("METALNET_CONTEXT") or None, path)
    sources = (flags, env_source(env), file_source)
    url = next((s.url for s in sources if s.url), DEFAULT_URL)
    creds = next((s for s in sources if s.token or s.hmac), Source())
    hmac_user = next((s.hmac_user for s in sources if s.hmac_user), DEFAULT_HMAC_USER)
    return Connection(
        url=check_url(url),
        token=None if creds.hmac else creds.token,
        hmac=creds.hmac,
        hmac_user=check_hmac_user(hmac_user),
        context=ctx_name,
    )


def check_url(url: str) -> str:
    """``url`` without a trailing slash; it must be an http(s) URL.

    Raises:
        ConfigError: not an http:// or https:// URL.
    """
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"API URL {url!r} must start with http:// or https://")
    return url.rstrip("/")


def check_hmac_user(user: str) -> str:
    """The HMAC user, one of metal-api's three.

    Raises:
        ConfigError: an unknown user.
    """
    if user not in HMAC_USERS:
        raise ConfigError(f"HMAC user {user!r} is not one of {', '.join(HMAC_USERS)}")
    return user
