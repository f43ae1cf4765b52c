"""The optional compiled build: mypyc compiles the IPAM core, the memory store and the key encoding.

``pip install .`` (and the editable install of ``make install``) compiles these modules where mypyc and a C
compiler are at hand; each one stays importable as plain Python, and the compiled extension, when present,
is what Python imports. The pure-Python build is what you get when

- ``METALNET_PURE=1`` is set while installing (nothing is compiled), or
- the compilation fails (no C compiler, no Python headers): a warning, then the pure build.

``METALNET_PURE=1`` at run time imports the pure modules even where compiled ones are installed
(``metalnet/build.py``), so one installation can run and measure both.
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext
from setuptools.extension import Extension


def _compiled_module_names() -> tuple[str, ...]:
    # read from the source without importing the package (which is not installed yet)
    text = (Path(__file__).resolve().parent / "metalnet" / "build.py").read_text()
    start = text.index("(", text.index("COMPILED_MODULES = ("))
    names = ast.literal_eval(text[start : text.index(")", start) + 1])
    assert isinstance(names, tuple)
    return names


#: metalnet/build.py names them (it also finds their pure modules at run time); here as source paths
COMPILED = [name.replace(".", "/") + ".py" for name in _compiled_module_names()]


class OptionalBuildExt(build_ext):
    """Builds the compiled modules, or warns and leaves the pure-Python build where it cannot."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # any failure to compile means: the pure build
            # a compiled module without the shared library mypyc builds first would not import: none stays
            for output in self.get_outputs():
                if os.path.exists(output):
                    os.remove(output)
            print(f"metalnet: compiling with mypyc failed ({exc}); installing the pure-Python build", file=sys.stderr)


def compiled_modules() -> list[Extension]:
    if os.environ.get("METALNET_PURE") == "1":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("metalnet: mypyc is not installed; installing the pure-Python build", file=sys.stderr)
        return []
    try:
        # one shared library with a stable name (metalnet__mypyc), whatever the list of modules
        return mypycify(COMPILED, opt_level="3", group_name="metalnet")
    except (Exception, SystemExit) as exc:  # mypyc reports code it cannot compile by exiting
        print(f"metalnet: mypyc cannot compile the modules ({exc}); installing the pure-Python build", file=sys.stderr)
        return []


setup(ext_modules=compiled_modules(), cmdclass={"build_ext": OptionalBuildExt})
