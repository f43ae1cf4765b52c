"""The go-ipam service over JSON: every RPC, both field spellings, protobuf-JSON output and Connect errors."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.api.conftest import assert_connect_error

Client = TestClient  # type: ignore[type-arg]


def rpc(client: Client, name: str, body: dict[str, Any] | str | None = None) -> Any:
    content = body if isinstance(body, str) else (None if body is None else __import__("json").dumps(body))
    return client.post(f"/api.v1.IpamService/{name}", content=content,
                       headers={"Content-Type": "application/json"})


def test_create_get_list_delete_prefix(client: Client) -> None:
    created = rpc(client, "CreatePrefix", {"cidr": "192.168.0.1/16"})
    assert created.status_code == 200
    assert created.json() == {"prefix": {"cidr": "192.168.0.0/16"}}  # masked, empty parentCidr left out
    assert rpc(client, "GetPrefix", {"cidr": "192.168.0.0/16"}).json() == {"prefix": {"cidr": "192.168.0.0/16"}}
    assert rpc(client, "ListPrefixes", {}).json() == {"prefixes": [{"cidr": "192.168.0.0/16"}]}
    assert rpc(client, "DeletePrefix", {"cidr": "192.168.0.0/16"}).json() == {"prefix": {"cidr": "192.168.0.0/16"}}
    assert rpc(client, "ListPrefixes", None).json() == {}  # empty repeated field left out


def test_acquire_and_release_ip_both_spellings(client: Client) -> None:
    rpc(client, "CreatePrefix", {"cidr": "10.0.0.0/24"})
    first = rpc(client, "AcquireIP", {"prefixCidr": "10.0.0.0/24"})
    assert first.json() == {"ip": {"ip": "10.0.0.1", "parentPrefix": "10.0.0.0/24"}}
    second = rpc(client, "AcquireIP", {"prefix_cidr": "10.0.0.0/24"})
    assert second.json()["ip"]["ip"] == "10.0.0.2"
    specific = rpc(client, "AcquireIP", {"prefixCidr": "10.0.0.0/24", "ip": "10.0.0.9"})
    assert specific.json()["ip"]["ip"] == "10.0.0.9"
    assert_connect_error(rpc(client, "AcquireIP", {"prefixCidr": "10.0.0.0/24", "ip": "10.0.0.9"}),
                         409, "already_exists", "10.0.0.9")
    released = rpc(client, "ReleaseIP", {"prefixCidr": "10.0.0.0/24", "ip": "10.0.0.1"})
    assert released.status_code == 200
    assert released.json()["ip"]["ip"] == "10.0.0.1"
    assert_connect_error(rpc(client, "ReleaseIP", {"prefixCidr": "10.0.0.0/24", "ip": "10.0.0.1"}),
                         404, "not_found", "10.0.0.1")
    # the released hole is handed out first again
    assert rpc(client, "AcquireIP", {"prefixCidr": "10.0.0.0/24"}).json()["ip"]["ip"] == "10.0.0.1"


def test_prefix_usage_renders_uint64_as_strings(client: Client) -> None:
    rpc(client, "CreatePrefix", {"cidr": "10.0.0.0/22"})
    usage = rpc(client, "PrefixUsage", {"cidr": "10.0.0.0/22"}).json()
    assert usage == {"availableIps": "1024", "acquiredIps": "2", "availableSmallestPrefixes": "256",
                     "availablePrefixes": ["10.0.0.0/22"]}  # acquiredPrefixes 0 is left out
    rpc(client, "CreatePrefix", {"cidr": "2001:db8:0:10::/96"})
    v6 = rpc(client, "PrefixUsage", {"cidr": "2001:db8:0:10::/96"}).json()
    assert v6["availableIps"] == "2147483647"
    assert v6["acquiredIps"] == "1"
    assert v6["availableSmallestPrefixes"] == "1073741824"


def test_child_prefixes(client: Client) -> None:
    rpc(client, "CreatePrefix", {"cidr": "2001:aabb::/48"})
    child = rpc(client, "AcquireChildPrefix", {"cidr": "2001:aabb::/48", "length": 64})
    assert child.json() == {"prefix": {"cidr": "2001:aabb::/64", "parentCidr": "2001:aabb::/48"}}
    second = rpc(client, "AcquireChildPrefix", {"cidr": "2001:aabb::/48", "length": "72"})  # uint32 as string
    assert second.json()["prefix"]["cidr"] == "2001:aabb:0:1::/72"
    specific = rpc(client, "AcquireChildPrefix", {"cidr": "2001:aabb::/48", "child_cidr": "2001:aabb:0:ff::/64"})
    assert specific.json()["prefix"] == {"cidr": "2001:aabb:0:ff::/64", "parentCidr": "2001:aabb::/48"}
    usage = rpc(client, "PrefixUsage", {"cidr": "2001:aabb::/48"}).json()
    assert usage["acquiredPrefixes"] == "3"
    released = rpc(client, "ReleaseChildPrefix", {"cidr": "2001:aabb::/64"})
    assert released.json() == {"prefix": {"cidr": "2001:aabb::/64", "parentCidr": "2001:aabb::/48"}}
    assert_connect_error(rpc(client, "AcquireChildPrefix", {"cidr": "2001:aabb::/48", "length": 129}),
                         400, "invalid_argument", "128")


def test_namespaces_dump_and_load(client: Client) -> None:
    assert rpc(client, "CreateNamespace", {"namespace": "tenant-a"}).json() == {}
    assert rpc(client, "ListNamespaces", {}).json() == {"namespace": ["root", "tenant-a"]}
    rpc(client, "CreatePrefix", {"cidr": "10.1.0.0/24", "namespace": "tenant-a"})
    assert rpc(client, "ListPrefixes", {"namespace": "tenant-a"}).json() == {"prefixes": [{"cidr": "10.1.0.0/24"}]}
    assert rpc(client, "ListPrefixes", {}).json() == {}  # namespaces are kept apart
    dump = rpc(client, "Dump", {"namespace": "tenant-a"}).json()["dump"]
    assert "10.1.0.0/24" in dump
    assert_connect_error(rpc(client, "DeleteNamespace", {"namespace": "tenant-a"}), 400, "failed_precondition")
    assert rpc(client, "Load", {"dump": dump, "namespace": "root"}).status_code == 200
    assert rpc(client, "ListPrefixes", {}).json() == {"prefixes": [{"cidr": "10.1.0.0/24"}]}
    rpc(client, "DeletePrefix", {"cidr": "10.1.0.0/24", "namespace": "tenant-a"})
    assert rpc(client, "DeleteNamespace", {"namespace": "tenant-a"}).json() == {}


def test_version(client: Client) -> None:
    body = rpc(client, "Version", None).json()
    assert body["version"]
    assert body["revision"] == "metalnet"


@pytest.mark.parametrize(
    ("name", "body", "status", "code", "fragment"),
    [
        ("GetPrefix", {"cidr": "10.9.0.0/16"}, 404, "not_found", "10.9.0.0/16"),
        ("GetPrefix", {"cidr": "10.9.0.0"}, 400, "invalid_argument", "10.9.0.0"),
        ("CreatePrefix", {"cidr": 17}, 400, "invalid_argument", "$.cidr"),
        ("CreatePrefix", "{not json", 400, "invalid_argument", "malformed JSON"),
        ("CreatePrefix", "[1, 2]", 400, "invalid_argument", "JSON object"),
        ("AcquireChildPrefix", {"cidr": "10.0.0.0/8", "length": "x"}, 400, "invalid_argument", "'x'"),
        ("AcquireIP", {"prefixCidr": "10.250.0.0/24"}, 404, "not_found", "10.250.0.0/24"),
        ("ReleaseIP", {"prefixCidr": "10.250.0.0/24"}, 400, "invalid_argument", "ip"),
    ],
)
def test_errors_are_connect_json(client: Client, name: str, body: Any, status: int, code: str,
                                 fragment: str) -> None:
    assert_connect_error(rpc(client, name, body), status, code, fragment)


def test_overlap_and_exhaustion(client: Client) -> None:
    rpc(client, "CreatePrefix", {"cidr": "10.0.0.0/30"})
    assert_connect_error(rpc(client, "CreatePrefix", {"cidr": "10.0.0.0/24"}), 400, "failed_precondition",
                         "overlaps")
    rpc(client, "AcquireIP", {"prefixCidr": "10.0.0.0/30"})
    rpc(client, "AcquireIP", {"prefixCidr": "10.0.0.0/30"})
    # go-ipam answers "no IP left" with not_found
    assert_connect_error(rpc(client, "AcquireIP", {"prefixCidr": "10.0.0.0/30"}), 404, "not_found", "10.0.0.0/30")


def test_unknown_rpc_and_wrong_method(client: Client) -> None:
    assert_connect_error(rpc(client, "NoSuchRpc", {}), 404, "not_found")
    response = client.get("/api.v1.IpamService/ListPrefixes")
    assert_connect_error(response, 405, "unimplemented")


def test_unknown_fields_and_nulls_are_ignored(client: Client) -> None:
    created = rpc(client, "CreatePrefix", {"cidr": "10.3.0.0/16", "namespace": None, "whatever": [1, 2]})
    assert created.json() == {"prefix": {"cidr": "10.3.0.0/16"}}


def test_networks_prefixes_are_apart_from_root_and_read_only(mini_lab: Client) -> None:
    """The IPAM service cannot change a /v1 network's prefixes behind its back, and root stays the user's."""
    namespace = "metalnet.networks"
    assert rpc(mini_lab, "ListPrefixes", {}).json() == {}  # the super network's prefixes are not in root
    listed = rpc(mini_lab, "ListPrefixes", {"namespace": namespace}).json()["prefixes"]
    assert {"cidr": "10.0.0.0/16"} in listed
    for name, body in [("DeletePrefix", {"cidr": "10.0.0.0/16"}), ("AcquireIP", {"prefixCidr": "10.0.0.0/16"}),
                       ("CreatePrefix", {"cidr": "172.16.0.0/12"}), ("DeleteNamespace", {})]:
        assert_connect_error(rpc(mini_lab, name, {**body, "namespace": namespace}), 403, "permission_denied",
                             namespace)
    assert rpc(mini_lab, "CreatePrefix", {"cidr": "10.0.0.0/16"}).status_code == 200  # root is independent


def test_acquire_ips_extension_takes_count_lowest_or_nothing(client: Client) -> None:
    rpc(client, "CreatePrefix", {"cidr": "10.0.0.0/29"})
    rpc(client, "AcquireIP", {"prefixCidr": "10.0.0.0/29", "ip": "10.0.0.2"})
    taken = rpc(client, "AcquireIPs", {"prefixCidr": "10.0.0.0/29", "count": 3})
    assert taken.status_code == 200, taken.text
    assert [ip["ip"] for ip in taken.json()["ips"]] == ["10.0.0.1", "10.0.0.3", "10.0.0.4"]
    response = rpc(client, "AcquireIPs", {"prefixCidr": "10.0.0.0/29", "count": 3})
    assert response.status_code >= 400
    assert "3 requested, 2 free" in response.json()["message"]
    assert_connect_error(rpc(client, "AcquireIPs", {"prefixCidr": "10.0.0.0/29", "count": 10_001}),
                         400, "invalid_argument", "10000")
    assert [ip["ip"] for ip in rpc(client, "AcquireIPs", {"prefixCidr": "10.0.0.0/29", "count": 2}).json()["ips"]] \
        == ["10.0.0.5", "10.0.0.6"]


def test_reserved_ranges_extension(client: Client) -> None:
    rpc(client, "CreatePrefix", {"cidr": "10.0.0.0/24"})
    reserved = rpc(client, "ReserveRange", {"prefixCidr": "10.0.0.0/24", "first": "10.0.0.1", "last": "10.0.0.10",
                                            "description": "gateways"})
    assert reserved.status_code == 200, reserved.text
    assert reserved.json() == {"reservedRange": {"first": "10.0.0.1", "last": "10.0.0.10", "description": "gateways"}}
    rpc(client, "ReserveRange", {"prefix_cidr": "10.0.0.0/24", "first": "10.0.0.20", "last": "10.0.0.20"})
    assert rpc(client, "ListReservedRanges", {"prefixCidr": "10.0.0.0/24"}).json() == {"reservedRanges": [
        {"first": "10.0.0.1", "last": "10.0.0.10", "description": "gateways"},
        {"first": "10.0.0.20", "last": "10.0.0.20"},
    ]}
    assert rpc(client, "AcquireIP", {"prefixCidr": "10.0.0.0/24"}).json()["ip"]["ip"] == "10.0.0.11"
    assert_connect_error(rpc(client, "AcquireIP", {"prefixCidr": "10.0.0.0/24", "ip": "10.0.0.5"}),
                         400, "failed_precondition", 'reserved range 10.0.0.1-10.0.0.10 ("gateways")')
    taken = rpc(client, "AcquireIP", {"prefixCidr": "10.0.0.0/24", "ip": "10.0.0.5", "reserved": True})
    assert taken.json()["ip"]["ip"] == "10.0.0.5"
    usage = rpc(client, "PrefixUsage", {"cidr": "10.0.0.0/24"}).json()
    assert (usage["acquiredIps"], usage["reservedIps"]) == ("4", "10")
    assert_connect_error(rpc(client, "ReserveRange", {"prefixCidr": "10.0.0.0/24", "first": "10.0.0.5",
                                                      "last": "10.0.0.12"}), 400, "failed_precondition", "overlaps")
    assert_connect_error(rpc(client, "ReserveRange", {"prefixCidr": "10.0.0.0/24", "first": "10.0.0.9",
                                                      "last": "10.0.0.2"}), 400, "invalid_argument", "above")
    removed = rpc(client, "UnreserveRange", {"prefixCidr": "10.0.0.0/24", "first": "10.0.0.1", "last": "10.0.0.10"})
    assert removed.json()["reservedRange"]["description"] == "gateways"
    assert_connect_error(rpc(client, "UnreserveRange", {"prefixCidr": "10.0.0.0/24", "first": "10.0.0.1",
                                                        "last": "10.0.0.10"}), 404, "not_found", "10.0.0.1-10.0.0.10")
    assert rpc(client, "AcquireIP", {"prefixCidr": "10.0.0.0/24"}).json()["ip"]["ip"] == "10.0.0.1"
