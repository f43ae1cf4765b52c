"""``/metrics``, the request log line and the request id."""

from __future__ import annotations

import json
import time

import pytest
from litestar.testing import TestClient

from metalnet.api.app import create_app
from metalnet.api.settings import Settings
from metalnet.storage import MemoryStorage
from tests.api.conftest import PARTITION, PROJECT, setup_mini_lab

Client = TestClient  # type: ignore[type-arg]


def test_metrics_count_requests_allocations_and_pool_usage(mini_lab: Client) -> None:
    child = mini_lab.post("/v1/network/allocate", json={"partitionid": PARTITION, "projectid": PROJECT}).json()
    address = mini_lab.post("/v1/ip/allocate", json={"networkid": child["id"], "projectid": PROJECT}).json()
    mini_lab.delete(f"/v1/ip/free/{address['ipaddress']}")
    mini_lab.get("/v1/network/unknown")
    mini_lab.get("/no/such/route")
    text = mini_lab.get("/metrics").text
    assert 'metalnet_http_requests_total{method="POST",route="/v1/ip/allocate",status="201"} 1.0' in text
    assert 'metalnet_http_requests_total{method="GET",route="/v1/network/{id}",status="404"} 1.0' in text
    assert 'route="unmatched",status="404"' in text
    assert 'metalnet_http_request_duration_seconds_bucket{le="0.001",method="POST",route="/v1/ip/allocate"}' in text
    assert 'metalnet_allocations_total{family="IPv4",kind="ip"} 1.0' in text
    assert 'metalnet_allocations_total{family="IPv6",kind="network"} 1.0' in text
    assert 'metalnet_frees_total{family="IPv4",kind="ip"} 1.0' in text
    # the pool: the private super networks, per family (one /22 child taken out of the /16)
    assert 'metalnet_pool_used_prefixes{family="IPv4"} 1.0' in text
    assert 'metalnet_pool_available_ips{family="IPv4"} 65536.0' in text


def test_unknown_methods_share_one_metric_label(client: Client) -> None:
    for method in ("FROB", "FROB2", "PROPFIND"):
        assert client.request(method, "/v1/network").status_code == 405
    text = client.get("/metrics").text
    assert 'metalnet_http_requests_total{method="OTHER",route="unmatched",status="405"} 3.0' in text
    assert "FROB" not in text


def test_one_json_log_line_per_request_with_request_id(caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(MemoryStorage(), Settings(request_log=True))
    with TestClient(app) as client, caplog.at_level("INFO", logger="metalnet.api.access"):
        response = client.get("/v1/network/x?secret=1", headers={"X-Request-Id": "abc-123"})
        fresh = client.get("/v1/version")
    assert response.headers["x-request-id"] == "abc-123"
    assert len(fresh.headers["x-request-id"]) == 16
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "metalnet.api.access"]
    assert len(lines) == 2
    assert lines[0] == {"ts": lines[0]["ts"], "event": "request", "method": "GET", "path": "/v1/network/x",
                        "status": 404, "duration_ms": lines[0]["duration_ms"], "request_id": "abc-123"}
    assert abs(lines[0]["ts"] - time.time()) < 60
    assert lines[0]["duration_ms"] >= 0
    assert "secret" not in caplog.text


def test_secrets_are_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings.build({"admin": "super-secret-key"}, ["admin:super-secret-token"], request_log=True)
    with TestClient(create_app(MemoryStorage(), settings)) as client, caplog.at_level("DEBUG"):
        client.get("/v1/network", headers={"Authorization": "Bearer super-secret-token"})
        client.get("/v1/network", headers={"Authorization": "Bearer wrong-secret"})
        setup_mini_lab(client, {"Authorization": "Bearer super-secret-token"})
    assert "super-secret" not in caplog.text
    assert "wrong-secret" not in caplog.text
