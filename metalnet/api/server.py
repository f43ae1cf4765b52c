"""Run the API under uvicorn: :func:`serve` (what ``metalnet serve`` and ``python -m metalnet.api`` call).

Every entry point loads one :class:`~metalnet.api.config.ServerConfig` (:func:`metalnet.api.config.load_config`)
and hands it to :func:`run`. One worker serves an app built here; several workers are separate uvicorn processes
that each build their app from the same validated configuration (:mod:`metalnet.api.asgi`, which reads it from
the environment ``run`` sets) and share one database. uvicorn finishes in-flight requests on SIGTERM/SIGINT
before it exits.
"""

from __future__ import annotations

import gc
import ipaddress
import logging
import logging.config
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import msgspec
import uvicorn
from uvicorn.supervisors import Multiprocess

from metalnet.api.app import create_app
from metalnet.api.config import WORKER_CONFIG_ENV, ConfigError, ServerConfig, encode_config, load_config
from metalnet.api.metrics import MULTIPROCESS_ENV
from metalnet.api.protocols import HttpProtocol
from metalnet.api.protocols import ServerConfig as UvicornConfig
from metalnet.api.settings import ApiToken, Role
from metalnet.storage import open_storage, redact_url

__all__ = ["ServeConfigError", "create_app", "default_db_url", "run", "serve"]

log = logging.getLogger("metalnet.api")
DEFAULT_DB_FILE = "metalnet.db"
#: seconds uvicorn waits for in-flight requests after SIGTERM
GRACEFUL_SECONDS = 15

#: the configuration is unusable (one line for the operator); the loader's error under its older name
ServeConfigError = ConfigError


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


def lean_log_records() -> None:
    """Skip what no log format of ours shows: the caller's file and line, thread and process names.

    The logging HOWTO's "Optimization" switches; a record is then ~20 % cheaper, which shows in the request
    log (one record per request). Set in every server process (the parent and each worker).
    """
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


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
            "hypercorn.error": {"handlers": ["default"], "level": level, "propagate": False},
        },
    }


def _check(config: ServerConfig, db_url: str) -> None:
    if not config.app_settings().auth_enabled and not is_loopback(config.host):
        raise ConfigError(
            f"refusing to listen on {config.host}: no HMAC keys or tokens are configured, so authentication is "
            "off; configure --hmac-*-key or --api-token, or listen on 127.0.0.1"
        )
    if config.workers > 1 and db_url.startswith("memory:"):
        raise ConfigError("memory:// cannot be shared by several workers; use sqlite:///FILE or postgresql://")


def serve(
    host: str = "127.0.0.1",
    port: int = 8080,
    db_url: str | None = None,
    workers: int = 1,
    *,
    hmac_keys: Mapping[str, str | None] | None = None,
    tokens: Iterable[str | ApiToken] = (),
    **settings: Any,
) -> None:
    """Serve the API until SIGTERM/SIGINT, configured by these arguments alone (no environment).

    Args:
        host: listen address; without credentials only a loopback address is allowed.
        port: TCP port.
        db_url: storage URL; ``None`` means the SQLite file ``./metalnet.db``.
        workers: number of server processes sharing the database.
        hmac_keys: HMAC key per role name (``view``, ``edit``, ``admin``); empty values are ignored.
        tokens: bearer tokens as ``ROLE[@PROJECT]:TOKEN`` specs or :class:`ApiToken` objects.
        settings: any other field of :class:`~metalnet.api.config.ServerConfig` (``log_level``,
            ``max_body_bytes``, ``header_timeout``, ``body_timeout``, ``keepalive_timeout``, ``max_connections``,
            ``request_log``).

    Raises:
        ServeConfigError: the configuration is unusable (message fit for one line of CLI output).
        StorageError: the database cannot be opened (its message names the redacted URL).
    """
    flags: dict[str, Any] = {"host": host, "port": port, "db": db_url, "workers": workers, **settings}
    for name, key in (hmac_keys or {}).items():
        try:
            flags[f"hmac_{Role.parse(name).name.lower()}_key"] = key or None
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    flags["tokens"] = tuple(_spec(t) for t in tokens)
    run(load_config(flags, environ={}))


