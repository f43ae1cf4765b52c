"""Cleartext HTTP/2 (prior knowledge) and HTTP/1.1 on the same port of one ``metalnet serve``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.serving import metalnet_serve
from tests.servers.metalnet import Running


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with metalnet_serve(tmp_path_factory.mktemp("h2")) as running:
        yield running


def test_an_http2_client_gets_http2_answers(server: Running) -> None:
    with httpx.Client(base_url=server.url, http1=False, http2=True, timeout=10) as client:
        health = client.get("/v1/health")
        created = client.put("/v1/partition", json={"id": "h2-partition", "name": "over HTTP/2"})
        again = client.put("/v1/partition", json={"id": "h2-partition"})
        unknown = client.get("/v1/nothing-here")
    assert (health.http_version, health.status_code) == ("HTTP/2", 200)
    assert (created.http_version, created.status_code) == ("HTTP/2", 201)
    assert created.json()["name"] == "over HTTP/2"
    assert again.status_code == 409
    assert again.json()["statuscode"] == 409
    assert unknown.status_code == 404
    assert len(health.headers["x-request-id"]) == 16


def test_concurrent_streams_on_one_connection_and_http1_beside_them(server: Running) -> None:
    async def concurrently() -> list[httpx.Response]:
        # the async client: httpcore's sync HTTP/2 connection is not safe to share between threads
        async with httpx.AsyncClient(base_url=server.url, http1=False, http2=True, timeout=10) as client:
            return await asyncio.gather(*(client.put("/v1/project", json={"meta": {"id": f"h2-{n}"}})
                                          for n in range(24)))

    answers = asyncio.run(concurrently())
    assert {(a.http_version, a.status_code) for a in answers} == {("HTTP/2", 201)}
    plain = httpx.get(f"{server.url}/v1/project/h2-7", timeout=10)
    assert (plain.http_version, plain.status_code) == ("HTTP/1.1", 200)


def test_http2_connections_are_counted_in_metrics(server: Running, tmp_path: Path) -> None:
    with httpx.Client(base_url=server.url, http1=False, http2=True, timeout=10) as client:
        client.get("/v1/version")
        text = client.get("/metrics").text
    assert 'metalnet_http_requests_total{method="GET",route="/v1/version",status="200"}' in text


def test_http2_with_several_workers(tmp_path: Path) -> None:
    with metalnet_serve(tmp_path, "--workers", "2") as running, \
            httpx.Client(base_url=running.url, http1=False, http2=True, timeout=10) as client:
        answers = [client.put("/v1/partition", json={"id": f"w-{n}"}) for n in range(6)]
        metrics = client.get("/metrics").text
    assert {(a.http_version, a.status_code) for a in answers} == {("HTTP/2", 201)}
    assert 'metalnet_http_requests_total{method="PUT",route="/v1/partition",status="201"} 6.0' in metrics
