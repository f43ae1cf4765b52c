"""The v2 calls are served through the Litestar mounts: statuses, bodies and the v2 metrics."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient
from metalstack.admin.v2 import network_pb2 as admin_network_pb2
from metalstack.api.v2 import health_pb2, ip_pb2, network_pb2

from metalnet.api.app import create_app
from metalnet.api.settings import Settings
from metalnet.storage import MemoryStorage

P = "00000000-0000-0000-0000-000000000001"
PROTO = {"content-type": "application/proto"}
CALLS: list[tuple[str, bytes, dict[str, str]]] = [
    ("/metalstack.api.v2.HealthService/Get", health_pb2.HealthServiceGetRequest().SerializeToString(), PROTO),
    ("/metalstack.admin.v2.NetworkService/Create", admin_network_pb2.NetworkServiceCreateRequest(
        id="internet", type=network_pb2.NETWORK_TYPE_EXTERNAL, vrf=104009, prefixes=["185.1.2.0/24"],
    ).SerializeToString(), PROTO),
    ("/metalstack.api.v2.IPService/Create", b'{"network": "internet", "project": "' + P.encode() + b'"}',
     {"content-type": "application/json"}),
    ("/metalstack.api.v2.IPService/Create", b'{"network": "n", "project": "x"}', {"content-type": "application/json"}),
    ("/metalstack.api.v2.NetworkService/Get", network_pb2.NetworkServiceGetRequest(id="nope").SerializeToString(),
     PROTO),
    ("/metalstack.api.v2.MachineService/Get", b"{}", {"content-type": "application/json"}),
    ("/metalstack.admin.v2.NetworkService/ListExternalMembers/", b"{}", {"content-type": "application/json"}),
    ("/metalstack.api.v2.IPService/List", ip_pb2.IPServiceListRequest(project=P).SerializeToString(), PROTO),
]


def _answers() -> list[tuple[int, Any]]:
    storage = MemoryStorage()
    answers: list[tuple[int, Any]] = []
    with TestClient(create_app(storage, Settings(request_log=False))) as client:
        client.put("/v1/project", json={"meta": {"id": P}}).raise_for_status()
        for path, body, headers in CALLS:
            response = client.post(path, content=body, headers=headers)
            content: Any = response.json() if response.headers.get("content-type") == "application/json" else None
            if isinstance(content, dict) and "ip" in content:
                content = {"ip": content["ip"]["ip"]}  # uuids and times differ between the two runs
            answers.append((response.status_code, content))
        metrics = client.get("/metrics").text
    storage.close()
    assert 'metalnet_v2_calls_total{code="ok",method="Get",service="metalstack.api.v2.HealthService"} 1.0' in metrics
    return answers


def test_mounts_answer_every_kind_of_call() -> None:
    answers = _answers()
    assert [status for status, _ in answers] == [200, 200, 200, 400, 404, 501, 501, 200]
    assert answers[2][1] == {"ip": "185.1.2.1"}
