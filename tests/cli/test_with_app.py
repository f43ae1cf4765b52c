"""The CLI in-process against the real app (``litestar.testing.TestClient``): the paths the walkthrough skips.

Update, find filters, partition/project round trips and YAML streams go through the real API here, without
a server process, so the CLI's requests are checked against the API's real validation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from litestar.testing import TestClient

from cli.main import cli
from cli.state import CliState
from metalnet.api.app import create_app
from metalnet.storage import MemoryStorage

PROJECT = "4b9b17c4-2d7c-4190-ae95-dda44e430fa6"
SUPERS = """\
id: super-a
partitionid: a
prefixes: [10.0.0.0/16]
defaultchildprefixlength: {IPv4: 24}
privatesuper: true
---
id: internet
prefixes: [185.0.0.0/24, 2a02:c00::/64]
destinationprefixes: [0.0.0.0/0]
nat: true
labels: {network.metal-stack.io/default: ""}
"""


class Cli:
    def __init__(self, client: TestClient[Any]) -> None:
        self.client = client

    def __call__(self, *args: str, input: str | None = None, code: int = 0) -> Result:
        result = CliRunner().invoke(cli, list(args), obj=CliState(http=self.client), input=input)
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        # a failure is one of ours (SystemExit via ClickException), never a leaked exception
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "-o", "json").stdout)


@pytest.fixture
def run() -> Iterator[Cli]:
    storage = MemoryStorage()
    with TestClient(create_app(storage)) as client:
        yield Cli(client)
    storage.close()


@pytest.fixture
def lab(run: Cli) -> Cli:
    run("partition", "create", "--id", "a", "--name", "A", "--labels", "site=x")
    run("project", "create", "--id", PROJECT, "--name", "p")
    run("network", "create", "-f", "-", input=SUPERS)
    return run


def test_partition_and_project_round_trip(lab: Cli) -> None:
    assert lab.json("partition", "describe", "a")["labels"] == {"site": "x"}
    assert [p["meta"]["id"] for p in lab.json("project", "list")] == [PROJECT]
    lab("partition", "delete", "b", code=1)
    lab("project", "delete", PROJECT)
    assert lab.json("project", "list") == []


def test_stream_created_both_networks(lab: Cli) -> None:
    listed = lab.json("network", "list")
    assert sorted(n["id"] for n in listed) == ["internet", "super-a"]
    nat = lab.json("network", "list", "--nat")
    assert [n["id"] for n in nat] == ["internet"]
    v6 = lab.json("network", "list", "--addressfamily", "ipv6")
    assert [n["id"] for n in v6] == ["internet"]


def test_update_prefixes_labels_and_name(lab: Cli) -> None:
    lab("network", "update", "internet", "--add-prefixes", "185.0.1.0/24", "--remove-prefixes", "185.0.0.0/24",
        "--name", "Internet", "--labels", "a=b")
    got = lab.json("network", "describe", "internet")
    assert (got["name"], got["labels"], got["prefixes"]) == ("Internet", {"a": "b"}, ["2a02:c00::/64", "185.0.1.0/24"])


def test_update_from_a_described_document(lab: Cli) -> None:
    described = yaml.safe_load(lab("network", "describe", "internet", "-o", "yaml").stdout)
    described["description"] = "edited"
    lab("network", "update", "-f", "-", input=yaml.safe_dump(described))
    assert lab.json("network", "describe", "internet")["description"] == "edited"


def test_allocate_single_family_with_length_and_ips(lab: Cli) -> None:
    child = lab.json("network", "allocate", "-p", "a", "--project", PROJECT, "-n", "c", "--ipv4-prefix-length", "26")
    assert child["prefixes"] == ["10.0.0.0/26"]
    tree = lab("network", "list").stdout.splitlines()
    assert [line.split()[0] for line in tree[1:]] == ["internet", "super-a", f"└─╴{child['id']}"]
    ip = lab.json("network", "ip", "create", "--network", child["id"], "--project", PROJECT, "--tags", "t=1")
    assert (ip["ipaddress"], ip["tags"]) == ("10.0.0.1", ["t=1"])
    no_v6 = lab("network", "ip", "create", "--network", child["id"], "--project", PROJECT,
                "--addressfamily", "IPv6", code=1)
    assert no_v6.stderr.startswith("Error: POST /v1/ip/allocate: 400 Bad Request: ")
    lab("network", "ip", "update", "-f", "-", input=f"ipaddress: {ip['ipaddress']}\nname: renamed\ntype: static\n")
    assert lab.json("network", "ip", "describe", "10.0.0.1")["name"] == "renamed"
    assert [i["ipaddress"] for i in lab.json("network", "ip", "list", "--project", PROJECT)] == ["10.0.0.1"]
    lab("network", "ip", "delete", "10.0.0.1")
    lab("network", "free", child["id"])
    lab("network", "delete", "internet")
    assert [n["id"] for n in lab.json("network", "list")] == ["super-a"]


def test_ip_update_stream_names_the_refused_document(lab: Cli) -> None:
    ip = lab.json("network", "ip", "create", "--network", "internet", "--project", PROJECT)
    stream = f"ipaddress: {ip['ipaddress']}\nname: first\n---\nipaddress: 185.0.0.99\nname: second\n"
    refused = lab("network", "ip", "update", "-f", "-", input=stream, code=1)
    assert refused.stderr.startswith(
        "Error: document 2 of 2 (ip 185.0.0.99) after documents 1-1 were applied: POST /v1/ip: 404 Not Found: ")
    assert lab.json("network", "ip", "describe", ip["ipaddress"])["name"] == "first"


def test_count_allocates_in_bulk(lab: Cli) -> None:
    children = lab.json("network", "allocate", "-p", "a", "--project", PROJECT, "-n", "rack",
                        "--ipv4-prefix-length", "29", "--count", "2")
    assert [c["prefixes"] for c in children] == [["10.0.0.0/29"], ["10.0.0.8/29"]]
    ips = lab.json("network", "ip", "create", "--network", children[0]["id"], "--project", PROJECT, "--count", "4")
    assert [ip["ipaddress"] for ip in ips] == ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]
    short = lab("network", "ip", "create", "--network", children[0]["id"], "--project", PROJECT, "--count", "3",
                code=1)
    assert "only 2 IPv4 addresses are free" in short.stderr
    assert len(short.stderr.strip().splitlines()) == 1
    lab("network", "ip", "create", "--network", children[0]["id"], "--project", PROJECT, "--count", "2",
        "--ipaddress", "10.0.0.6", code=2)
    assert len(lab("network", "ip", "list", "--project", PROJECT).stdout.splitlines()) == 5
