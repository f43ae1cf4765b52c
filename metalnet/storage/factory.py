"""Open a storage backend from a URL: ``memory://``, ``sqlite:///path``, ``postgresql://…``, ``rethinkdb://…``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from metalnet.storage.base import Storage, StorageUnavailableError
from metalnet.storage.memory import MemoryStorage
from metalnet.storage.urls import redact_url


def open_storage(url: str) -> Storage:
    """Open (and migrate, where the backend has a schema) the store named by ``url``."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "memory":
        return MemoryStorage()
    if scheme == "sqlite":
        from metalnet.storage.sqlite import SqliteStorage

        return SqliteStorage.from_url(url)
    if scheme in ("postgresql", "postgres"):
        with _driver("PostgreSQL", "postgres", ("psycopg", "psycopg_pool"), url):
            from metalnet.storage.postgres import PostgresStorage
        return PostgresStorage.from_url(url)
    if scheme == "rethinkdb":
        with _driver("RethinkDB", "rethinkdb", ("rethinkdb",), url):
            from metalnet.storage.rethinkdb.storage import RethinkStorage
        return RethinkStorage.from_url(url)
    raise StorageUnavailableError(
        f"unsupported storage URL {redact_url(url)!r}: use memory://, sqlite:///PATH, "
        "postgresql://USER@HOST:PORT/DB or rethinkdb://HOST:PORT/DB"
    )


@contextmanager
def _driver(database: str, extra: str, modules: tuple[str, ...], url: str) -> Iterator[None]:
    """Turn the import error of a missing driver into an error that names the extra installing it."""
    try:
        yield
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in modules:
            raise
        raise StorageUnavailableError(
            f"{redact_url(url)!r} needs the {database} driver ({exc.name}), which is not installed: "
            f"pip install 'metalnet[{extra}]'"
        ) from exc
