"""``--reserve`` on network create, allocate and update, ``reservedranges`` in the YAML, ``ip create --reserved``:
the CLI in-process against the real app."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.options import parse_range
from tests.cli.test_with_app import PROJECT, Cli, run

__all__ = ["run"]  # the fixture, imported for these tests

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "reserved-ranges.yaml"


@pytest.mark.parametrize(("text", "expected"), [
    ("10.0.0.1-10.0.0.10", ("10.0.0.1", "10.0.0.10", "")),
    ("10.0.0.1-10.0.0.10:gateway - rack 1", ("10.0.0.1", "10.0.0.10", "gateway - rack 1")),
    ("2001:db8::1-2001:db8::ff:dhcp", ("2001:db8::1", "2001:db8::ff", "dhcp")),
    ("2001:db8::1-2001:db8::ff", ("2001:db8::1", "2001:db8::ff", "")),
    ("2001:db8::1-[2001:db8::ff]:abc", ("2001:db8::1", "2001:db8::ff", "abc")),
    ("10.0.0.1-10.0.0.5:a:b", ("10.0.0.1", "10.0.0.5", "a:b")),
])
def test_reserve_text(text: str, expected: tuple[str, str, str]) -> None:
    parsed = parse_range(text)
    assert parsed is not None
    assert (parsed["from"], parsed["to"], parsed["description"]) == expected


@pytest.mark.parametrize("text", ["10.0.0.1", "10.0.0.1-", "x-10.0.0.2", "10.0.0.1-y:z", "-10.0.0.1",
                                  "10.0.0.1-[10.0.0.2", "10.0.0.1-[10.0.0.2]x"])
def test_bad_reserve_text_is_one_usage_error_naming_it(run: Cli, text: str) -> None:
    result = run("network", "create", "--prefixes", "10.0.0.0/24", "--reserve", text, code=2)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1
    assert repr(text) in errors[0]
    assert "FROM-TO[:DESCRIPTION]" in errors[0]


def project(run: Cli) -> None:
    run("project", "create", "--id", PROJECT, "--name", "p")


def test_create_update_and_allocate_with_flags(run: Cli) -> None:
    project(run)
    created = run.json("network", "create", "--id", "edge", "--project", PROJECT, "--prefixes", "10.20.0.0/24",
                       "--reserve", "10.20.0.1-10.20.0.9:gateways", "--reserve", "10.20.0.200-10.20.0.254")
    assert created["reservedranges"] == [
        {"from": "10.20.0.1", "to": "10.20.0.9", "description": "gateways"},
        {"from": "10.20.0.200", "to": "10.20.0.254", "description": ""}]
    assert created["consumption"]["ipv4"]["reserved_ips"] == 9 + 55
    table = run("network", "describe", "edge", "-o", "wide").stdout
    assert "+64 reserved" in table
    assert "10.20.0.1-10.20.0.9:gateways" in table
    assert run.json("network", "ip", "create", "--network", "edge", "--project", PROJECT)["ipaddress"] == "10.20.0.10"
    refused = run("network", "ip", "create", "--network", "edge", "--project", PROJECT, "--ipaddress", "10.20.0.3",
                  code=1)
    assert "409" in refused.stderr
    assert "10.20.0.1-10.20.0.9" in refused.stderr
    meant = run.json("network", "ip", "create", "--network", "edge", "--project", PROJECT, "--ipaddress",
                     "10.20.0.3", "--reserved")
    assert meant["ipaddress"] == "10.20.0.3"
    updated = run.json("network", "update", "edge", "--reserve", "10.20.0.100-10.20.0.110:dhcp")
    assert updated["reservedranges"] == [{"from": "10.20.0.100", "to": "10.20.0.110", "description": "dhcp"}]
    assert run.json("network", "update", "edge", "--name", "kept")["reservedranges"] == updated["reservedranges"]
    assert "reservedranges" not in run.json("network", "update", "edge", "--unreserve-all")
    both = run("network", "update", "edge", "--unreserve-all", "--reserve", "10.20.0.1-10.20.0.2", code=2)
    assert "not both" in both.stderr


def test_allocate_with_reserve(run: Cli) -> None:
    project(run)
    run("partition", "create", "--id", "a")
    run("network", "create", "--id", "super-a", "--partition", "a", "--prefixes", "10.0.0.0/16", "--privatesuper",
        "--default-ipv4-child-prefix-length", "24")
    child = run.json("network", "allocate", "-n", "n", "-p", "a", "--project", PROJECT,
                     "--reserve", "10.0.0.1-10.0.0.4:switches")
    assert child["reservedranges"] == [{"from": "10.0.0.1", "to": "10.0.0.4", "description": "switches"}]
    outside = run("network", "allocate", "-n", "n", "-p", "a", "--project", PROJECT,
                  "--reserve", "10.0.0.1-10.0.0.4", code=1)
    assert "is not within one of the prefixes" in outside.stderr


def test_the_example_document_and_its_round_trip(run: Cli, tmp_path: Path) -> None:
    created = run.json("network", "create", "-f", str(EXAMPLE))
    assert [r["description"] for r in created["reservedranges"]] == ["routers and VRRP", "DHCP pool", "routers"]
    assert created["consumption"]["ipv4"]["reserved_ips"] == 9 + 55
    run("project", "create", "--id", PROJECT, "--name", "p")
    ip = run.json("network", "ip", "create", "--network", "edge-mini-lab", "--project", PROJECT)
    assert ip["ipaddress"] == "185.1.2.10"
    v6 = run.json("network", "ip", "create", "--network", "edge-mini-lab", "--project", PROJECT,
                  "--addressfamily", "IPv6")
    assert v6["ipaddress"] == "2001:db8:ff::100"
    # what describe prints can be fed back to update -f: the same ranges, nothing changes
    described = tmp_path / "described.yaml"
    described.write_text(run("network", "describe", "edge-mini-lab", "-o", "yaml").stdout)
    updated = run.json("network", "update", "-f", str(described))
    assert updated["reservedranges"] == created["reservedranges"]
