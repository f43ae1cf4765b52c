"""``/v1/ip``: allocation (next free, family choice, specific), update, find, free; statuses and JSON."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.api.conftest import PARTITION, PROJECT, assert_error

Client = TestClient  # type: ignore[type-arg]


@pytest.fixture
def child(mini_lab: Client) -> str:
    response = mini_lab.post("/v1/network/allocate", json={"partitionid": PARTITION, "projectid": PROJECT})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def ip(client: Client, network: str, path: str = "/v1/ip/allocate", **extra: Any) -> Any:
    return client.post(path, json={"networkid": network, "projectid": PROJECT, **extra})


def test_allocate_ipv4_ipv6_and_specific(mini_lab: Client, child: str) -> None:
    first = ip(mini_lab, child)
    assert first.status_code == 201, first.text
    body = first.json()
    assert list(body) == ["name", "description", "projectid", "networkid", "type", "tags", "ipaddress",
                          "allocationuuid", "created", "changed"]
    assert body["ipaddress"] == "10.0.0.1"
    assert body["type"] == "ephemeral"
    assert body["tags"] == []
    v6 = ip(mini_lab, child, addressfamily="IPv6", name="v6", type="static")
    assert v6.json()["ipaddress"] == "2001:db8:0:10::1"
    assert v6.json()["type"] == "static"
    specific = ip(mini_lab, child, "/v1/ip/allocate/10.0.0.77", machineid="m1", tags=["b", "a", "b"])
    assert specific.status_code == 201
    assert specific.json()["tags"] == ["a", "b", "machine.metal-stack.io/id=m1"]
    assert_error(ip(mini_lab, child, "/v1/ip/allocate/10.0.0.77"), 409)
    assert_error(ip(mini_lab, child, "/v1/ip/allocate/10.0.0.1"), 409)
    assert_error(ip(mini_lab, child, "/v1/ip/allocate/192.0.2.1"), 422, "192.0.2.1")
    assert_error(ip(mini_lab, child, "/v1/ip/allocate/10.0.0.5", addressfamily="IPv4"), 400, "specificIP")
    network = mini_lab.get(f"/v1/network/{child}").json()
    assert network["consumption"]["ipv4"]["used_ips"] == 4
    assert network["consumption"]["ipv6"]["used_ips"] == 2


@pytest.mark.parametrize(
    ("extra", "status", "fragment"),
    [
        ({"networkid": None}, 400, "networkid"),
        ({"projectid": ""}, 400, "projectid"),
        ({"networkid": "nope"}, 404, "nope"),
        ({"projectid": "someone-else"}, 404, "someone-else"),
        ({"addressfamily": "IPv5"}, 422, "IPv5"),
        ({"tags": "a"}, 400, "'tags'"),
        ({"name": 5}, 400, "'name'"),
        ({"tags": [1]}, 400, "'tags[0]'"),
    ],
)
def test_allocate_refusals(mini_lab: Client, child: str, extra: dict[str, Any], status: int, fragment: str) -> None:
    assert_error(ip(mini_lab, child, **extra), status, fragment)


def test_project_rule_on_private_networks(mini_lab: Client, child: str) -> None:
    mini_lab.put("/v1/project", json={"meta": {"id": "other"}})
    assert_error(mini_lab.post("/v1/ip/allocate", json={"networkid": child, "projectid": "other"}), 422, "other")


def test_update_find_free(mini_lab: Client, child: str) -> None:
    address = ip(mini_lab, child, type="static").json()["ipaddress"]
    updated = mini_lab.post("/v1/ip", json={"ipaddress": address, "name": "web", "tags": ["x"]})
    assert updated.status_code == 200
    assert updated.json()["name"] == "web"
    assert updated.json()["tags"] == ["x"]
    assert_error(mini_lab.post("/v1/ip", json={"ipaddress": address, "type": "ephemeral"}), 400, "static")
    assert_error(mini_lab.post("/v1/ip", json={"name": "x"}), 400, "ipaddress")
    assert_error(mini_lab.post("/v1/ip", json={"ipaddress": "10.0.0.200"}), 404, "10.0.0.200")
    assert mini_lab.get(f"/v1/ip/{address}").json()["name"] == "web"
    ip(mini_lab, child, addressfamily="IPv6")
    found = mini_lab.post("/v1/ip/find", json={"networkid": child, "addressfamily": "IPv6"}).json()
    assert [f["ipaddress"] for f in found] == ["2001:db8:0:10::1"]
    assert len(mini_lab.get("/v1/ip").json()) == 2
    freed = mini_lab.delete(f"/v1/ip/free/{address}")
    assert freed.status_code == 200
    assert freed.json()["ipaddress"] == address
    assert_error(mini_lab.delete(f"/v1/ip/free/{address}"), 404, address)
    assert_error(mini_lab.get(f"/v1/ip/{address}"), 404, address)
    assert mini_lab.post("/v1/ip/find", json={"ipaddress": address}).json() == []


def test_machine_bound_ip_cannot_be_freed(mini_lab: Client, child: str) -> None:
    address = ip(mini_lab, child, machineid="m-1").json()["ipaddress"]
    assert_error(mini_lab.delete(f"/v1/ip/free/{address}"), 400, "machine")


def test_ipv6_address_in_path(mini_lab: Client, child: str) -> None:
    specific = ip(mini_lab, child, "/v1/ip/allocate/2001:db8:0:10::abcd")
    assert specific.status_code == 201, specific.text
    assert mini_lab.get("/v1/ip/2001:db8:0:10::abcd").json()["ipaddress"] == "2001:db8:0:10::abcd"
    assert mini_lab.delete("/v1/ip/free/2001:db8:0:10::abcd").status_code == 200
