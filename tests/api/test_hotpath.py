"""The lean ``POST /v1/ip/allocate`` path answers exactly as the Litestar route does, and really serves it."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from metalnet.api.app import create_app
from metalnet.api.context import ApiContext
from metalnet.api.hotpath import with_hot_path
from metalnet.api.settings import Settings
from metalnet.storage import MemoryStorage
from tests.api.conftest import KEYS, PARTITION, PROJECT, TOKENS, bearer, hmac_headers, setup_mini_lab

ADMIN = bearer("tok-admin")
JSON = {"content-type": "application/json"}
OVERSIZE = b"{" + b" " * 3000 + b"}"
#: case -> request kwargs; without a body the usual allocation is sent, ``content=None`` sends it as raw bytes
CASES: dict[str, dict[str, Any]] = {
    "no credentials": {},
    "view token": {"headers": bearer("tok-view")},
    "unknown token": {"headers": bearer("nope")},
    "hmac view": {"headers": hmac_headers("POST", "Metal-View", KEYS["view"])},
    "hmac edit": {"headers": hmac_headers("POST", "Metal-Edit", KEYS["edit"])},
    "hmac signed for GET": {"headers": hmac_headers("GET", "Metal-Edit", KEYS["edit"])},
    "token bound to another project": {"headers": bearer("tok-bound")},
    "oversize body": {"content": OVERSIZE, "headers": {**ADMIN, **JSON}},
    "oversize body without credentials": {"content": OVERSIZE, "headers": JSON},
    "malformed JSON": {"content": b"{x", "headers": ADMIN},
    "empty body": {"content": b"", "headers": ADMIN},
    "wrong field type": {"json": {"networkid": 7}, "headers": ADMIN},
    "unknown network": {"json": {"networkid": "nope", "projectid": PROJECT}, "headers": ADMIN},
    "admin": {"headers": ADMIN},
    "text content type": {"content": None, "headers": {**ADMIN, "content-type": "text/plain"}},
    "malformed host header": {"headers": {**ADMIN, "host": "bad host!"}},
    "trailing slash": {"headers": ADMIN, "path": "/v1/ip/allocate/"},
}


def _answers(fast_path: bool, caplog: pytest.LogCaptureFixture) -> list[Any]:
    """Every case's status, body, headers, then the request metrics and the access log lines."""
    settings = dataclasses.replace(Settings.build(KEYS, TOKENS, max_body_bytes=2000), fast_path=fast_path)
    answers: list[Any] = []
    caplog.clear()
    with TestClient(create_app(MemoryStorage(), settings)) as client, \
            caplog.at_level("INFO", logger="metalnet.api.access"):
        setup_mini_lab(client, ADMIN)
        child = client.post("/v1/network/allocate", json={"partitionid": PARTITION, "projectid": PROJECT},
                            headers=ADMIN).json()["id"]
        allocation = {"networkid": child, "projectid": PROJECT}
        for name, case in CASES.items():
            kwargs = {k: v for k, v in case.items() if k != "path"}
            if "content" not in kwargs and "json" not in kwargs:
                kwargs["json"] = allocation
            elif kwargs.get("content", b"") is None:
                kwargs["content"] = json.dumps(allocation).encode()
            response = client.post(case.get("path", "/v1/ip/allocate"), **kwargs)
            headers = {k: v for k, v in response.headers.items() if k not in ("date", "x-request-id")}
            assert len(response.headers["x-request-id"]) == 16
            body = response.text.replace(child, "<child>")
            if response.status_code == 201:
                body = json.dumps({k: v for k, v in json.loads(body).items()
                                   if k not in ("created", "changed", "allocationuuid")})
            answers.append((name, response.status_code, body, headers))
        metrics = client.get("/metrics").text
    answers.append(sorted(line for line in metrics.splitlines() if "requests_total{" in line))
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "metalnet.api.access"]
    answers.append([{k: v for k, v in line.items() if k not in ("ts", "duration_ms", "request_id")}
                    for line in lines])
    return answers


def test_fast_path_answers_like_the_litestar_route(caplog: pytest.LogCaptureFixture) -> None:
    fast, litestar = _answers(True, caplog), _answers(False, caplog)
    for fast_answer, litestar_answer in zip(fast, litestar, strict=True):
        assert fast_answer == litestar_answer
    statuses = {answer[0]: answer[1] for answer in fast[: len(CASES)]}
    assert statuses["admin"] == 201
    assert statuses["oversize body"] == 413
    assert statuses["hmac signed for GET"] == 401
    assert statuses["token bound to another project"] == 403
    assert statuses["malformed host header"] == 400


@pytest.fixture
def recorded() -> Iterator[tuple[TestClient, list[str]]]:  # type: ignore[type-arg]
    """A client of the lean path in front of an app that only records what reaches it."""
    reached: list[str] = []

    async def inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        reached.append(f"{scope['method']} {scope['path']}")
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    ctx = ApiContext.build(MemoryStorage(), Settings(request_log=False))
    with TestClient(with_hot_path(inner, ctx)) as client:
        yield client, reached


def test_fast_path_serves_allocations_itself(recorded: tuple[TestClient, list[str]]) -> None:  # type: ignore[type-arg]
    client, reached = recorded
    response = client.post("/v1/ip/allocate", json={"networkid": "nope", "projectid": PROJECT})
    assert response.status_code == 404
    assert client.post("/v1/ip/allocate/", content=b"{x").status_code == 400
    assert reached == []
    assert client.post("/v1/ip/allocate/10.0.0.1", json={}).status_code == 299
    assert client.get("/v1/ip/allocate").status_code == 299
    assert client.post("/v1/ip/allocate", json={}, headers={"host": "bad host!"}).status_code == 299
    assert reached == ["POST /v1/ip/allocate/10.0.0.1", "GET /v1/ip/allocate", "POST /v1/ip/allocate"]
