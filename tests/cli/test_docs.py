"""docs/cli.md stays current: its command reference is what click prints, and it lists every command."""

from __future__ import annotations

import re

import pytest

from cli.reference import BEGIN, DOCS, END, render_reference, splice


def test_reference_in_docs_is_current() -> None:
    current = DOCS.read_text(encoding="utf-8")
    assert splice(current, render_reference()) == current, "docs/cli.md is stale: run `python -m cli.reference`"


def test_reference_covers_every_command() -> None:
    reference = DOCS.read_text(encoding="utf-8").partition(BEGIN)[2].partition(END)[0]
    headings = re.findall(r"^#+ `(metalnet[^`]*)`$", reference, flags=re.MULTILINE)
    for path in ("metalnet network allocate", "metalnet network ip create", "metalnet prefix acquire-child",
                 "metalnet ip release", "metalnet serve"):
        assert path in headings
    assert len(headings) == len(set(headings)) == reference.count("```text")


def test_splice_needs_both_markers() -> None:
    with pytest.raises(ValueError, match="markers"):
        splice("no markers here", "x")
    assert splice(f"a\n{BEGIN}\nold\n{END}\nb", "new") == f"a\n{BEGIN}\n\nnew\n{END}\nb"
