"""How long the history keeps events, and the background pruner that enforces it.

The settings are read by the server's one loader, :func:`metalnet.api.config.load_config` (flags, then
variables, then the config file, then these defaults; docs/api.md and docs/history.md):

- ``--history`` / ``--no-history``, ``METALNET_HISTORY``: ``on`` (default) or ``off`` — off records no events;
- ``--history-max-age``, ``METALNET_HISTORY_MAX_AGE``: a duration (``30d``, ``12h``, ``90m``, ``45s``, or
  seconds), default ``30d``;
- ``--history-max-count``, ``METALNET_HISTORY_MAX_COUNT``: the most events kept, default 10,000,000;
- ``--history-prune-interval``, ``METALNET_HISTORY_PRUNE_INTERVAL``: time between two pruning rounds,
  default 60 s.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the server's settings import this module: the CLI must not load storage code with them
    from metalnet.storage.base import Storage

log = logging.getLogger("metalnet.history")

DEFAULT_MAX_AGE = 30 * 86400.0
DEFAULT_MAX_COUNT = 10_000_000
DEFAULT_PRUNE_INTERVAL = 60.0
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")


def parse_duration(text: str) -> float:
    """Seconds in ``text`` (``30d``, ``1.5h``, ``90m``, ``45s`` or a plain number of seconds).

    Raises:
        ValueError: naming the text, when it is not such a duration.
    """
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"invalid duration {text!r}: expected a number with an optional unit s, m, h, d or w")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def parse_since(text: str, now: float) -> float:
    """A point in time from a duration before ``now`` (``15m``) or an RFC 3339 timestamp."""
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"invalid since {text!r}: expected a duration like 15m or a time like "
                         "2026-12-04T16:00:00Z") from None
    if moment.tzinfo is None:
        raise ValueError(f"invalid since {text!r}: a time needs its offset (Z or +01:00)")
    return moment.timestamp()


@dataclass(frozen=True)
class HistorySettings:
    enabled: bool = True
    max_age: float = DEFAULT_MAX_AGE
    max_count: int = DEFAULT_MAX_COUNT
    prune_interval: float = DEFAULT_PRUNE_INTERVAL


class Pruner:
    """Prunes ``storage``'s history every ``settings.prune_interval`` seconds in a daemon thread.

    Pruning deletes in small transactions of its own (``Storage.prune_events``), so writers wait at most for
    one of them; several processes pruning one store at once delete the same rows, which is harmless.
    """

    def __init__(self, storage: Storage, settings: HistorySettings, clock: Callable[[], float] = time.time) -> None:
        self._storage = storage
        self._settings = settings
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def prune_once(self) -> int:
        settings = self._settings
        return self._storage.prune_events(self._clock() - settings.max_age, settings.max_count)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="metalnet-history-pruner", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self._settings.prune_interval):
            try:
                deleted = self.prune_once()
            except Exception:  # the store may be briefly unavailable: try again next round
                log.warning("pruning the history failed", exc_info=True)
                continue
            if deleted:
                log.info("pruned %d events from the history", deleted)
