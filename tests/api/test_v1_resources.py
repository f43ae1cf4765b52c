"""``/v1/partition`` and ``/v1/project``: create, update, get, list, find, delete."""

from __future__ import annotations

from litestar.testing import TestClient

from tests.api.conftest import assert_error

Client = TestClient  # type: ignore[type-arg]


def test_partitions(client: Client) -> None:
    created = client.put("/v1/partition", json={"id": "p1", "name": "one", "bootconfig": {"imageurl": "x"},
                                                "labels": {"rack": "a"}})
    assert created.status_code == 201, created.text
    assert created.json()["labels"] == {"rack": "a"}
    assert created.json()["name"] == "one"
    assert_error(client.put("/v1/partition", json={"id": "p1"}), 409, "p1")
    updated = client.post("/v1/partition", json={"id": "p1", "description": "first"})
    assert updated.status_code == 200
    assert updated.json()["description"] == "first"
    assert updated.json()["name"] == "one"
    assert client.get("/v1/partition/p1").json()["id"] == "p1"
    assert [p["id"] for p in client.get("/v1/partition").json()] == ["p1"]
    assert_error(client.get("/v1/partition/p2"), 404, "p2")
    assert_error(client.post("/v1/partition", json={"name": "no id"}), 400, "id")
    assert client.delete("/v1/partition/p1").status_code == 200
    assert_error(client.delete("/v1/partition/p1"), 404, "p1")


def test_projects(client: Client) -> None:
    created = client.put("/v1/project", json={"meta": {"id": "prj", "labels": ["team=net"]}, "name": "net",
                                              "tenant_id": "t1"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["meta"]["id"] == "prj"
    assert body["meta"]["labels"] == ["team=net"]
    assert body["tenant_id"] == "t1"
    generated = client.put("/v1/project", json={"name": "anonymous"}).json()
    assert len(generated["meta"]["id"]) == 36  # a UUID, as masterdata generates
    assert_error(client.put("/v1/project", json={"meta": {"id": "prj"}}), 409, "prj")
    updated = client.post("/v1/project", json={"meta": {"id": "prj"}, "description": "d"})
    assert updated.status_code == 200
    assert updated.json()["description"] == "d"
    assert updated.json()["name"] == "net"
    assert_error(client.post("/v1/project", json={"name": "x"}), 400, "meta.id")
    assert client.get("/v1/project/prj").json()["name"] == "net"
    assert len(client.get("/v1/project").json()) == 2
    found = client.post("/v1/project/find", json={"tenant_id": "t1"})
    assert found.status_code == 200
    assert [p["meta"]["id"] for p in found.json()] == ["prj"]
    assert client.delete("/v1/project/prj").status_code == 200
    assert_error(client.get("/v1/project/prj"), 404, "prj")
