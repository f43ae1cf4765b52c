"""What the installed package holds and declares (pyproject.toml): the wheel's files, its dependencies."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def _names(requirements: list[str]) -> set[str]:
    return {Requirement(text).name.lower().replace("_", "-") for text in requirements}


def test_the_wheel_leaves_out_the_benchmark_and_the_docs_generator(tmp_path: Path) -> None:
    # build_py copies exactly the modules and data files that the wheel ships
    done = subprocess.run([sys.executable, "-c", "import setuptools; setuptools.setup()", "-q", "build_py",
                           "-d", str(tmp_path)], cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    shipped = {path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*") if path.is_file()}
    assert not [path for path in shipped if path.startswith(("metalnet/bench/", "cli/reference/"))]
    for needed in ("metalnet/storage/postgres/store.py", "metalnet/storage/rethinkdb/storage.py",
                   "metalnet/storage/migrations/0001_kv.postgres.sql", "metalnet/py.typed", "cli/main.py"):
        assert needed in shipped


def test_the_drivers_are_extras() -> None:
    required = _names(PROJECT["dependencies"])
    extras = {name: _names(requirements) for name, requirements in PROJECT["optional-dependencies"].items()}
    assert not required & {"psycopg", "psycopg-pool", "rethinkdb"}
    assert extras["postgres"] == {"psycopg", "psycopg-pool"}
    assert extras["rethinkdb"] == {"rethinkdb"}
    litestar = next(Requirement(text) for text in PROJECT["dependencies"] if text.startswith("litestar"))
    assert any(spec.operator == "<" for spec in litestar.specifier), "litestar needs an upper bound"


def _imported(package: Path) -> set[str]:
    """Top-level modules imported anywhere under ``package`` (absolute imports only)."""
    found = set()
    for source in package.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", ["metalnet", "cli"])
def test_every_imported_distribution_is_declared(package: str) -> None:
    declared = _names(PROJECT["dependencies"])
    for requirements in PROJECT["optional-dependencies"].values():
        declared |= _names(requirements)
    distributions = packages_distributions()
    third_party = {module for module in _imported(REPO / package)
                   if module not in sys.stdlib_module_names and module not in ("metalnet", "cli")}
    undeclared = {module: distributions.get(module) for module in third_party
                  if not {name.lower().replace("_", "-") for name in distributions.get(module, [])} & declared}
    assert undeclared == {}
