"""How the pages write figures: counts, percentages and the colour level of a usage bar (Jinja filters)."""

from __future__ import annotations

from typing import Literal

#: a bar turns amber at WARN percent and red at CRITICAL percent
WARN = 80.0
CRITICAL = 95.0
Level = Literal["ok", "warn", "critical"]
_UNITS = ((10**18, "E"), (10**15, "P"), (10**12, "T"), (10**9, "G"), (10**6, "M"))


def count(n: int) -> str:
    """``65,536`` up to a million, then one decimal with an SI unit (``2.1G``, ``18.4E``), beyond as ``3.4e38``."""
    if n < 10**6:
        return f"{n:,}"
    for size, unit in _UNITS:
        if n >= size:
            if n >= 1000 * size and unit == "E":
                return f"{n:.1e}"
            return f"{n / size:.1f}{unit}"
    return f"{n:,}"  # pragma: no cover - the units reach down to a million


def percent(used: int, total: int) -> float:
    """``used`` of ``total`` in percent (0 for an empty total), at most 100."""
    if total <= 0:
        return 0.0
    return min(100.0, 100.0 * used / total)


def percent_text(used: int, total: int) -> str:
    """``42 %``; ``<1 %`` for a share that is not zero but rounds to it, ``>99 %`` likewise below 100."""
    share = percent(used, total)
    if 0 < share < 1:
        return "<1 %"
    if 99 < share < 100:
        return ">99 %"
    return f"{share:.0f} %"


def level(used: int, total: int) -> Level:
    share = percent(used, total)
    return "critical" if share >= CRITICAL else "warn" if share >= WARN else "ok"


FILTERS = {"count": count, "percent": percent, "percent_text": percent_text, "level": level}
