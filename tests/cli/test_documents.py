"""``-f FILE``: JSON or YAML, one document, a list or a stream; unknown fields and bad syntax refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.documents import load_documents
from cli.errors import InputError
from cli.specs import IpSpec, NetworkSpec

EXAMPLE = Path(__file__).parents[2] / "examples" / "tenant-super.yaml"


def test_the_proposals_tenant_super_network() -> None:
    [doc] = load_documents(EXAMPLE.read_bytes(), "tenant-super.yaml", NetworkSpec)
    assert doc.create_body() == {
        "id": "tenant-super-network-mini-lab",
        "name": "Project Super Network",
        "description": "Super network of all project networks",
        "partitionid": "mini-lab",
        "prefixes": ["10.0.0.0/16", "2001:db8:0:10::/64"],
        "defaultchildprefixlength": {"IPv4": 22, "IPv6": 96},
        "privatesuper": True,
    }


def test_yaml_stream_and_list_and_json_give_the_same_documents() -> None:
    stream = b"id: a\nprefixes: [10.0.0.0/24]\n---\nid: b\nprefixes: [10.0.1.0/24]\n...\n"
    listed = b"- id: a\n  prefixes: [10.0.0.0/24]\n- id: b\n  prefixes: [10.0.1.0/24]\n"
    as_json = b'[{"id": "a", "prefixes": ["10.0.0.0/24"]}, {"id": "b", "prefixes": ["10.0.1.0/24"]}]'
    results = [[d.id for d in load_documents(data, "f", NetworkSpec)] for data in (stream, listed, as_json)]
    assert results == [["a", "b"]] * 3


def test_the_wire_limits_apply_before_anything_is_sent() -> None:
    # the documents are the API's own request structs, so its value bounds are checked here already
    with pytest.raises(InputError, match=r"Expected `int` <= 255 - at `\$.defaultchildprefixlength\[...\]`"):
        load_documents(b"id: a\ndefaultchildprefixlength: {IPv4: 300}\n", "f", NetworkSpec)
    with pytest.raises(InputError, match=r"Expected `int` >= 0 - at `\$.vrf`"):
        load_documents(b"id: a\nvrf: -1\n", "f", NetworkSpec)


def test_update_bodies_carry_only_the_update_requests_fields() -> None:
    [doc] = load_documents(EXAMPLE.read_bytes(), "tenant-super.yaml", NetworkSpec)
    assert doc.update_body() == {
        "id": "tenant-super-network-mini-lab",
        "name": "Project Super Network",
        "description": "Super network of all project networks",
        "prefixes": ["10.0.0.0/16", "2001:db8:0:10::/64"],
        "defaultchildprefixlength": {"IPv4": 22, "IPv6": 96},
    }


def test_unknown_field_is_named() -> None:
    with pytest.raises(InputError, match=r"^f.yaml: Object contains unknown field `prefix`$"):
        load_documents(b"id: a\nprefix: 10.0.0.0/8\n", "f.yaml", NetworkSpec)


def test_unknown_field_in_the_second_document_names_the_document() -> None:
    with pytest.raises(InputError, match=r"f.yaml \(document 2\): Object contains unknown field `vfr`"):
        load_documents(b"id: a\n---\nid: b\nvfr: 3\n", "f.yaml", NetworkSpec)


def test_wrong_type_names_the_field_path() -> None:
    with pytest.raises(InputError, match=r"Expected `int \| null`, got `str` - at `\$\[1\].vrf`"):
        load_documents(b"- id: a\n- id: b\n  vrf: twenty\n", "f", NetworkSpec)


def test_bad_yaml_names_line_and_column() -> None:
    with pytest.raises(InputError, match=r"^f.yaml: not valid YAML: mapping values are not allowed .*"
                                         r"\(line 2, column 8\)$"):
        load_documents(b"id: a\nname: x: y\n", "f.yaml", NetworkSpec)


def test_bad_json() -> None:
    with pytest.raises(InputError, match=r"^f.json: not valid JSON"):
        load_documents(b'{"id": "a",', "f.json", NetworkSpec)


@pytest.mark.parametrize("data", [b"", b"---\n...\n", b"[]"])
def test_no_document(data: bytes) -> None:
    with pytest.raises(InputError, match="no document found"):
        load_documents(data, "-", NetworkSpec)


def test_stdin_is_called_stdin() -> None:
    with pytest.raises(InputError, match=r"^stdin: "):
        load_documents(b"nope: 1", "<stdin>", NetworkSpec)


def test_a_described_network_feeds_back_without_its_response_only_fields() -> None:
    described = (b"id: n\nname: x\nprefixes: [10.0.0.0/22]\nconsumption: {ipv4: {used_ips: 2}}\n"
                 b"usage: {used_ips: 2}\ncreated: 2025-03-01T10:00:00Z\nchanged: '2025-03-01'\nvrf: 20\n"
                 b"additionalAnnouncableCIDRs: [10.240.0.0/12]\n")
    [doc] = load_documents(described, "f", NetworkSpec)
    assert doc.update_body() == {"id": "n", "name": "x", "prefixes": ["10.0.0.0/22"],
                                 "additionalAnnouncableCIDRs": ["10.240.0.0/12"]}
    assert "consumption" not in doc.create_body()
    assert doc.create_body()["vrf"] == 20


def test_ip_document() -> None:
    [doc] = load_documents(b"ipaddress: 10.0.0.1\nname: a\nnetworkid: n\ntype: static\n", "f", IpSpec)
    assert doc.update_body() == {"ipaddress": "10.0.0.1", "name": "a", "type": "static"}
