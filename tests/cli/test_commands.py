"""Each command against a recording fake API: what goes on the wire, what is printed, exit codes."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cli.main import cli
from tests.cli.canned import CHILD, IP, PARTITION, PREFIX, PROJECT, PROJECT_RECORD
from tests.cli.conftest import FakeApi, Invoke

EXAMPLE = Path(__file__).parents[2] / "examples" / "tenant-super.yaml"
def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_allocate_sends_the_allocate_request_and_prints_the_network(invoke: Invoke, fake_api: FakeApi) -> None:
    fake_api.answer("POST", "/v1/network/allocate", CHILD, 201)
    result = invoke("network", "allocate", "--partition", "mini-lab", "--project", PROJECT,
                    "--name", "my-node-network", "--ipv6-prefix-length", "100", "--addressfamily", "ipv6",
                    "--labels", "a=1,b=2")
    assert result.exit_code == 0, result.stderr
    assert fake_api.last_json() == {"partitionid": "mini-lab", "projectid": PROJECT, "name": "my-node-network",
                                    "labels": {"a": "1", "b": "2"}, "addressfamily": "IPv6",
                                    "length": {"IPv6": 100}}
    header, row = result.stdout.splitlines()
    assert header.split()[:3] == ["ID", "NAME", "PROJECT"]
    assert row.split()[:2] == [CHILD["id"], "my-node-network"]
    assert "2/1024 (<1%)" in row


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_machine_output_is_exactly_the_apis_object(invoke: Invoke, fake_api: FakeApi, fmt: str) -> None:
    fake_api.answer("GET", f"/v1/network/{CHILD['id']}", CHILD)
    result = invoke("network", "describe", CHILD["id"], "-o", fmt)
    assert result.exit_code == 0
    parsed = yaml.safe_load(result.stdout) if fmt == "yaml" else json.loads(result.stdout)
    assert parsed == CHILD
    assert list(parsed) == list(CHILD)  # the API's key order is kept


def test_root_output_option_applies_to_the_command(invoke: Invoke, fake_api: FakeApi) -> None:
    fake_api.answer("GET", "/v1/network", None)  # metal-api answers an empty list with null
    result = invoke("-o", "json", "network", "list")
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])


def test_missing_required_flag_is_a_usage_error(invoke: Invoke, fake_api: FakeApi) -> None:
    result = invoke("network", "allocate", "--project", PROJECT, "--name", "n")
    assert result.exit_code == 2
    assert "Error: Missing option '-p' / '--partition'." in result.stderr
    assert fake_api.requests == []


def test_create_from_the_example_file(invoke: Invoke, fake_api: FakeApi) -> None:
    fake_api.answer("PUT", "/v1/network", {"id": "tenant-super-network-mini-lab"}, 201)
    result = invoke("network", "create", "-f", str(EXAMPLE))
    assert result.exit_code == 0, result.stderr
    assert fake_api.last_json()["defaultchildprefixlength"] == {"IPv4": 22, "IPv6": 96}


def test_create_from_stdin_stream_creates_each_document(invoke: Invoke, fake_api: FakeApi) -> None:
    fake_api.answer("PUT", "/v1/network", {"id": "x"}, 201)
    result = invoke("network", "create", "-f", "-", "-o", "json",
                    input="id: a\nprefixes: [10.0.0.0/24]\n---\nid: b\nprefixes: [10.1.0.0/24]\n")
    assert result.exit_code == 0, result.stderr
    assert [json.loads(r.content)["id"] for r in fake_api.requests] == ["a", "b"]
    assert json.loads(result.stdout) == [{"id": "x"}, {"id": "x"}]


def test_create_stops_at_the_first_refused_document_and_says_so(invoke: Invoke, fake_api: FakeApi) -> None:
    fake_api.answer("PUT", "/v1/network", {"statuscode": 409, "message": "entity already exists"}, 409)
    result = invoke("network", "create", "-f", "-", input="- id: a\n  prefixes: [10.0.0.0/24]\n- id: b\n")
    assert result.exit_code == 1
    assert one_error_line(result.stderr) == (
        "Error: document 1 of 2 (id a): PUT /v1/network: 409 Conflict: entity already exists "
        "(it exists already or is taken)")
    assert len(fake_api.requests) == 1


def test_create_from_flags(invoke: Invoke, fake_api: FakeApi) -> None:
    fake_api.answer("PUT", "/v1/network", {"id": "internet"}, 201)
    result = invoke("network", "create", "--id", "internet", "--prefixes", "185.1.2.0/24,2a02:c00::/48",
                    "--destination-prefixes", "0.0.0.0/0", "--nat", "--vrf", "104009", "--labels", "k=v")
    assert result.exit_code == 0, result.stderr
    assert fake_api.last_json() == {"id": "internet", "labels": {"k": "v"},
                                    "prefixes": ["185.1.2.0/24", "2a02:c00::/48"],
                                    "destinationprefixes": ["0.0.0.0/0"], "nat": True, "vrf": 104009}


def test_create_refuses_file_and_flags_together_and_nothing(invoke: Invoke, fake_api: FakeApi) -> None:
    both = invoke("network", "create", "-f", str(EXAMPLE), "--name", "x")
    assert both.exit_code == 2
    assert "give either -f FILE or field flags, not both (got name)" in both.stderr
    neither = invoke("network", "create", "--name", "x")
    assert neither.exit_code == 2
    assert "at least --prefixes" in neither.stderr
    assert fake_api.requests == []


def test_unknown_field_in_the_file_is_one_line_and_sends_nothing(invoke: Invoke, fake_api: FakeApi,
                                                                  tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nprefixes: [10.0.0.0/8]\ndefaultchildprefixlenght: {IPv4: 22}\n")
    result = invoke("network", "create", "-f", str(bad))
    assert result.exit_code == 1
    assert one_error_line(result.stderr) == (
        f"Error: {bad}: Object contains unknown field `defaultchildprefixlenght`")
    assert fake_api.requests == []


def test_bad_labels_flag_is_a_usage_error(invoke: Invoke) -> None:
    result = invoke("network", "allocate", "-p", "p", "--project", "x", "-n", "n", "--labels", "novalue")
    assert result.exit_code == 2
    assert "'novalue' is not KEY=VALUE" in result.stderr


def test_missing_file_is_a_usage_error(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("network", "create", "-f", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "No such file or directory" in result.stderr


def test_list_with_filters_uses_find(invoke: Invoke, fake_api: FakeApi) -> None:
    fake_api.answer("POST", "/v1/network/find", [CHILD])
    result = invoke("network", "list", "--partition", "mini-lab", "--no-nat", "--addressfamily", "IPv6",
                    "--prefix", "10.0.0.0/22", "--parent", "tenant-super-network-mini-lab")
    assert result.exit_code == 0
    assert fake_api.last_json() == {"partitionid": "mini-lab", "prefixes": ["10.0.0.0/22"], "nat": False,
                                    "parentnetworkid": "tenant-super-network-mini-lab", "addressfamily": "IPv6"}


def test_update_adds_and_removes_prefixes_on_the_current_list(invoke: Invoke, fake_api: FakeApi) -> None:
    current = {**CHILD, "additionalAnnouncableCIDRs": ["10.240.0.0/12"]}
    fake_api.answer("GET", f"/v1/network/{CHILD['id']}", current)
    fake_api.answer("POST", "/v1/network", current)
    result = invoke("network", "update", CHILD["id"], "--add-prefixes", "10.9.0.0/24",
                    "--remove-prefixes", "10.0.0.0/22", "--name", "renamed", "--shared")
    assert result.exit_code == 0, result.stderr
    assert fake_api.last_json() == {"id": CHILD["id"], "name": "renamed", "shared": True,
                                    "prefixes": ["2001:db8:0:10::/96", "10.9.0.0/24"],
                                    "additionalAnnouncableCIDRs": ["10.240.0.0/12"]}


def test_update_refuses_removing_an_absent_prefix(invoke: Invoke, fake_api: FakeApi) -> None:
    fake_api.answer("GET", f"/v1/network/{CHILD['id']}", CHILD)
    result = invoke("network", "update", CHILD["id"], "--remove-prefixes", "10.9.0.0/24")
    assert result.exit_code == 2
    assert "prefixes 10.9.0.0/24 not present (present: 10.0.0.0/22, 2001:db8:0:10::/96)" in result.stderr
    assert [r.method for r in fake_api.requests] == ["GET"]


def test_update_from_file_takes_the_id_argument(invoke: Invoke, fake_api: FakeApi) -> None:
    fake_api.answer("POST", "/v1/network", CHILD)
    result = invoke("network", "update", "n1", "-f", "-", input="name: new\nconsumption: {}\n")
    assert result.exit_code == 0, result.stderr
    assert fake_api.last_json() == {"id": "n1", "name": "new"}
    mismatch = invoke("network", "update", "n1", "-f", "-", input="id: n2\n")
    assert mismatch.exit_code == 1
    assert "the document's id n2 differs from ID n1" in mismatch.stderr


def test_free_and_delete_paths(invoke: Invoke, fake_api: FakeApi) -> None:
    fake_api.answer("DELETE", "/v1/network/free/n1", CHILD)
    fake_api.answer("DELETE", "/v1/network/n1", CHILD)
    assert invoke("network", "free", "n1").exit_code == 0
    assert invoke("network", "delete", "n1").exit_code == 0
    assert [(r.method, r.url.path) for r in fake_api.requests] == [
        ("DELETE", "/v1/network/free/n1"), ("DELETE", "/v1/network/n1")]


def test_ip_create_next_free_and_specific(invoke: Invoke, fake_api: FakeApi) -> None:
    ip = IP
    fake_api.answer("POST", "/v1/ip/allocate", ip, 201)
    fake_api.answer("POST", "/v1/ip/allocate/2001:db8:0:10::5", ip, 201)
    result = invoke("network", "ip", "create", "--network", "n", "--project", PROJECT, "--addressfamily", "ipv4",
                    "--tags", "a,b")
    assert result.exit_code == 0, result.stderr
    assert fake_api.last_json() == {"networkid": "n", "projectid": PROJECT, "type": "ephemeral",
                                    "tags": ["a", "b"], "addressfamily": "IPv4"}
    assert result.stdout.splitlines()[1].split()[:2] == ["10.0.0.1", "n"]
    specific = invoke("network", "ip", "create", "--network", "n", "--project", PROJECT,
                      "--ipaddress", "2001:db8:0:10::5", "--type", "static")
    assert specific.exit_code == 0, specific.stderr
    assert fake_api.last.url.path == "/v1/ip/allocate/2001:db8:0:10::5"


def test_ip_update_keeps_the_current_type(invoke: Invoke, fake_api: FakeApi) -> None:
    fake_api.answer("GET", "/v1/ip/10.0.0.1", {"ipaddress": "10.0.0.1", "type": "static"})
    fake_api.answer("POST", "/v1/ip", {"ipaddress": "10.0.0.1", "type": "static"})
    assert invoke("network", "ip", "update", "10.0.0.1", "--name", "web").exit_code == 0
    assert fake_api.last_json() == {"ipaddress": "10.0.0.1", "name": "web", "type": "static"}


def test_ip_list_describe_delete(invoke: Invoke, fake_api: FakeApi) -> None:
    fake_api.answer("GET", "/v1/ip", [])
    fake_api.answer("POST", "/v1/ip/find", [])
    fake_api.answer("GET", "/v1/ip/10.0.0.1", {"ipaddress": "10.0.0.1"})
    fake_api.answer("DELETE", "/v1/ip/free/10.0.0.1", {"ipaddress": "10.0.0.1"})
    assert invoke("network", "ip", "list").stdout.split() == ["IP", "DESCRIPTION", "NAME", "NETWORK", "PROJECT",
                                                              "TYPE", "TAGS"]
    assert invoke("network", "ip", "list", "--network", "n", "--prefix", "10.0.0.0/22").exit_code == 0
    assert fake_api.last_json() == {"networkid": "n", "networkprefix": "10.0.0.0/22"}
    assert invoke("network", "ip", "describe", "10.0.0.1").exit_code == 0
    assert invoke("network", "ip", "delete", "10.0.0.1").exit_code == 0
    assert invoke("network", "ip", "free", "10.0.0.1").exit_code == 0
    assert fake_api.last.url.path == "/v1/ip/free/10.0.0.1"


def test_api_error_is_one_line_with_status_message_and_hint(invoke: Invoke, fake_api: FakeApi) -> None:
    fake_api.answer("POST", "/v1/network/allocate",
                    {"statuscode": 404, "message": "no network found in partition mini-lab"}, 404)
    result = invoke("network", "allocate", "-p", "mini-lab", "--project", PROJECT, "-n", "n")
    assert result.exit_code == 1
    assert one_error_line(result.stderr) == (
        "Error: POST /v1/network/allocate: 404 Not Found: no network found in partition mini-lab "
        "(check the id or address)")
    assert result.stdout == ""


def test_unexpected_answer_is_one_line_not_a_traceback(invoke: Invoke, fake_api: FakeApi) -> None:
    fake_api.answer("GET", "/v1/network/n1", ["not", "a", "network"])
    result = invoke("network", "update", "n1", "--add-prefixes", "10.0.0.0/8")
    assert result.exit_code == 1
    assert one_error_line(result.stderr).startswith("Error: unexpected AttributeError: ")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_server_names_the_url_and_what_to_check() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(cli, ["--api-url", url, "network", "list"])
    assert result.exit_code == 1
    assert one_error_line(result.stderr) == (
        f"Error: cannot reach {url} (connection refused): is `metalnet serve` running, and is the URL right "
        "(--api-url, METALNET_URL, config context)?")


def test_config_errors_are_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "none.yaml"), "network", "list"])
    assert result.exit_code == 1
    assert one_error_line(result.stderr) == f"Error: config file {tmp_path / 'none.yaml'} does not exist"


def test_ipam_verbs(invoke: Invoke, fake_api: FakeApi) -> None:
    svc = "/api.v1.IpamService"
    child = {"cidr": "10.0.0.0/24", "parentCidr": "10.0.0.0/16"}
    fake_api.answer("POST", f"{svc}/AcquireChildPrefix", {"prefix": child})
    fake_api.answer("POST", f"{svc}/AcquireIP", {"ip": {"ip": "10.0.0.1", "parentPrefix": "10.0.0.0/24"}})
    fake_api.answer("POST", f"{svc}/PrefixUsage", {"availableIps": "256", "acquiredIps": "3"})
    result = invoke("prefix", "acquire-child", "10.0.0.0/16", "--length", "24", "--namespace", "lab", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"cidr": "10.0.0.0/24", "parentCidr": "10.0.0.0/16"}
    assert fake_api.last_json() == {"cidr": "10.0.0.0/16", "length": 24, "namespace": "lab"}
    result = invoke("ip", "acquire", "10.0.0.0/24", "--ip", "10.0.0.1")
    assert result.stdout.splitlines()[1].split() == ["10.0.0.1", "10.0.0.0/24"]
    assert fake_api.last_json() == {"prefixCidr": "10.0.0.0/24", "ip": "10.0.0.1"}
    assert "acquired IPs                 3" in invoke("prefix", "usage", "10.0.0.0/24").stdout


@pytest.mark.parametrize(("verb", "rpc"), [("create", "CreatePrefix"), ("describe", "GetPrefix"),
                                          ("delete", "DeletePrefix"), ("release-child", "ReleaseChildPrefix")])
def test_prefix_verbs_send_the_cidr_and_namespace(invoke: Invoke, fake_api: FakeApi, verb: str, rpc: str) -> None:
    prefix = PREFIX
    fake_api.answer("POST", f"/api.v1.IpamService/{rpc}", {"prefix": prefix})
    result = invoke("prefix", verb, "10.0.0.0/24", "--namespace", "lab")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1].split() == ["10.0.0.0/24", "10.0.0.0/16"]
    assert fake_api.last.url.path == f"/api.v1.IpamService/{rpc}"
    assert fake_api.last_json() == {"cidr": "10.0.0.0/24", "namespace": "lab"}
    assert json.loads(invoke("prefix", verb, "10.0.0.0/24", "-o", "json").stdout) == prefix
    assert fake_api.last_json() == {"cidr": "10.0.0.0/24"}


def test_acquire_child_needs_exactly_one_of_length_and_cidr(invoke: Invoke, fake_api: FakeApi) -> None:
    assert invoke("prefix", "acquire-child", "10.0.0.0/16").exit_code == 2
    both = invoke("prefix", "acquire-child", "10.0.0.0/16", "--length", "24", "--cidr", "10.0.0.0/24")
    assert both.exit_code == 2
    assert "exactly one of --length L or --cidr C" in both.stderr
    assert fake_api.requests == []


def test_connect_error_of_the_ipam_service_is_one_line(invoke: Invoke, fake_api: FakeApi) -> None:
    fake_api.answer("POST", "/api.v1.IpamService/GetPrefix",
                    {"code": "not_found", "message": "prefix 10.9.0.0/16 not found"}, 404)
    result = invoke("prefix", "describe", "10.9.0.0/16")
    assert one_error_line(result.stderr) == (
        "Error: POST /api.v1.IpamService/GetPrefix: 404 Not Found: prefix 10.9.0.0/16 not found "
        "(check the id or address)")


def test_partition_and_project(invoke: Invoke, fake_api: FakeApi) -> None:
    fake_api.answer("PUT", "/v1/partition", PARTITION, 201)
    fake_api.answer("PUT", "/v1/project", PROJECT_RECORD, 201)
    result = invoke("partition", "create", "--id", "mini-lab", "--name", "Mini Lab")
    assert fake_api.last_json() == {"id": "mini-lab", "name": "Mini Lab"}
    assert result.stdout.splitlines()[1].split() == ["mini-lab", "Mini", "Lab"]
    result = invoke("project", "create", "--id", PROJECT, "--name", "p")
    assert fake_api.last_json() == {"name": "p", "meta": {"id": PROJECT}}
    assert result.stdout.splitlines()[1].split() == [PROJECT, "p"]


@pytest.mark.parametrize(("noun", "record", "first_cell"), [
    ("partition", PARTITION, "mini-lab"),
    ("project", PROJECT_RECORD, PROJECT),
])
def test_partition_and_project_read_and_delete(invoke: Invoke, fake_api: FakeApi, noun: str,
                                               record: dict[str, object], first_cell: str) -> None:
    ident = "id/with space"
    fake_api.answer("GET", f"/v1/{noun}", [record])
    fake_api.answer("GET", f"/v1/{noun}/{ident}", record)
    fake_api.answer("DELETE", f"/v1/{noun}/{ident}", record)
    for args in (["list"], ["describe", ident], ["delete", ident]):
        result = invoke(noun, *args)
        assert result.exit_code == 0, result.stderr
        assert result.stdout.splitlines()[1].split()[0] == first_cell
    assert [(r.method, r.url.raw_path.decode()) for r in fake_api.requests] == [
        ("GET", f"/v1/{noun}"), ("GET", f"/v1/{noun}/id%2Fwith%20space"), ("DELETE", f"/v1/{noun}/id%2Fwith%20space")]
    assert json.loads(invoke(noun, "describe", ident, "-o", "json").stdout) == record


def test_version(invoke: Invoke, fake_api: FakeApi) -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("metalnet, version ")
    assert fake_api.requests == []
