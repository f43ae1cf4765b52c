"""Printing results: ``-o yaml|json`` print the API's objects unchanged; tables are for people."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import click
import yaml

#: renders the API's answer as text; the flag asks for the wide variant
TableRenderer = Callable[[Any, bool], str]

_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def to_yaml(data: Any) -> str:
    """YAML with the API's key order (block style, unicode kept)."""
    text: str = yaml.dump(data, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return text


def to_json(data: Any) -> str:
    """Indented JSON with the API's key order."""
    return json.dumps(data, indent=2, ensure_ascii=False)


def emit(data: Any, fmt: str, table: TableRenderer) -> None:
    """Print ``data`` in ``fmt`` (table, wide, yaml or json) on stdout."""
    if fmt == "json":
        click.echo(to_json(data))
    elif fmt == "yaml":
        click.echo(to_yaml(data), nl=False)
    else:
        click.echo(table(data, fmt == "wide"))


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell, separated by two spaces; no trailing blanks."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
             for line in [list(headers), *rows]]
    return "\n".join(lines)


def yes(value: Any) -> str:
    """``yes`` for a true flag, empty otherwise (keeps tables quiet)."""
    return "yes" if value else ""


def compact(number: int) -> str:
    """A count people can read at a glance: exact below ten million (``65536``), then ``16.8M``, ``2.1G``."""
    if number < 10**7:
        return str(number)
    for factor, suffix in ((10**12, "T"), (10**9, "G"), (10**6, "M")):
        if number >= factor:
            return f"{number / factor:.1f}{suffix}"
    return str(number)


def ratio(used: int, available: int) -> str:
    """``used/available (pct)``, e.g. ``2/1024 (<1%)``."""
    if available <= 0:
        return f"{compact(used)}/0"
    pct = 100 * used / available
    shown = "<1%" if 0 < pct < 1 else f"{pct:.0f}%"
    return f"{compact(used)}/{compact(available)} ({shown})"
