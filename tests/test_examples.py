"""The scripts in examples/ run and print what the go-ipam originals print."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

EXPECTED = {
    "library_ipv4.py": [
        "Super Prefix  : 192.168.0.0/24",
        "Super Prefix IP1 : 192.168.0.1",
        "Super Prefix IP1 Parent : 192.168.0.0/24",
    ],
    "library_ipv6.py": [
        "Super Prefix  : 2001:aabb::/48",
        "Child Prefix 1: 2001:aabb::/64",
        "Child Prefix 2: 2001:aabb:0:1::/72",
        "Child Prefix 2 IP1: 2001:aabb:0:1::1",
    ],
    "library_namespaces.py": [
        "got IP: 192.168.0.1",
        "IP: 192.168.0.1 released.",
        "got Prefix: 2001:aabb::/64",
        "got Prefix: 2001:aabb:0:1::/72",
        "got IP: 2001:aabb:0:1::1",
    ],
}


def run(script: str, *args: str) -> list[str]:
    done = subprocess.run([sys.executable, str(EXAMPLES / script), *args], capture_output=True, text=True,
                          check=True, timeout=60)
    return done.stdout.splitlines()


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_example_prints_go_ipam_output(script: str) -> None:
    assert run(script) == EXPECTED[script]


def test_persistent_example_survives_restart(tmp_path: Path) -> None:
    lines = run("library_persistent.py", str(tmp_path / "ex.db"))
    assert lines[:2] == ["first run : 10.0.0.1", "second run: 10.0.0.2"]
    assert lines[2] == "usage     : ip:4/65536"
