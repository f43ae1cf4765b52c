"""Versioned schema migrations of the SQL backends, one SQL file per version and dialect.

A file is named ``NNNN_description.DIALECT.sql``: ``NNNN`` is the schema version it produces (1, 2, …
without gaps) and ``DIALECT`` is ``sqlite`` or ``postgres``. Statements are separated by ``;`` at the end of
a line. Migrations only ever move forward; a released file is never edited, a change is a new file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.(sqlite|postgres)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One step from schema ``version - 1`` to ``version``."""

    version: int
    name: str
    statements: tuple[str, ...]


def split_statements(script: str) -> tuple[str, ...]:
    """The statements of ``script``, with ``--`` comment lines dropped."""
    lines = [line for line in script.splitlines() if not line.lstrip().startswith("--")]
    parts = re.split(r";\s*$", "\n".join(lines), flags=re.MULTILINE)
    return tuple(part.strip() for part in parts if part.strip())


def load(dialect: str) -> list[Migration]:
    """Every migration of ``dialect`` in version order; raises ``RuntimeError`` on a gap in the numbering."""
    found: list[Migration] = []
    for entry in resources.files(__name__).iterdir():
        match = _NAME.match(entry.name)
        if match and match.group(3) == dialect:
            found.append(Migration(int(match.group(1)), match.group(2), split_statements(entry.read_text())))
    found.sort(key=lambda migration: migration.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise RuntimeError(f"{dialect} migrations skip version {expected} (found {migration.name})")
    return found


def latest(dialect: str) -> int:
    """The schema version this code writes."""
    return len(load(dialect))
