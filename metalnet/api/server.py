"""Run the API under uvicorn: :func:`serve` (what ``metalnet serve`` and ``python -m metalnet.api`` call).

One worker serves an app built here; several workers are separate uvicorn processes that each build their
app from ``METALNET_*`` environment variables (:mod:`metalnet.api.asgi`) and share one database. uvicorn
finishes in-flight requests on SIGTERM/SIGINT before it exits.
"""

from __future__ import annotations

import ipaddress
import logging
import logging.config
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import uvicorn

from metalnet.api.app import create_app
from metalnet.api.metrics import MULTIPROCESS_ENV
from metalnet.api.protocols import PROTOCOL
from metalnet.api.settings import DEFAULT_MAX_BODY_BYTES, ApiToken, Settings
from metalnet.storage import open_storage, redact_url

__all__ = ["ServeConfigError", "create_app", "default_db_url", "serve"]

log = logging.getLogger("metalnet.api")
DEFAULT_DB_FILE = "metalnet.db"
#: seconds uvicorn waits for in-flight requests after SIGTERM
GRACEFUL_SECONDS = 15


class ServeConfigError(ValueError):
    """The server configuration is unusable; the message is one line meant for the operator."""


def default_db_url() -> str:
    """The embedded default: a SQLite file ``metalnet.db`` in the working directory."""
    return f"sqlite:///{Path.cwd() / DEFAULT_DB_FILE}"


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def logging_config(level: str) -> dict[str, Any]:
    """One configuration for us and uvicorn, applied in every worker process; access lines are JSON already."""
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "access": {"format": "%(message)s"},
        },
        "handlers": {
            "default": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"},
            "access": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stderr"},
        },
        "loggers": {
            "metalnet": {"handlers": ["default"], "level": level, "propagate": False},
            "metalnet.api.access": {"handlers": ["access"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def _settings(
    hmac_keys: Mapping[str, str | None] | None, tokens: Iterable[str | ApiToken], max_body_bytes: int
) -> Settings:
    try:
        return Settings.build(hmac_keys, tokens, max_body_bytes=max_body_bytes)
    except ValueError as exc:
        raise ServeConfigError(str(exc)) from None


def _check(host: str, workers: int, db_url: str, settings: Settings) -> None:
    if workers < 1:
        raise ServeConfigError(f"--workers must be at least 1, got {workers}")
    if not settings.auth_enabled and not is_loopback(host):
        raise ServeConfigError(
            f"refusing to listen on {host}: no HMAC keys or tokens are configured, so authentication is off; "
            "configure --hmac-*-key or --token, or listen on 127.0.0.1"
        )
    if workers > 1 and db_url.startswith("memory:"):
        raise ServeConfigError("memory:// cannot be shared by several workers; use sqlite:///FILE or postgresql://")


def _worker_env(db_url: str, settings: Settings) -> dict[str, str]:
    env = {"METALNET_DB": db_url, "METALNET_MAX_BODY_BYTES": str(settings.max_body_bytes)}
    for role, key in settings.hmac_keys.items():
        env[f"METALNET_HMAC_{role.name}_KEY"] = key
    specs = []
    for token in settings.tokens:
        if "," in token.token:
            raise ServeConfigError("with several workers a token must not contain ','")
        specs.append(f"{token.role.name.lower()}{'@' + token.project if token.project else ''}:{token.token}")
    env["METALNET_TOKENS"] = ",".join(specs)
    return env


def serve(
    host: str = "127.0.0.1",
    port: int = 8080,
    db_url: str | None = None,
    workers: int = 1,
    *,
    hmac_keys: Mapping[str, str | None] | None = None,
    tokens: Iterable[str | ApiToken] = (),
    log_level: str = "info",
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> None:
    """Serve the API until SIGTERM/SIGINT.

    Args:
        host: listen address; without credentials only a loopback address is allowed.
        port: TCP port.
        db_url: storage URL; ``None`` means the SQLite file ``./metalnet.db``.
        workers: number of server processes sharing the database.
        hmac_keys: HMAC key per role name (``view``, ``edit``, ``admin``); empty values are ignored.
        tokens: bearer tokens as ``ROLE[@PROJECT]:TOKEN`` specs or :class:`ApiToken` objects.
        log_level: ``debug``, ``info``, ``warning`` or ``error``.
        max_body_bytes: larger request bodies get 413.

    Raises:
        ServeConfigError: the configuration is unusable (message fit for one line of CLI output).
        StorageError: the database cannot be opened (its message names the redacted URL).
    """
    settings = _settings(hmac_keys, tokens, max_body_bytes)
    url = db_url or default_db_url()
    _check(host, workers, url, settings)
    config = logging_config(log_level)
    logging.config.dictConfig(config)
    origin = "default: SQLite file in the working directory" if db_url is None else "configured"
    roles = sorted(r.name.lower() for r in settings.hmac_keys)
    auth = f"hmac keys for {roles}, {len(settings.tokens)} token(s)" if settings.auth_enabled else "OFF (loopback)"
    log.info("metalnet API on http://%s:%d, %d worker(s), database %s (%s), authentication %s",
             host, port, workers, redact_url(url), origin, auth)
    common: dict[str, Any] = {
        "host": host, "port": port, "log_config": config, "log_level": log_level.lower(), "access_log": False,
        "timeout_graceful_shutdown": GRACEFUL_SECONDS, "server_header": False, "http": PROTOCOL,
    }
    if workers > 1:
        # opened once here: a bad URL fails before any worker starts, and migrations run once
        open_storage(url).close()
        os.environ.update(_worker_env(url, settings))
        # the workers' counters meet in files here, so that any worker's /metrics shows the whole server
        shared = tempfile.mkdtemp(prefix="metalnet-metrics-")
        os.environ[MULTIPROCESS_ENV] = shared
        try:
            uvicorn.run("metalnet.api.asgi:app_from_env", factory=True, workers=workers, **common)
        finally:
            os.environ.pop(MULTIPROCESS_ENV, None)
            shutil.rmtree(shared, ignore_errors=True)
        return
    storage = open_storage(url)
    try:
        uvicorn.run(create_app(storage, settings), **common)
    finally:
        storage.close()


