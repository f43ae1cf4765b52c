"""``POST /v1/ip/allocate/bulk`` and ``POST /v1/network/allocate/bulk``: statuses, bodies, all or nothing."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from tests.api.conftest import PARTITION, PROJECT, assert_error

Client = TestClient  # type: ignore[type-arg]


def _child(client: Client, **extra: Any) -> str:
    response = client.post("/v1/network/allocate", json={"partitionid": PARTITION, "projectid": PROJECT, **extra})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_bulk_ips_are_consecutive_and_listed(mini_lab: Client) -> None:
    child = _child(mini_lab)
    response = mini_lab.post("/v1/ip/allocate/bulk", json={
        "networkid": child, "projectid": PROJECT, "count": 40, "name": "rack-1", "tags": ["rack=1"]})
    assert response.status_code == 201, response.text
    ips = response.json()
    assert len(ips) == 40
    assert len({ip["ipaddress"] for ip in ips}) == 40
    assert {(ip["name"], tuple(ip["tags"]), ip["networkid"]) for ip in ips} == {("rack-1", ("rack=1",), child)}
    found = mini_lab.post("/v1/ip/find", json={"networkid": child})
    assert {ip["ipaddress"] for ip in found.json()} == {ip["ipaddress"] for ip in ips}


def test_bulk_too_few_is_422_with_the_free_count_and_takes_nothing(mini_lab: Client) -> None:
    child = _child(mini_lab, length={"IPv4": 29}, addressfamily="IPv4")
    body = {"networkid": child, "projectid": PROJECT, "count": 7}
    assert_error(mini_lab.post("/v1/ip/allocate/bulk", json=body), 422, "only 6 IPv4 addresses are free")
    assert mini_lab.post("/v1/ip/find", json={"networkid": child}).json() == []
    assert len(mini_lab.post("/v1/ip/allocate/bulk", json={**body, "count": 6}).json()) == 6


def test_bulk_count_limits_are_400(mini_lab: Client) -> None:
    child = _child(mini_lab)
    for count, fragment in ((10_001, "10000"), (0, "expected 1 to 10000"), (None, "count should be given")):
        body = {"networkid": child, "projectid": PROJECT, "count": count}
        assert_error(mini_lab.post("/v1/ip/allocate/bulk", json=body), 400, fragment)
    assert_error(mini_lab.post("/v1/ip/allocate/bulk", json={"networkid": child, "projectid": PROJECT,
                                                            "count": "3"}), 400, "count")


def test_bulk_networks_each_with_own_vrf(mini_lab: Client) -> None:
    response = mini_lab.post("/v1/network/allocate/bulk",
                             json={"partitionid": PARTITION, "projectid": PROJECT, "count": 3, "name": "rack"})
    assert response.status_code == 201, response.text
    children = response.json()
    assert len({child["vrf"] for child in children}) == 3
    assert all(child["name"] == "rack" for child in children)
    assert_error(mini_lab.post("/v1/network/allocate/bulk", json={
        "partitionid": PARTITION, "projectid": PROJECT, "count": 10_001}), 400, "10000")
