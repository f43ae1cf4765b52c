"""Reserved ranges over ``/v1`` (metalnet's extension): ``reservedranges`` on network create, update and allocate
and in the response, ``reserved_ips`` in the usage, ``reserved`` on the IP allocate routes, and the statuses."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.api.conftest import PARTITION, PROJECT, assert_error

Client = TestClient  # type: ignore[type-arg]
GATEWAYS = [{"from": "10.1.0.1", "to": "10.1.0.10", "description": "gateways"},
            {"from": "2001:db8:1::1", "to": "2001:db8:1::4", "description": ""}]


@pytest.fixture
def network(mini_lab: Client) -> Client:
    created = mini_lab.put("/v1/network", json={"id": "ext", "projectid": PROJECT,
                                                "prefixes": ["10.1.0.0/24", "2001:db8:1::/120"],
                                                "reservedranges": GATEWAYS})
    assert created.status_code == 201, created.text
    return mini_lab


def ip_body(**extra: Any) -> dict[str, Any]:
    return {"networkid": "ext", "projectid": PROJECT, **extra}


def test_the_network_shows_its_ranges_and_reserved_ips(network: Client) -> None:
    body = network.get("/v1/network/ext").json()
    assert list(body)[-1] == "reservedranges"  # after metal-api's keys
    assert body["reservedranges"] == GATEWAYS
    assert body["consumption"]["ipv4"] == {"available_ips": 256, "used_ips": 2, "available_prefixes": 64,
                                           "used_prefixes": 0, "reserved_ips": 10}
    assert body["consumption"]["ipv6"]["reserved_ips"] == 4
    assert body["usage"] == body["consumption"]["ipv4"]
    listed = network.post("/v1/network/find", json={"id": "ext"}).json()
    assert listed[0]["reservedranges"] == GATEWAYS


def test_allocation_around_and_inside_a_reservation(network: Client) -> None:
    assert network.post("/v1/ip/allocate", json=ip_body()).json()["ipaddress"] == "10.1.0.11"
    assert_error(network.post("/v1/ip/allocate/10.1.0.3", json=ip_body()), 409, "10.1.0.3",
                 "10.1.0.1-10.1.0.10")
    taken = network.post("/v1/ip/allocate/10.1.0.3", json=ip_body(reserved=True))
    assert taken.status_code == 201, taken.text
    assert taken.json()["ipaddress"] == "10.1.0.3"
    usage = network.get("/v1/network/ext").json()["consumption"]["ipv4"]
    assert (usage["used_ips"], usage["reserved_ips"]) == (4, 9)
    assert network.delete("/v1/ip/free/10.1.0.3").status_code == 200
    assert network.get("/v1/network/ext").json()["consumption"]["ipv4"]["reserved_ips"] == 10
    assert_error(network.post("/v1/ip/allocate", json=ip_body(reserved=True)), 400,
                 "reserved applies to a specific ip")
    assert_error(network.post("/v1/ip/allocate/bulk", json=ip_body(reserved=True, count=2)), 400,
                 "reserved applies to a specific ip")
    assert_error(network.post("/v1/ip/allocate/10.1.0.3", json=ip_body(reserved="yes")), 400, "reserved")


def test_update_replaces_the_ranges(network: Client) -> None:
    wanted = [{"from": "10.1.0.100", "to": "10.1.0.199", "description": "dhcp"}]
    updated = network.post("/v1/network", json={"id": "ext", "reservedranges": wanted})
    assert updated.status_code == 200, updated.text
    assert updated.json()["reservedranges"] == wanted
    kept = network.post("/v1/network", json={"id": "ext", "name": "renamed", "reservedranges": None}).json()
    assert kept["reservedranges"] == wanted
    ip = network.post("/v1/ip/allocate/10.1.0.50", json=ip_body()).json()["ipaddress"]
    assert_error(network.post("/v1/network", json={"id": "ext", "reservedranges": [
        {"from": "10.1.0.40", "to": "10.1.0.60"}]}), 422, ip)
    assert_error(network.post("/v1/network", json={"id": "ext", "reservedranges": [
        {"from": "10.9.0.1", "to": "10.9.0.2"}]}), 400, "reserved range 10.9.0.1-10.9.0.2 is not within")
    assert_error(network.post("/v1/network", json={"id": "ext", "reservedranges": [{"from": "10.1.0.1"}]}),
                 400, "reservedranges")
    assert network.get("/v1/network/ext").json()["reservedranges"] == wanted
    cleared = network.post("/v1/network", json={"id": "ext", "reservedranges": []}).json()
    # left out when empty or 0: a network without reservations is metal-api's JSON exactly
    assert "reservedranges" not in cleared
    assert "reserved_ips" not in cleared["consumption"]["ipv4"]


def test_create_refusals_name_the_range(mini_lab: Client) -> None:
    outside = {"id": "x", "prefixes": ["10.1.0.0/24"], "reservedranges": [{"from": "10.1.1.1", "to": "10.1.1.2"}]}
    assert_error(mini_lab.put("/v1/network", json=outside), 400, "reserved range 10.1.1.1-10.1.1.2")
    assert mini_lab.get("/v1/network/x").status_code == 404
    on_super = {"id": "s", "prefixes": ["10.7.0.0/16"], "privatesuper": True, "partitionid": "other",
                "defaultchildprefixlength": {"IPv4": 24},
                "reservedranges": [{"from": "10.7.0.1", "to": "10.7.0.2"}]}
    assert_error(mini_lab.put("/v1/network", json=on_super), 400, "private super network")


def test_allocate_a_child_with_ranges(mini_lab: Client) -> None:
    body = {"partitionid": PARTITION, "projectid": PROJECT, "name": "n", "addressfamily": "IPv4",
            "reservedranges": [{"from": "10.0.0.1", "to": "10.0.0.5", "description": "switches"}]}
    child = mini_lab.post("/v1/network/allocate", json=body)
    assert child.status_code == 201, child.text
    assert child.json()["prefixes"] == ["10.0.0.0/22"]
    assert child.json()["reservedranges"] == body["reservedranges"]
    ip = mini_lab.post("/v1/ip/allocate", json={"networkid": child.json()["id"], "projectid": PROJECT})
    assert ip.json()["ipaddress"] == "10.0.0.6"
    # the next child gets the next block: the same range is outside it, and nothing is allocated
    assert_error(mini_lab.post("/v1/network/allocate", json=body), 400, "is not within one of the prefixes")
    assert len(mini_lab.post("/v1/network/find", json={"projectid": PROJECT}).json()) == 1
    assert_error(mini_lab.post("/v1/network/allocate/bulk", json={**body, "count": 2}), 400,
                 "cannot be given for 2 child networks")
