"""Open a storage backend from a URL: ``memory://``, ``sqlite:///path``, ``postgresql://…``, ``rethinkdb://…``."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from metalnet.storage.base import Storage, StorageUnavailableError
from metalnet.storage.memory import MemoryStorage


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***``, safe for messages and logs.

    Both places a libpq URL can carry one are covered: ``user:password@`` and ``?password=…``.
    """
    parts = urlsplit(url)
    if parts.password is None and "password=" not in parts.query:
        return url  # untouched: urlunsplit would turn sqlite:/// into sqlite:/
    if parts.password is not None:
        netloc = parts.netloc.rsplit("@", 1)[1]
        parts = parts._replace(netloc=f"{parts.username or ''}:***@{netloc}")
    if "password=" in parts.query:
        parts = parts._replace(query=_PASSWORD_PARAM.sub(r"\1***", parts.query))
    return urlunsplit(parts)


_PASSWORD_PARAM = re.compile(r"((?:^|&)password=)[^&]*")


def open_storage(url: str) -> Storage:
    """Open (and migrate, where the backend has a schema) the store named by ``url``."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "memory":
        return MemoryStorage()
    if scheme == "sqlite":
        from metalnet.storage.sqlite import SqliteStorage

        return SqliteStorage.from_url(url)
    if scheme in ("postgresql", "postgres"):
        from metalnet.storage.postgres import PostgresStorage

        return PostgresStorage.from_url(url)
    if scheme == "rethinkdb":
        from metalnet.storage.rethinkdb import RethinkStorage

        return RethinkStorage.from_url(url)
    raise StorageUnavailableError(
        f"unsupported storage URL {redact_url(url)!r}: use memory://, sqlite:///PATH, "
        "postgresql://USER@HOST:PORT/DB or rethinkdb://HOST:PORT/DB"
    )
