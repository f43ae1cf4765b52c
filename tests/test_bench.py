"""The benchmark's quick mode runs, the fill curve with reserved ranges included."""

from __future__ import annotations

import pytest

from metalnet.bench.__main__ import main


def test_quick_benchmark_reports_the_reserved_ranges_curve(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--quick", "--reserved", "100"])
    out = capsys.readouterr().out
    assert "| IPv4 /16: acquire IP, 100 reserved ranges |" in out
    assert "per IP with 100 reserved ranges / without: early" in out
