"""The two builds of the hot modules (metalnet/build.py, setup.py): which one runs, and the switch."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from metalnet import build


def _active_in_child(pure: str) -> str:
    env = {**os.environ, "METALNET_PURE": pure}
    code = "import metalnet.build as b, metalnet.storage.memory as m; print(b.active(), m.__file__)"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout


def test_pure_switch_imports_the_python_modules() -> None:
    active, path = _active_in_child("1").split()
    assert active == "pure"
    assert path.endswith("memory.py")


@pytest.mark.skipif(
    os.environ.get("CI") != "true", reason="only CI promises a C compiler (elsewhere either build is fine)"
)
def test_ci_tests_the_compiled_build_unless_asked_for_the_pure_one() -> None:
    # CI runs the suite twice; this makes sure the first run is not silently the pure build again
    assert build.active() == ("pure" if build.pure_requested() else "compiled"), build.stale_modules()


def test_the_build_in_use_is_the_one_the_switch_names() -> None:
    assert build.active() == "pure" or not build.pure_requested()
    active, _ = _active_in_child("").split()
    assert active in {"pure", "compiled"}
