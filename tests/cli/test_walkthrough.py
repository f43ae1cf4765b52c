"""The README walkthrough against a real ``metalnet serve`` process, driven through the CLI as a user would.

One server per module. The ``lab`` fixture runs the walkthrough of the dual-stack proposal once (partition,
project, tenant super network, child allocation, an IPv4 and an IPv6 address); the tests check its outputs,
then the error paths: bad YAML, unknown fields, missing flags, API refusals and an unreachable server.
The walkthrough and the error lines run the CLI as separate processes (real exit codes, real stderr); the
longer flows (IP lifecycle, IPAM verbs, HMAC roles) run it in-process against the same real server.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from cli.main import cli
from tests.cli.server import REPO, Server, cli_command, cli_env, free_port, running_server

EXAMPLES = REPO / "examples"
#: the dual-stack proposal's allocation result (a copy of the shared example)
EXPECTED = Path(__file__).resolve().parents[2] / "examples" / "expected-allocation.yaml"
#: a HOME without ~/.metalnet, so no user config reaches the CLI under test
EMPTY_HOME = REPO / "tests"
PROJECT = "4b9b17c4-2d7c-4190-ae95-dda44e430fa6"


@dataclass(frozen=True)
class Run:
    """One finished CLI process."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    def ok(self) -> Run:
        assert self.code == 0, f"metalnet {' '.join(self.args)} exited {self.code}: {self.stderr}"
        assert self.stderr == "", self.stderr
        return self

    def error_line(self, code: int = 1) -> str:
        """The single stderr line of a failed run (and no traceback, nothing on stdout)."""
        assert self.code == code, f"exit {self.code}, stdout {self.stdout!r}, stderr {self.stderr!r}"
        assert "Traceback" not in self.stderr
        assert self.stdout == ""
        lines = self.stderr.strip().splitlines()
        assert len(lines) == 1, self.stderr
        return lines[0]


def metalnet(server: Server | None, *args: str, stdin: str | None = None, **env: str) -> Run:
    """Run ``metalnet ARGS`` in a fresh process against ``server`` (via METALNET_URL, as users would)."""
    extra = {"METALNET_URL": server.url} if server is not None else {}
    proc = subprocess.run(cli_command(*args), cwd=REPO, env=cli_env(HOME=str(EMPTY_HOME), **extra, **env),
                          input=stdin, capture_output=True, text=True, timeout=60, check=False)
    return Run(args, proc.returncode, proc.stdout, proc.stderr)


