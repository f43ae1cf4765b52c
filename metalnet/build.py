"""Which build of the hot modules runs: compiled by mypyc (``setup.py``), or pure Python.

The modules in :data:`COMPILED_MODULES` exist as plain Python and, where ``pip install`` could compile them,
as extension modules beside them, which Python imports first. ``METALNET_PURE=1`` in the environment makes
this package import the plain Python modules even then (a finder placed before the standard ones), so one
installation can run, test and measure both builds. Extensions older than their source (an editable install
whose source was edited since) are not used either: a message asks for a rebuild (``make install``), and the
pure modules run, so what runs is always what the source says.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

#: the modules on the hot path of every allocation: the IPAM core, the memory store, the transaction interface
#: and the key encoding
COMPILED_MODULES = (
    "metalnet.ipam.addresses",
    "metalnet.ipam.free_blocks",
    "metalnet.ipam.free_ranges",
    "metalnet.ipam.layout",
    "metalnet.ipam.model",
    "metalnet.ipam.namespaces",
    "metalnet.ipam.reservations",
    "metalnet.ipam.runner",
    "metalnet.ipam.session",
    "metalnet.storage.keys",
    "metalnet.storage.memory",
    "metalnet.storage.transaction",
)


def pure_requested() -> bool:
    return os.environ.get("METALNET_PURE", "") == "1"


class _PureFinder:
    """Finds the ``.py`` source of a compiled module, so that the extension beside it is not imported."""

    def find_spec(self, name: str, path: Sequence[str] | None, target: ModuleType | None = None) -> ModuleSpec | None:
        if name not in COMPILED_MODULES or not path:
            return None
        for entry in path:
            source = os.path.join(entry, name.rpartition(".")[2] + ".py")
            if os.path.isfile(source):
                return importlib.util.spec_from_file_location(name, source)
        return None


def stale_modules() -> list[str]:
    """Compiled modules whose source changed after they were compiled."""
    package = os.path.dirname(os.path.abspath(__file__))
    stale = []
    for name in COMPILED_MODULES:
        base = os.path.join(package, *name.split(".")[1:])
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            if os.path.exists(base + suffix) and os.path.getmtime(base + suffix) < os.path.getmtime(base + ".py"):
                stale.append(name)
    return stale


def install() -> None:
    """Called by ``metalnet/__init__.py`` before any of the modules is imported."""
    if any(isinstance(finder, _PureFinder) for finder in sys.meta_path):
        return
    if pure_requested():
        sys.meta_path.insert(0, _PureFinder())
    elif stale := stale_modules():
        print(f"metalnet: the compiled {', '.join(stale)} are older than their source: running the pure-Python "
              "build (rebuild with `make install` or `pip install -e .`)", file=sys.stderr)
        sys.meta_path.insert(0, _PureFinder())


def active() -> str:
    """``"compiled"`` when the compiled IPAM core is what runs here, ``"pure"`` otherwise."""
    from metalnet.ipam import session

    suffix = os.path.splitext(session.__file__ or "")[1]
    return "compiled" if suffix in importlib.machinery.EXTENSION_SUFFIXES or suffix in (".so", ".pyd") else "pure"
