"""The options of a ``postgresql://`` URL that configure metalnet rather than libpq."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from metalnet.storage.base import StorageUnavailableError
from metalnet.storage.row_cache import DEFAULT_CAPACITY
from metalnet.storage.urls import redact_url

#: URL query options that configure the pool and the row cache rather than libpq
OPTION_NAMES = ("pool_size", "timeout", "row_cache")


@dataclass(frozen=True)
class PostgresOptions:
    """``pool_size``: connections per process; ``timeout``: seconds to connect or wait for a pooled
    connection; ``row_cache``: rows the row cache keeps (0: off)."""

    pool_size: int = 10
    timeout: float = 10.0
    row_cache: int = DEFAULT_CAPACITY


def split_url(url: str) -> tuple[str, PostgresOptions]:
    """The URL for libpq (our options cut out of the raw query, the rest exactly as written) and our options."""
    base, _, query = url.partition("?")
    pairs = [pair for pair in query.split("&") if pair]
    ours = dict(parse_qsl("&".join(p for p in pairs if p.split("=", 1)[0] in OPTION_NAMES)))
    rest = "&".join(p for p in pairs if p.split("=", 1)[0] not in OPTION_NAMES)
    defaults = PostgresOptions()
    try:
        options = PostgresOptions(
            pool_size=int(ours.get("pool_size", defaults.pool_size)),
            timeout=float(ours.get("timeout", defaults.timeout)),
            row_cache=int(ours.get("row_cache", defaults.row_cache)),
        )
    except ValueError:
        raise StorageUnavailableError(f"bad pool_size, timeout or row_cache in {redact_url(url)!r}") from None
    return (f"{base}?{rest}" if rest else base), options
