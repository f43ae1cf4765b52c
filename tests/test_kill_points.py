"""The kill points of the crash tests can be replayed from the seed they print."""

from __future__ import annotations

import pytest

from tests.kill_points import ENV, kill_points


def test_a_printed_seed_replays_the_same_kill_points(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(ENV, raising=False)
    first = kill_points("t")
    drawn = [first.randrange(200), first.uniform(0, 0.005)]
    seed = capsys.readouterr().out.split(f"{ENV}=")[1].rstrip(")\n")
    monkeypatch.setenv(ENV, seed)
    again = kill_points("t")
    assert [again.randrange(200), again.uniform(0, 0.005)] == drawn
    assert f"seed {seed}" in capsys.readouterr().out
