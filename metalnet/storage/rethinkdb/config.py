"""Settings of the RethinkDB backend, read from its URL.

``rethinkdb://[user[:password]@]host[:port][,host[:port]...]/dbname[?option=value&...]``

Several hosts may be listed (servers of one cluster); the backend connects to the first that answers and
moves on to the next when a connection breaks. Options:

- ``replicas`` (1): replica count of the tables the backend creates (existing tables are left as they are).
- ``snapshot_every`` (10000): a snapshot is written after each log entry whose id is a multiple of this.
- ``retain`` (10000, at least 1): log entries kept behind the newest snapshot; older ones are compacted.
- ``timeout`` (10): seconds a transaction waits out an unavailable store (failover, restart) before it
  reports :class:`~metalnet.storage.base.StorageUnavailableError`; also the connect timeout.
- ``read_mode`` (``single``): how a process asks "is there anything newer than my state?" before a read;
  ``majority`` makes that check linearizable even across a network partition, at about 1.5 ms per read.
  Log entries that are applied are always read with ``majority``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from metalnet.storage.base import StorageError
from metalnet.storage.urls import redact_url

DEFAULT_PORT = 28015
_DB_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_INT_OPTIONS = {"replicas": 1, "snapshot_every": 10_000, "retain": 10_000}


class RethinkUrlError(StorageError, ValueError):
    """The URL cannot be used; the message names it (password hidden) and what is wrong."""


@dataclass(frozen=True)
class RethinkConfig:
    """Where the store is and how the backend uses it."""

    #: as given, password included: kept out of repr like ``password``
    url: str = field(repr=False)
    hosts: tuple[tuple[str, int], ...]
    db: str
    user: str = "admin"
    password: str = field(default="", repr=False)
    replicas: int = 1
    snapshot_every: int = 10_000
    retain: int = 10_000
    timeout: float = 10.0
    read_mode: str = "single"

    @property
    def safe_url(self) -> str:
        """The URL without its password, for messages."""
        return redact_url(self.url)


def parse_url(url: str) -> RethinkConfig:
    """Read a ``rethinkdb://`` URL; raises :class:`RethinkUrlError` naming the offending part."""
    safe = redact_url(url)
    parts = urlsplit(url)
    if parts.scheme.lower() != "rethinkdb":
        raise RethinkUrlError(f"not a rethinkdb:// URL: {safe!r}")
    user, password, hostlist = _split_netloc(parts.netloc)
    hosts = tuple(_parse_host(item, safe) for item in hostlist.split(","))
    db = parts.path.lstrip("/")
    if not _DB_NAME.match(db):
        raise RethinkUrlError(f"database name {db!r} in {safe!r} must be letters, digits and underscores")
    options = _parse_options(parts.query, safe)
    return RethinkConfig(url=url, hosts=hosts, db=db, user=user, password=password, **options)  # type: ignore[arg-type]


def _split_netloc(netloc: str) -> tuple[str, str, str]:
    userinfo, _, hostlist = netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    return unquote(user) or "admin", unquote(password), hostlist


def _parse_host(item: str, safe: str) -> tuple[str, int]:
    if item.startswith("["):  # IPv6 literal: [::1]:28015
        host, _, rest = item[1:].partition("]")
        port_text = rest.removeprefix(":")
    else:
        host, _, port_text = item.partition(":")
    if not host:
        raise RethinkUrlError(f"missing host in {safe!r}")
    if not port_text:
        return host, DEFAULT_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise RethinkUrlError(f"port {port_text!r} in {safe!r} is not a number from 1 to 65535")
    return host, int(port_text)


def _parse_options(query: str, safe: str) -> dict[str, object]:
    options: dict[str, object] = {}
    for name, text in parse_qsl(query, keep_blank_values=True):
        if name in _INT_OPTIONS:
            options[name] = _positive_int(name, text, safe)
        elif name == "timeout":
            options[name] = _positive_float(name, text, safe)
        elif name == "read_mode":
            if text not in ("single", "majority"):
                raise RethinkUrlError(f"read_mode={text!r} in {safe!r}: use single or majority")
            options[name] = text
        else:
            raise RethinkUrlError(
                f"unknown option {name!r} in {safe!r}: known are replicas, snapshot_every, retain, timeout, read_mode"
            )
    return options


def _positive_int(name: str, text: str, safe: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise RethinkUrlError(f"{name}={text!r} in {safe!r} must be a whole number >= 1")
    return int(text)


def _positive_float(name: str, text: str, safe: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise RethinkUrlError(f"{name}={text!r} in {safe!r} must be a number of seconds > 0")
    return value
