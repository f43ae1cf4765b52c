"""The issue's loose inputs, through both protocols: refused with a 400 naming the value and saying why."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from tests.api.conftest import PARTITION, PROJECT, assert_connect_error, assert_error, setup_mini_lab

Client = TestClient  # type: ignore[type-arg]


@pytest.mark.parametrize(("prefix", "fragment"), [
    ("10.0.0.0/08", "'08' has a leading zero"),
    ("010.0.0.0/8", "Leading zeros are not permitted in '010'"),
    ("10.0.0.0/٢٤", "ASCII digits"),
    ("::ffff:10.0.0.0/104", "IPv4-mapped IPv6 prefixes are refused"),
])
def test_network_prefixes(client: Client, prefix: str, fragment: str) -> None:
    assert_error(client.put("/v1/network", json={"id": "n", "prefixes": [prefix]}), 400, prefix, fragment)
    assert_error(client.put("/v1/network", json={"id": "n", "prefixes": ["10.1.0.0/16"], "destinationprefixes":
                                                 [prefix]}), 400, prefix, fragment)
    assert_connect_error(client.post("/api.v1.IpamService/CreatePrefix", json={"cidr": prefix}), 400,
                         "invalid_argument", prefix, fragment)
    assert client.get("/v1/network").json() == []
    assert client.post("/api.v1.IpamService/ListPrefixes", json={}).json() == {}


def test_specific_addresses(client: Client) -> None:
    setup_mini_lab(client)
    child = client.post("/v1/network/allocate", json={"partitionid": PARTITION, "projectid": PROJECT}).json()
    for address, fragment in (("010.0.0.1", "Leading zeros"), ("::ffff:10.0.0.1", "use 10.0.0.1")):
        response = client.post(f"/v1/ip/allocate/{address}", json={"networkid": child["id"], "projectid": PROJECT})
        assert response.status_code in (400, 422), response.text
        assert address in response.json()["message"]
        assert fragment in response.json()["message"]
    assert [ip for ip in client.get("/v1/ip").json() if ip["networkid"] == child["id"]] == []


@pytest.mark.parametrize("length", ["٢٤", "024", "+24", " 24", "2_4"])
def test_ipam_service_child_lengths(client: Client, length: str) -> None:
    assert client.post("/api.v1.IpamService/CreatePrefix", json={"cidr": "10.0.0.0/16"}).status_code == 200
    answer = client.post("/api.v1.IpamService/AcquireChildPrefix", json={"cidr": "10.0.0.0/16", "length": length})
    assert_connect_error(answer, 400, "invalid_argument", repr(length))
    usage = client.post("/api.v1.IpamService/PrefixUsage", json={"cidr": "10.0.0.0/16"}).json()
    assert usage.get("acquiredPrefixes", "0") == "0"
    ok = client.post("/api.v1.IpamService/AcquireChildPrefix", json={"cidr": "10.0.0.0/16", "length": "24"})
    assert ok.json()["prefix"]["cidr"] == "10.0.0.0/24"
