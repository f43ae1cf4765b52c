"""``POST /v1/ip/allocate`` through its route: every kind of caller and body, its metrics and its log line."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import TestClient

from metalnet.api.app import create_app
from metalnet.api.settings import Settings
from metalnet.storage import MemoryStorage
from tests.api.conftest import KEYS, PARTITION, PROJECT, TOKENS, bearer, hmac_headers, setup_mini_lab

ADMIN = bearer("tok-admin")
JSON = {"content-type": "application/json"}
OVERSIZE = b"{" + b" " * 3000 + b"}"


def cases() -> dict[str, tuple[dict[str, Any], int]]:
    """case -> (request kwargs, expected status); without a body the usual allocation is sent, ``content=None``
    sends it as raw bytes. Built when the test runs: HMAC dates are only valid for 30 s."""
    return {
        "no credentials": ({}, 401),
        "view token": ({"headers": bearer("tok-view")}, 403),
        "unknown token": ({"headers": bearer("nope")}, 401),
        "hmac view": ({"headers": hmac_headers("POST", "Metal-View", KEYS["view"])}, 403),
        "hmac edit": ({"headers": hmac_headers("POST", "Metal-Edit", KEYS["edit"])}, 201),
        "hmac signed for GET": ({"headers": hmac_headers("GET", "Metal-Edit", KEYS["edit"])}, 401),
        "token bound to another project": ({"headers": bearer("tok-bound")}, 403),
        "oversize body": ({"content": OVERSIZE, "headers": {**ADMIN, **JSON}}, 413),
        "oversize body without credentials": ({"content": OVERSIZE, "headers": JSON}, 413),
        "malformed JSON": ({"content": b"{x", "headers": ADMIN}, 400),
        "empty body": ({"content": b"", "headers": ADMIN}, 400),
        "wrong field type": ({"json": {"networkid": 7}, "headers": ADMIN}, 400),
        "unknown network": ({"json": {"networkid": "nope", "projectid": PROJECT}, "headers": ADMIN}, 404),
        "admin": ({"headers": ADMIN}, 201),
        "text content type": ({"content": None, "headers": {**ADMIN, "content-type": "text/plain"}}, 201),
        "malformed host header": ({"headers": {**ADMIN, "host": "bad host!"}}, 400),
        "trailing slash": ({"headers": ADMIN, "path": "/v1/ip/allocate/"}, 201),
    }


def test_every_kind_of_request_gets_its_status_body_metrics_and_log(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings.build(KEYS, TOKENS, max_body_bytes=2000)
    with TestClient(create_app(MemoryStorage(), settings)) as client, \
            caplog.at_level("INFO", logger="metalnet.api.access"):
        setup_mini_lab(client, ADMIN)
        child = client.post("/v1/network/allocate", json={"partitionid": PARTITION, "projectid": PROJECT},
                            headers=ADMIN).json()["id"]
        allocation = {"networkid": child, "projectid": PROJECT}
        caplog.clear()
        for name, (case, expected) in cases().items():
            kwargs = {k: v for k, v in case.items() if k != "path"}
            if "content" not in kwargs and "json" not in kwargs:
                kwargs["json"] = allocation
            elif kwargs.get("content", b"") is None:
                kwargs["content"] = json.dumps(allocation).encode()
            response = client.post(case.get("path", "/v1/ip/allocate"), **kwargs)
            assert response.status_code == expected, (name, response.text)
            assert response.headers["content-type"].startswith("application/json"), name
            assert len(response.headers["x-request-id"]) == 16
            body = response.json()
            if expected == 201:
                assert body["networkid"] == child
                assert body["projectid"] == PROJECT
            else:
                assert body["statuscode"] == expected, name
                assert body["message"], name
            if expected == 401:
                assert response.headers["www-authenticate"] == 'Bearer realm="metalnet"'
        metrics = client.get("/metrics").text
    created = sum(1 for _, expected in cases().values() if expected == 201)
    assert f'metalnet_http_requests_total{{method="POST",route="/v1/ip/allocate",status="201"}} {created}.0' in metrics
    # refused before routing: counted as unmatched
    assert 'metalnet_http_requests_total{method="POST",route="unmatched",status="413"} 2.0' in metrics
    assert f'metalnet_allocations_total{{family="IPv4",kind="ip"}} {created}.0' in metrics
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "metalnet.api.access"]
    lines = [line for line in lines if line["path"].startswith("/v1/ip/allocate")]
    assert [line["status"] for line in lines] == [expected for _, expected in cases().values()]
    assert len(lines) == len(cases())
