"""``metalnet events`` and ``metalnet network ip history`` in-process against the real app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from litestar.testing import TestClient

from cli.commands.events import sse_messages
from cli.main import cli
from cli.state import CliState
from metalnet.api.app import create_app
from metalnet.api.settings import Settings
from metalnet.history.retention import HistorySettings
from metalnet.storage import MemoryStorage

PROJECT = "p1"


def invoke(client: TestClient[Any], *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, list(args), obj=CliState(http=client))
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture
def client() -> Iterator[TestClient[Any]]:
    storage = MemoryStorage()
    with TestClient(create_app(storage, Settings(request_log=False, history=HistorySettings()))) as test_client:
        invoke(test_client, "partition", "create", "--id", "a")
        invoke(test_client, "project", "create", "--id", PROJECT)
        test_client.put("/v1/network", json={"id": "super-a", "partitionid": "a", "prefixes": ["10.0.0.0/16"],
                                             "defaultchildprefixlength": {"IPv4": 24}, "privatesuper": True})
        yield test_client


def test_events_lists_the_history_as_table_json_and_yaml(client: TestClient[Any]) -> None:
    table = invoke(client, "events").stdout.splitlines()
    assert table[0].split() == ["SEQ", "TIME", "ACTION", "KIND", "ID", "PROJECT", "BY", "ROUTE"]
    assert [line.split()[2:5] for line in table[1:]] == [
        ["create", "partition", "a"], ["create", "project", "p1"], ["create", "network", "super-a"]]
    as_json = json.loads(invoke(client, "events", "-o", "json", "--kind", "network").stdout)
    assert [(e["seq"], e["id"], e["route"]) for e in as_json] == [(3, "super-a", "PUT /v1/network")]
    as_yaml = yaml.safe_load(invoke(client, "events", "-o", "yaml", "--since", "1h").stdout)
    assert [e["seq"] for e in as_yaml] == [1, 2, 3]


def test_events_refuses_a_bad_since_in_one_line(client: TestClient[Any]) -> None:
    result = invoke(client, "events", "--since", "last tuesday", code=1)
    assert "invalid since 'last tuesday'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_ip_history_shows_who_held_an_address(client: TestClient[Any]) -> None:
    child = json.loads(invoke(client, "network", "allocate", "--partition", "a", "--project", PROJECT, "-n", "n",
                              "-o", "json").stdout)
    ip = json.loads(invoke(client, "network", "ip", "create", "--network", child["id"], "--project", PROJECT,
                           "-o", "json").stdout)["ipaddress"]
    invoke(client, "network", "ip", "free", ip)
    lines = invoke(client, "network", "ip", "history", ip).stdout.splitlines()
    assert lines[0].split() == ["TIME", "ACTION", "PROJECT", "NETWORK", "NAME", "BY"]
    assert [line.split()[1:4] for line in lines[1:]] == [["allocate", PROJECT, child["id"]],
                                                         ["free", PROJECT, child["id"]]]
    assert [e["action"] for e in json.loads(invoke(client, "network", "ip", "history", ip, "-o", "json").stdout)] \
        == ["allocate", "free"]


def test_sse_messages_are_parsed_as_the_spec_says() -> None:
    stream = ["retry: 1000", "", ": keepalive", "", "id: 7", "data: {\"a\":1}", "", "event: gap",
              "data: {\"oldest\": 5}", "", "id: 8", "data:line1", "data: line2", ""]
    assert list(sse_messages(iter(stream))) == [("message", "7", '{"a":1}'), ("gap", "", '{"oldest": 5}'),
                                                 ("message", "8", "line1\nline2")]


def test_ip_history_takes_any_spelling_of_an_address_and_refuses_a_non_address(client: TestClient[Any]) -> None:
    assert invoke(client, "network", "ip", "history", "2001:0db8:0::1").stdout.splitlines()[1:] == []
    result = invoke(client, "network", "ip", "history", "10.0.0.300", code=1)
    assert "'10.0.0.300' is not an IP address" in result.stderr
