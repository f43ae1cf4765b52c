"""``/v1/network``: metal-api's JSON (nulls included), statuses and rules, over memory and SQLite."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.api.conftest import PARTITION, PROJECT, SUPER, assert_error, example_documents

Client = TestClient  # type: ignore[type-arg]


def allocate(client: Client, **extra: Any) -> Any:
    body = {"partitionid": PARTITION, "projectid": PROJECT, "name": "my-node-network", **extra}
    return client.post("/v1/network/allocate", json=body)


def test_create_super_network_emits_metal_api_json(client: Client) -> None:
    client.put("/v1/partition", json={"id": PARTITION})
    super_network, _ = example_documents()
    body = client.put("/v1/network", json=super_network).json()
    assert list(body) == [
        "id", "name", "description", "partitionid", "projectid", "labels", "shared", "prefixes",
        "destinationprefixes", "defaultchildprefixlength", "nat", "privatesuper", "underlay", "vrf", "vrfshared",
        "parentnetworkid", "networktype", "nattype", "consumption", "usage", "created", "changed",
    ]  # additionalAnnouncableCIDRs is left out when empty
    assert body["vrfshared"] is None
    assert body["parentnetworkid"] is None
    assert body["defaultchildprefixlength"] == {"IPv4": 22, "IPv6": 96}
    assert body["networktype"] == "super"
    assert body["nattype"] == "none"
    assert body["projectid"] == ""
    assert body["consumption"]["ipv4"] == {"available_ips": 65536, "used_ips": 2, "available_prefixes": 16384,
                                           "used_prefixes": 0}
    assert body["usage"] == body["consumption"]["ipv4"]


def test_allocate_child_matches_the_example(mini_lab: Client) -> None:
    _, expected = example_documents()
    response = allocate(mini_lab)
    assert response.status_code == 201, response.text
    child = response.json()
    for key, value in expected.items():
        if key not in ("id", "vrf"):
            assert child[key] == value, key
    assert 1 <= child["vrf"] <= 131072
    assert child["networktype"] == "child"
    assert child["defaultchildprefixlength"] is None
    parent = mini_lab.get(f"/v1/network/{SUPER}").json()
    assert parent["consumption"]["ipv4"]["used_prefixes"] == 1
    assert parent["consumption"]["ipv6"]["used_prefixes"] == 1


def test_allocate_one_family_and_lengths(mini_lab: Client) -> None:
    v6 = allocate(mini_lab, addressfamily="IPv6").json()
    assert v6["prefixes"] == ["2001:db8:0:10::/96"]
    assert v6["consumption"]["ipv4"] is None
    assert v6["usage"]["available_ips"] == 0
    v4 = allocate(mini_lab, length={"IPv4": 24}, addressfamily="IPv4").json()
    assert v4["prefixes"] == ["10.0.0.0/24"]
    assert v4["consumption"]["ipv6"] is None


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"projectid": PROJECT}, 400, "partitionid"),
        ({"partitionid": PARTITION}, 400, "projectid"),
        ({"partitionid": "nowhere", "projectid": PROJECT}, 404, "nowhere"),
        ({"partitionid": PARTITION, "projectid": "nobody"}, 404, "nobody"),
        ({"partitionid": PARTITION, "projectid": PROJECT, "length": {"IPv4": 300}}, 400, "length"),
        ({"partitionid": PARTITION, "projectid": PROJECT, "length": "x"}, 400, "length"),
    ],
)
def test_allocate_refusals(mini_lab: Client, body: dict[str, Any], status: int, fragment: str) -> None:
    assert_error(mini_lab.post("/v1/network/allocate", json=body), status, fragment)


def test_create_refusals(mini_lab: Client) -> None:
    super_network, _ = example_documents()
    assert_error(mini_lab.put("/v1/network", json=super_network), 409)
    assert_error(mini_lab.put("/v1/network", json={"id": "x", "prefixes": ["10.0.1.0/24"]}), 422, "overlaps")
    assert_error(mini_lab.put("/v1/network", json={"id": "x"}), 400, "no prefixes given")
    assert_error(mini_lab.put("/v1/network", json={"id": "x", "prefixes": ["10.99.0.0/24"],
                                                   "defaultchildprefixlength": {}}), 400, "privatesuper")
    assert_error(mini_lab.put("/v1/network", json={"id": "x", "prefixes": ["10.99.0.0/33"]}), 400, "10.99.0.0/33")
    assert_error(mini_lab.put("/v1/network", json={"id": "x", "prefixes": "10.99.0.0/24"}), 400, "'prefixes'")
    assert_error(mini_lab.put("/v1/network", json={"id": "x", "prefixes": ["10.99.0.0/24"], "vrf": -1}), 400,
                 "'vrf'")


def test_create_accepts_nulls_and_unknown_fields(client: Client) -> None:
    body = {"id": "internet", "prefixes": ["185.1.2.0/24"], "destinationprefixes": None,
            "additionalAnnouncableCIDRs": None, "nat": None, "underlay": None, "nattype": None,
            "networktype": None, "labels": None, "something": {"new": True}}
    created = client.put("/v1/network", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["networktype"] == "external"
    assert created.json()["destinationprefixes"] == []


def test_get_list_find_with_trailing_slash(mini_lab: Client) -> None:
    child = allocate(mini_lab).json()
    assert mini_lab.get(f"/v1/network/{child['id']}").json()["id"] == child["id"]
    assert_error(mini_lab.get("/v1/network/unknown"), 404, "unknown")
    assert {n["id"] for n in mini_lab.get("/v1/network").json()} == {SUPER, child["id"]}
    assert {n["id"] for n in mini_lab.get("/v1/network/").json()} == {SUPER, child["id"]}
    found = mini_lab.post("/v1/network/find", json={"privatesuper": True, "partitionid": PARTITION})
    assert found.status_code == 200
    assert [n["id"] for n in found.json()] == [SUPER]
    assert mini_lab.post("/v1/network/find", json={"projectid": "other"}).json() == []


def test_update_network(mini_lab: Client) -> None:
    updated = mini_lab.post("/v1/network", json={"id": SUPER, "name": "renamed", "labels": {"a": "b"}})
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "renamed"
    assert updated.json()["labels"] == {"a": "b"}
    assert updated.json()["description"] == "Super network of all project networks"
    assert_error(mini_lab.post("/v1/network", json={"name": "no id"}), 400, "id")
    assert_error(mini_lab.post("/v1/network", json={"id": "nope", "name": "x"}), 404, "nope")
    assert_error(mini_lab.post("/v1/network?force=maybe", json={"id": SUPER}), 400, "force")
    assert mini_lab.post("/v1/network?force=true", json={"id": SUPER}).status_code == 200


def test_free_and_delete(mini_lab: Client) -> None:
    child = allocate(mini_lab).json()
    assert_error(mini_lab.delete(f"/v1/network/{SUPER}"), 422, "children")
    freed = mini_lab.delete(f"/v1/network/free/{child['id']}")
    assert freed.status_code == 200
    assert freed.json()["consumption"] == {"ipv4": None, "ipv6": None}
    assert freed.json()["usage"] == {"available_ips": 0, "used_ips": 0, "available_prefixes": 0, "used_prefixes": 0}
    assert_error(mini_lab.delete(f"/v1/network/free/{child['id']}"), 404)
    again = allocate(mini_lab).json()
    assert again["prefixes"] == child["prefixes"]  # the freed blocks are handed out again
    assert mini_lab.post(f"/v1/network/free/{again['id']}").status_code == 200  # deprecated POST form
    deleted = mini_lab.delete(f"/v1/network/{SUPER}")
    assert deleted.status_code == 200
    assert deleted.json()["id"] == SUPER
    assert mini_lab.get("/v1/network").json() == []