def inproc(server: Server | None, *args: str, stdin: str | None = None) -> Run:
    """``metalnet ARGS`` in this process (CliRunner), still against the real server: cheaper than a process.

    A failure must be one of ours (a SystemExit from a ClickException), never a leaked exception.
    """
    env = {"METALNET_URL": server.url} if server is not None else {}
    result = CliRunner().invoke(cli, list(args), input=stdin, env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return Run(args, result.exit_code, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("serve")) as srv:
        yield srv


@dataclass(frozen=True)
class Lab:
    """The outputs of the walkthrough."""

    partition: Run
    project: Run
    super_network: Run
    allocation: Run
    ipv4: Run
    ipv6: Run
    child: dict[str, Any]


@pytest.fixture(scope="module")
def lab(server: Server) -> Lab:
    partition = metalnet(server, "partition", "create", "--id", "mini-lab", "--name", "Mini Lab").ok()
    project = metalnet(server, "project", "create", "--id", PROJECT, "--name", "my-project").ok()
    super_network = metalnet(server, "network", "create", "-f", "examples/tenant-super.yaml").ok()
    allocation = metalnet(server, "network", "allocate", "--partition", "mini-lab", "--project", PROJECT,
                          "--name", "my-node-network", "-o", "yaml").ok()
    child = yaml.safe_load(allocation.stdout)
    ipv4 = metalnet(server, "network", "ip", "create", "--network", child["id"], "--project", PROJECT).ok()
    ipv6 = metalnet(server, "network", "ip", "create", "--network", child["id"], "--project", PROJECT,
                    "--addressfamily", "IPv6", "-o", "yaml").ok()
    return Lab(partition, project, super_network, allocation, ipv4, ipv6, child)


def rows(table: str) -> list[list[str]]:
    """A table's rows split into cells (cells are separated by two or more spaces)."""
    return [re.split(r"\s{2,}", line.strip()) for line in table.splitlines()]


def test_setup_tables(lab: Lab) -> None:
    assert rows(lab.partition.stdout) == [["ID", "NAME", "DESCRIPTION", "LABELS"], ["mini-lab", "Mini Lab"]]
    assert rows(lab.project.stdout)[1] == [PROJECT, "my-project"]
    header, row = rows(lab.super_network.stdout)
    assert header == ["ID", "NAME", "PROJECT", "PARTITION", "NAT", "SHARED", "PREFIXES", "IPV4 USE", "IPV6 USE"]
    assert row == ["tenant-super-network-mini-lab", "Project Super Network", "mini-lab",
                   "10.0.0.0/16,2001:db8:0:10::/64", "2/65536 (<1%)", "1/2.1G (<1%)"]


def test_allocation_matches_the_proposal(lab: Lab) -> None:
    expected = next(yaml.safe_load_all(EXPECTED.read_text()))
    got = lab.child
    for key, value in expected.items():
        if key not in ("id", "vrf"):
            assert got[key] == value, key
    assert re.fullmatch(r"[0-9a-f-]{36}", got["id"])
    assert 1 <= got["vrf"] <= 131072


def test_yaml_output_is_the_apis_object(lab: Lab, server: Server) -> None:
    as_json = inproc(server, "network", "describe", lab.child["id"], "-o", "json").ok()
    described = json.loads(as_json.stdout)
    # the same object in both formats; only the consumption moved on (two IPs were allocated since)
    assert {k: v for k, v in described.items() if k not in ("consumption", "usage", "changed")} == {
        k: v for k, v in lab.child.items() if k not in ("consumption", "usage", "changed")}
    assert described["consumption"]["ipv4"]["used_ips"] == 3
    assert described["consumption"]["ipv6"]["used_ips"] == 2


def test_ipv4_by_default_and_ipv6_on_request(lab: Lab) -> None:
    header, row = rows(lab.ipv4.stdout)
    assert header == ["IP", "DESCRIPTION", "NAME", "NETWORK", "PROJECT", "TYPE", "TAGS"]
    assert row == ["10.0.0.1", lab.child["id"], PROJECT, "ephemeral"]
    ipv6 = yaml.safe_load(lab.ipv6.stdout)
    assert (ipv6["ipaddress"], ipv6["networkid"], ipv6["type"]) == ("2001:db8:0:10::1", lab.child["id"], "ephemeral")


def test_network_list_is_a_tree_with_usage_per_family(lab: Lab, server: Server) -> None:
    listed = rows(inproc(server, "network", "list", "--partition", "mini-lab").ok().stdout)
    assert [r[0] for r in listed[1:]] == ["tenant-super-network-mini-lab", f"└─╴{lab.child['id']}"]
    assert listed[2][-2:] == ["3/1024 (<1%)", "2/2.1G (<1%)"]


def test_ip_list(lab: Lab, server: Server) -> None:
    listed = rows(inproc(server, "network", "ip", "list", "--network", lab.child["id"]).ok().stdout)
    assert [r[0] for r in listed[1:]] == ["10.0.0.1", "2001:db8:0:10::1"]


def test_bad_yaml(server: Server) -> None:
    line = metalnet(server, "network", "create", "-f", "-", stdin="id: x\nprefixes: [10.1.0.0/16\n").error_line()
    assert re.fullmatch(r"Error: stdin: not valid YAML: .+ \(line \d+, column \d+\)", line)


def test_unknown_field(server: Server, tmp_path: Path) -> None:
    bad = tmp_path / "typo.yaml"
    bad.write_text((EXAMPLES / "tenant-super.yaml").read_text().replace("privatesuper", "privatsuper"))
    line = metalnet(server, "network", "create", "-f", str(bad)).error_line()
    assert line == f"Error: {bad}: Object contains unknown field `privatsuper`"


def test_missing_required_flags(server: Server) -> None:
    run = metalnet(server, "network", "ip", "create", "--project", PROJECT)
    assert run.code == 2
    assert run.stderr.strip().endswith("Error: Missing option '--network'.")
    assert "Traceback" not in run.stderr


def test_unreachable_server() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    line = metalnet(None, "network", "list", METALNET_URL=url).error_line()
    assert line == (f"Error: cannot reach {url} (connection refused): is `metalnet serve` running, and is the URL "
                    "right (--api-url, METALNET_URL, config context)?")


def test_api_refusals_are_one_line_with_status(lab: Lab, server: Server) -> None:
    again = metalnet(server, "network", "create", "-f", "examples/tenant-super.yaml").error_line()
    assert re.fullmatch(r"Error: PUT /v1/network: 409 Conflict: .*tenant-super-network-mini-lab.* "
                        r"\(it exists already or is taken\)", again)
    unknown = metalnet(server, "network", "allocate", "--partition", "nowhere", "--project", PROJECT,
                       "--name", "x").error_line()
    assert re.fullmatch(r"Error: POST /v1/network/allocate: 404 Not Found: .*nowhere.* \(check the id or address\)",
                        unknown)
    taken = metalnet(server, "network", "ip", "create", "--network", lab.child["id"], "--project", PROJECT,
                     "--ipaddress", "10.0.0.1").error_line()
    assert taken.startswith("Error: POST /v1/ip/allocate/10.0.0.1: 409 Conflict: ")


def test_ip_lifecycle_and_free(server: Server, lab: Lab) -> None:
    net = yaml.safe_load(inproc(server, "network", "allocate", "-p", "mini-lab", "--project", PROJECT,
                                  "-n", "short-lived", "--addressfamily", "IPv4", "-o", "yaml").ok().stdout)
    assert net["prefixes"] == ["10.0.4.0/22"]
    ip = json.loads(inproc(server, "network", "ip", "create", "--network", net["id"], "--project", PROJECT,
                             "--name", "web", "--type", "static", "-o", "json").ok().stdout)
    updated = json.loads(inproc(server, "network", "ip", "update", ip["ipaddress"], "--description", "front",
                                  "-o", "json").ok().stdout)
    assert (updated["name"], updated["description"], updated["type"]) == ("web", "front", "static")
    refused = inproc(server, "network", "free", net["id"]).error_line()
    assert refused.startswith(f"Error: DELETE /v1/network/free/{net['id']}: 422 Unprocessable Entity: ")
    inproc(server, "network", "ip", "delete", ip["ipaddress"]).ok()
    freed = json.loads(inproc(server, "network", "free", net["id"], "-o", "json").ok().stdout)
    assert freed["id"] == net["id"]
    gone = inproc(server, "network", "describe", net["id"]).error_line()
    assert gone.startswith(f"Error: GET /v1/network/{net['id']}: 404 Not Found: ")


def test_ipam_verbs(server: Server) -> None:
    inproc(server, "prefix", "create", "192.168.0.0/16", "--namespace", "cli-test").error_line()  # no namespace
    inproc(server, "namespace", "create", "cli-test").ok()
    ns = ("--namespace", "cli-test")
    assert rows(inproc(server, "prefix", "create", "192.168.0.0/16", *ns).ok().stdout)[1] == ["192.168.0.0/16"]
    child = rows(inproc(server, "prefix", "acquire-child", "192.168.0.0/16", "--length", "24", *ns).ok().stdout)
    assert child[1] == ["192.168.0.0/24", "192.168.0.0/16"]
    acquired = json.loads(inproc(server, "ip", "acquire", "192.168.0.0/24", *ns, "-o", "json").ok().stdout)
    assert acquired == {"ip": "192.168.0.1", "parentPrefix": "192.168.0.0/24"}
    usage = dict(rows(inproc(server, "prefix", "usage", "192.168.0.0/24", *ns).ok().stdout)[1:])
    assert (usage["available IPs"], usage["acquired IPs"]) == ("256", "3")
    busy = inproc(server, "prefix", "release-child", "192.168.0.0/24", *ns).error_line()
    assert busy.startswith("Error: POST /api.v1.IpamService/ReleaseChildPrefix: 4")
    inproc(server, "ip", "release", "192.168.0.0/24", "192.168.0.1", *ns).ok()
    inproc(server, "prefix", "release-child", "192.168.0.0/24", *ns).ok()
    inproc(server, "prefix", "delete", "192.168.0.0/16", *ns).ok()
    assert rows(inproc(server, "prefix", "list", *ns).ok().stdout) == [["CIDR", "PARENT"]]


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    keys = ("--hmac-view-key", "view-key", "--hmac-admin-key", "admin-key")
    with running_server(tmp_path_factory.mktemp("secured"), keys) as srv:
        yield srv


def test_hmac_roles_against_a_secured_server(secured: Server, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"current: admin\ncontexts:\n  admin:\n    url: {secured.url}\n    hmac: admin-key\n"
                      f"  viewer:\n    url: {secured.url}\n    hmac: view-key\n    hmac_user: Metal-View\n")
    anonymous = inproc(secured, "partition", "list").error_line()
    assert re.fullmatch(r"Error: GET /v1/partition: 401 Unauthorized: .+ \(check the credentials .+\)", anonymous)
    inproc(None, "--config", str(config), "partition", "create", "--id", "p1").ok()
    viewer = ("--config", str(config), "--context", "viewer")
    assert rows(inproc(None, *viewer, "partition", "list").ok().stdout)[1] == ["p1"]
    denied = inproc(None, *viewer, "partition", "delete", "p1").error_line()
    assert re.fullmatch(r"Error: DELETE /v1/partition/p1: 403 Forbidden: .+ \(the credentials lack the role .+\)",
                        denied)
    wrong = inproc(secured, "--hmac", "not-the-key", "partition", "list").error_line()
    assert " 401 Unauthorized: " in wrong


def test_serve_refuses_bad_configuration(tmp_path: Path) -> None:
    line = metalnet(None, "serve", "--host", "0.0.0.0", "--port", str(free_port())).error_line()  # noqa: S104
    assert line.startswith("Error: refusing to listen on 0.0.0.0: no HMAC keys or tokens are configured")


def test_serve_on_a_taken_port_fails_with_exit_1(server: Server, tmp_path: Path) -> None:
    port = server.url.rsplit(":", 1)[1]
    run = metalnet(None, "serve", "--port", port, "--db", f"sqlite:///{tmp_path / 'other.db'}")
    assert run.code == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last == f"Error: the server could not start on 127.0.0.1:{port} (see the log above)"
    assert "Traceback" not in run.stderr