def _spec(token: str | ApiToken) -> str:
    if isinstance(token, str):
        return token
    return f"{token.role.name.lower()}{'@' + token.project if token.project else ''}:{token.token}"


def uvicorn_config(app: Any, config: ServerConfig, log_config: dict[str, Any], **extra: Any) -> UvicornConfig:
    """uvicorn's settings from ours: the one place the server's knobs are set."""
    return UvicornConfig(
        app, host=config.host, port=config.port, log_config=log_config, log_level=config.log_level,
        access_log=False, timeout_graceful_shutdown=GRACEFUL_SECONDS, server_header=False, http=HttpProtocol,
        timeout_keep_alive=config.keepalive_timeout, header_timeout=config.header_timeout,
        max_connections=config.max_connections, **extra,
    )


def run(config: ServerConfig) -> None:
    """Serve the API as ``config`` says until SIGTERM/SIGINT.

    Raises:
        ServeConfigError: the configuration is unusable.
        StorageError: the database cannot be opened.
    """
    url = config.db or default_db_url()
    _check(config, url)
    settings = config.app_settings()
    log_config = logging_config(config.log_level)
    lean_log_records()
    logging.config.dictConfig(log_config)
    origin = "default: SQLite file in the working directory" if config.db is None else "configured"
    roles = sorted(r.name.lower() for r in settings.hmac_keys)
    auth = f"hmac keys for {roles}, {len(settings.tokens)} token(s)" if settings.auth_enabled else "OFF (loopback)"
    log.info("metalnet API on http://%s:%d (HTTP/1.1 and cleartext HTTP/2), %d worker(s), database %s (%s), "
             "authentication %s", config.host, config.port, config.workers, redact_url(url), origin, auth)
    if config.workers > 1:
        _run_workers(msgspec.structs.replace(config, db=url), log_config)
        return
    storage = open_storage(url)
    try:
        app = create_app(storage, settings)
        settle_heap()
        uvicorn.Server(uvicorn_config(app, config, log_config)).run()
    finally:
        storage.close()


#: allocations between two collections of the youngest generation (Python's default: 700)
GC_YOUNG_THRESHOLD = 10_000


def settle_heap() -> None:
    """Once the app is built: move every object alive now out of the garbage collector's sight.

    The app, its routes and the imported modules live as long as the process; left in the collector's
    generations, every full collection walks them again (tens of thousands of objects) while requests wait.
    ``gc.freeze`` keeps them out of every later collection; what requests create is collected as before.
    The youngest generation is collected every 10,000 allocations instead of 700: a bulk request creates
    tens of thousands of objects that live until its answer, and with 700 each of them was traversed again
    by dozens of collections of the older generations (~10 % of a 10,000-IP bulk request).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 10, 10)


def _run_workers(config: ServerConfig, log_config: dict[str, Any]) -> None:
    # opened once here: a bad URL fails before any worker starts, and migrations run once
    open_storage(str(config.db)).close()
    # the workers' counters meet in files here, so that any worker's /metrics shows the whole server
    shared = tempfile.mkdtemp(prefix="metalnet-metrics-")
    os.environ[MULTIPROCESS_ENV] = shared
    os.environ[WORKER_CONFIG_ENV] = encode_config(config)
    try:
        server_config = uvicorn_config("metalnet.api.asgi:app_from_env", config, log_config, factory=True,
                                       workers=config.workers)
        sock = server_config.bind_socket()
        Multiprocess(server_config, sockets=[sock]).run()
    finally:
        os.environ.pop(MULTIPROCESS_ENV, None)
        os.environ.pop(WORKER_CONFIG_ENV, None)
        shutil.rmtree(shared, ignore_errors=True)
