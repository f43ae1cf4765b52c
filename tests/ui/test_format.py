"""The figures the pages print (no browser needed)."""

from __future__ import annotations

import pytest

from metalnet.api.ui.format import count, level, percent_text, usage_bar


@pytest.mark.parametrize(("n", "text"), [(0, "0"), (65536, "65,536"), (999_999, "999,999"),
                                         (2**31 - 1, "2.1G"), (2**64, "18.4E"), (2**128, "3.4e+38")])
def test_count(n: int, text: str) -> None:
    assert count(n) == text


@pytest.mark.parametrize(("used", "total", "text", "lvl"), [
    (0, 0, "0 %", "ok"), (2, 65536, "<1 %", "ok"), (79, 100, "79 %", "ok"), (80, 100, "80 %", "warn"),
    (94, 100, "94 %", "warn"), (95, 100, "95 %", "critical"), (999, 1000, ">99 %", "critical"),
    (16, 16, "100 %", "critical"),
])
def test_percent_and_level(used: int, total: int, text: str, lvl: str) -> None:
    assert (percent_text(used, total), level(used, total)) == (text, lvl)


def test_usage_bar_escapes_its_label() -> None:
    html = usage_bar(54, 64, '<b onclick="x">', "ips")
    assert "<b onclick" not in html
    assert "&lt;b onclick=&#34;x&#34;&gt;" in html
    assert 'class="usage warn"' in html
    assert 'data-used="54" data-total="64"' in html

