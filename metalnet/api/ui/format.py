"""How the pages write figures: counts, percentages and the colour level of a usage bar (Jinja filters)."""

from __future__ import annotations

from typing import Literal

from markupsafe import Markup, escape

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


def usage_bar(used: int, total: int, label: str, kind: str) -> Markup:
    """One usage bar as HTML: ``used`` of ``total`` with the numbers, the percentage and the colour level.

    Written here rather than as a template macro because a page draws thousands of them (two to four per
    network): a macro call with its dozen escaped interpolations cost more than the rest of the row.
    ``label`` is escaped; every other value is a number or one of this module's constants.
    """
    lvl = level(used, total)
    caption = f'<span class="label">{escape(label)}</span> ' if label else ""
    return Markup(  # noqa: S704 - every interpolated text is escaped above, the rest are numbers
        f'<div class="usage {lvl}" data-kind="{escape(kind)}" data-used="{used:d}" data-total="{total:d}" '
        f'data-level="{lvl}"><svg class="bar" viewBox="0 0 100 1" preserveAspectRatio="none" aria-hidden="true">'
        f'<rect width="{percent(used, total):.2f}" height="1"/></svg>'
        f'<span class="figure">{caption}<span class="nums">{count(used)}/{count(total)}</span> '
        f'<span class="pct">{escape(percent_text(used, total))}</span></span></div>'
    )


FILTERS = {"count": count, "percent": percent, "percent_text": percent_text, "level": level}
GLOBALS = {"usage_bar": usage_bar}
