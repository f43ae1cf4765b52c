"""``GET /v1/events``: every change through the API is one event, in order, with its actor and states."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from metalnet.api.app import create_app
from metalnet.api.settings import Settings
from metalnet.history.retention import HistorySettings
from metalnet.storage import Storage
from tests.api.conftest import KEYS, PARTITION, PROJECT, SUPER, assert_error, bearer, hmac_headers, setup_mini_lab

Client = TestClient  # type: ignore[type-arg]


@pytest.fixture
def client(api_storage: Storage) -> Iterator[Client]:
    settings = Settings(request_log=False, history=HistorySettings())
    with TestClient(create_app(api_storage, settings)) as test_client:
        yield test_client


def events(client: Client, headers: dict[str, str] | None = None, **query: Any) -> Any:
    response = client.get("/v1/events", params=query, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_every_change_is_one_event_in_order(client: Client) -> None:
    setup_mini_lab(client)
    child = client.post("/v1/network/allocate", json={"partitionid": PARTITION, "projectid": PROJECT}).json()
    ip = client.post("/v1/ip/allocate", json={"networkid": child["id"], "projectid": PROJECT}).json()
    address = ip["ipaddress"]
    assert client.post("/v1/ip", json={"ipaddress": address, "name": "renamed"}).status_code == 200
    assert client.delete(f"/v1/ip/free/{address}").status_code == 200
    assert client.delete(f"/v1/network/free/{child['id']}").status_code == 200
    page = events(client)
    got = [(e["seq"], e["kind"], e["id"], e["action"]) for e in page["events"]]
    assert got == [
        (1, "partition", PARTITION, "create"),
        (2, "project", PROJECT, "create"),
        (3, "network", SUPER, "create"),
        (4, "network", child["id"], "allocate"),
        (5, "ip", address, "allocate"),
        (6, "ip", address, "update"),
        (7, "ip", address, "free"),
        (8, "network", child["id"], "free"),
    ]
    assert (page["oldest"], page["newest"]) == (1, 8)
    by_seq = {e["seq"]: e for e in page["events"]}
    assert by_seq[5]["route"] == "POST /v1/ip/allocate"
    assert by_seq[5]["principal"] == {"name": "local", "role": "admin"}
    assert by_seq[5]["project"] == PROJECT
    assert by_seq[5]["before"] is None
    assert by_seq[5]["after"]["ipaddress"] == address
    assert by_seq[5]["after"]["name"] == ""
    assert by_seq[6]["before"]["name"] == ""
    assert by_seq[6]["after"]["name"] == "renamed"
    assert by_seq[7]["before"]["name"] == "renamed"
    assert by_seq[7]["after"] is None
    assert by_seq[7]["route"] == "DELETE /v1/ip/free/{id}"
    assert by_seq[1]["project"] is None
    assert by_seq[2]["project"] == PROJECT
    assert by_seq[4]["after"]["prefixes"] == child["prefixes"]
    assert by_seq[1]["at"].endswith("Z")


def test_a_refused_change_leaves_no_event(client: Client) -> None:
    setup_mini_lab(client)
    newest = events(client)["newest"]
    refused = client.post("/v1/ip/allocate", json={"networkid": SUPER, "projectid": "no-such-project"})
    assert refused.status_code >= 400
    assert client.put("/v1/partition", json={"id": PARTITION}).status_code == 409
    assert events(client)["newest"] == newest


def test_pages_and_filters(client: Client) -> None:
    setup_mini_lab(client)
    child = client.post("/v1/network/allocate", json={"partitionid": PARTITION, "projectid": PROJECT}).json()
    addresses = [client.post("/v1/ip/allocate", json={"networkid": child["id"], "projectid": PROJECT}).json()
                 ["ipaddress"] for _ in range(3)]
    client.delete(f"/v1/ip/free/{addresses[1]}")
    assert [e["seq"] for e in events(client, after=2, limit=2)["events"]] == [3, 4]
    assert [e["action"] for e in events(client, kind="ip", id=addresses[1])["events"]] == ["allocate", "free"]
    assert len(events(client, kind="ip")["events"]) == 4
    assert {e["kind"] for e in events(client, project=PROJECT)["events"]} == {"project", "network", "ip"}
    assert len(events(client, since="1h")["events"]) == 8
    assert events(client, since="2000-01-01T00:00:00Z")["events"][0]["seq"] == 1
    assert events(client, since="2999-01-01T00:00:00Z")["events"] == []


@pytest.mark.parametrize(("query", "fragment"), [
    ({"after": "x"}, "after 'x' is not an integer"),
    ({"after": "-1"}, "after -1 must be at least 0"),
    ({"limit": "0"}, "limit 0 must be between 1 and 1000"),
    ({"limit": "5000"}, "limit 5000"),
    ({"kind": "machine"}, "kind 'machine' is unknown"),
    ({"since": "yesterday"}, "invalid since 'yesterday'"),
])
def test_bad_queries_are_400_naming_the_value(client: Client, query: dict[str, str], fragment: str) -> None:
    assert_error(client.get("/v1/events", params=query), 400, fragment)


def test_ipam_service_changes_are_events(client: Client) -> None:
    rpc = "/api.v1.IpamService/"
    assert client.post(rpc + "CreatePrefix", json={"cidr": "192.168.0.0/24"}).status_code == 200
    acquired = client.post(rpc + "AcquireIP", json={"prefixCidr": "192.168.0.0/24"})
    assert acquired.status_code == 200, acquired.text
    address = acquired.json()["ip"]["ip"]
    assert client.post(rpc + "ReleaseIP", json={"prefixCidr": "192.168.0.0/24", "ip": address}).status_code == 200
    child = client.post(rpc + "AcquireChildPrefix", json={"cidr": "192.168.0.0/24", "length": 28})
    assert child.status_code == 200, child.text
    assert client.post(rpc + "AcquireIP", json={"prefixCidr": "10.9.9.0/24"}).status_code == 404  # records nothing
    got = [(e["kind"], e["id"], e["action"], e["route"]) for e in events(client)["events"]]
    assert got == [
        ("prefix", "192.168.0.0/24", "create", "POST /api.v1.IpamService/CreatePrefix"),
        ("ipam-ip", address, "acquire", "POST /api.v1.IpamService/AcquireIP"),
        ("ipam-ip", address, "release", "POST /api.v1.IpamService/ReleaseIP"),
        ("child-prefix", "192.168.0.0/28", "acquire", "POST /api.v1.IpamService/AcquireChildPrefix"),
    ]
    release = events(client, after=2)["events"][0]
    assert release["before"] == {"ip": address, "prefix": "192.168.0.0/24", "namespace": "root"}


def test_with_the_history_off_nothing_is_recorded(api_storage: Storage) -> None:
    settings = Settings(request_log=False, history=HistorySettings(enabled=False))
    with TestClient(create_app(api_storage, settings)) as off:
        setup_mini_lab(off)
        assert events(off) == {"oldest": 1, "newest": 0, "events": []}


@pytest.fixture
def secured(api_storage: Storage) -> Iterator[Client]:
    tokens = ["view:tok-view", "edit@p-bound:tok-bound", "edit:tok-edit"]
    settings = Settings.build(KEYS, tokens, request_log=False)
    with TestClient(create_app(api_storage, settings)) as test_client:
        yield test_client


def test_actor_and_project_bound_reads(secured: Client) -> None:
    admin = hmac_headers("PUT")
    setup_mini_lab(secured, admin)
    made = secured.put("/v1/project", json={"meta": {"id": "p-bound"}, "name": "bound"}, headers=hmac_headers("PUT"))
    assert made.status_code == 201, made.text
    bound = bearer("tok-bound")
    child = secured.post("/v1/network/allocate", json={"partitionid": PARTITION, "projectid": "p-bound"},
                         headers=bound)
    assert child.status_code == 201, child.text
    everything = events(secured, hmac_headers("GET", "Metal-View", KEYS["view"]))["events"]
    assert [e["principal"] for e in everything] == [{"name": "Metal-Admin", "role": "admin"}] * 4 + [
        {"name": "token:edit@p-bound", "role": "edit", "project": "p-bound"}]
    mine = events(secured, bound)["events"]
    assert [(e["kind"], e["action"], e["project"]) for e in mine] == [
        ("project", "create", "p-bound"), ("network", "allocate", "p-bound")]
    assert_error(secured.get("/v1/events", params={"project": PROJECT}, headers=bound), 403, "p-bound")
    assert secured.get("/v1/events").status_code == 401
