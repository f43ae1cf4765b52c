"""Retention settings and the pruner (the storage side is in tests/storage/test_event_contract.py)."""

from __future__ import annotations

import time

import pytest

from metalnet.history.recorder import History
from metalnet.history.retention import (
    DEFAULT_MAX_AGE,
    HistorySettings,
    Pruner,
    parse_duration,
    parse_since,
)
from metalnet.network import NetworkService, PartitionCreate
from metalnet.storage import MemoryStorage


@pytest.mark.parametrize(("text", "seconds"), [("30d", 30 * 86400.0), ("1.5h", 5400.0), ("90m", 5400.0),
                                               ("45s", 45.0), ("12", 12.0), ("2w", 14 * 86400.0)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "-1d", "d", "3 days", "1y"])
def test_bad_durations_name_the_text(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


def test_since_is_a_duration_back_or_a_time_with_offset() -> None:
    assert parse_since("15m", 10_000.0) == 10_000.0 - 900
    assert parse_since("1970-01-01T01:00:00Z", 0.0) == 3600.0
    assert parse_since("1970-01-01T01:00:00+01:00", 0.0) == 0.0
    with pytest.raises(ValueError, match="needs its offset"):
        parse_since("1970-01-01T01:00:00", 0.0)


def test_settings_from_the_servers_one_loader() -> None:
    from metalnet.api.config import load_config  # flags, variables and the file: tests/api/test_config.py

    assert load_config(environ={}).app_settings().history == HistorySettings(True, DEFAULT_MAX_AGE, 10_000_000, 60.0)
    settings = load_config(environ={"METALNET_HISTORY": "off", "METALNET_HISTORY_MAX_AGE": "7d",
                                    "METALNET_HISTORY_MAX_COUNT": "1000",
                                    "METALNET_HISTORY_PRUNE_INTERVAL": "5m"}).app_settings().history
    assert settings == HistorySettings(False, 7 * 86400.0, 1000, 300.0)
    with pytest.raises(ValueError, match="'lots'"):
        load_config(environ={"METALNET_HISTORY_MAX_COUNT": "lots"})
    with pytest.raises(ValueError, match="'a month'"):
        load_config(environ={"METALNET_HISTORY_MAX_AGE": "a month"})


def test_pruner_drops_what_is_too_old_and_too_many() -> None:
    now = [1000.0]
    storage = MemoryStorage()
    service = NetworkService(storage, history=History(clock=lambda: now[0]))
    for index in range(6):
        service.create_partition(PartitionCreate(id=f"p{index}"))
        now[0] += 100.0
    pruner = Pruner(storage, HistorySettings(max_age=250.0, max_count=4), clock=lambda: now[0])
    # now 1600: events at 1000..1500; older than 1350 are 1000..1300 (4), and beyond the newest 4 are 2 of them
    assert pruner.prune_once() == 4
    assert storage.event_bounds() == (5, 6)
    assert pruner.prune_once() == 0


def test_pruner_thread_starts_and_stops() -> None:
    storage = MemoryStorage()
    service = NetworkService(storage, history=History())
    for index in range(3):
        service.create_partition(PartitionCreate(id=f"p{index}"))
    pruner = Pruner(storage, HistorySettings(max_count=1, prune_interval=0.01))
    pruner.start()
    try:
        for _ in range(500):
            if storage.event_bounds().oldest == 3:
                break
            time.sleep(0.01)
    finally:
        pruner.stop()
    assert storage.event_bounds() == (3, 3)
