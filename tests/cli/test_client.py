"""The HTTP client as the root group builds it: base path, credentials, timeouts, odd answers."""

from __future__ import annotations

import httpx
import pytest
from click.testing import CliRunner

from cli.client import Api, build_http_client
from cli.config import Connection
from cli.errors import ApiError, ConnectionFailed
from cli.main import cli


def recorder(seen: list[httpx.Request], response: httpx.Response | None = None) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return response if response is not None else httpx.Response(200, json=[])

    return httpx.MockTransport(handle)


def test_base_path_and_hmac_headers() -> None:
    seen: list[httpx.Request] = []
    conn = Connection(url="http://h.example/metal", hmac="k", hmac_user="Metal-Edit", token="ignored")
    with build_http_client(conn, transport=recorder(seen)) as http:
        Api(http).get("/v1/network")
    [request] = seen
    assert str(request.url) == "http://h.example/metal/v1/network"
    assert request.headers["Authorization"].startswith("Metal-Edit ")
    assert "X-Date" in request.headers
    assert "X-Data-Salt" in request.headers


def test_token_without_hmac_is_a_bearer() -> None:
    seen: list[httpx.Request] = []
    with build_http_client(Connection(token="t"), transport=recorder(seen)) as http:
        Api(http).post("/v1/ip/find", {"name": "x"})
    assert seen[0].headers["Authorization"] == "Bearer t"
    assert seen[0].headers["Content-Type"] == "application/json"
    assert seen[0].content == b'{"name":"x"}'


def test_no_credentials_no_authorization_header() -> None:
    seen: list[httpx.Request] = []
    with build_http_client(Connection(), transport=recorder(seen)) as http:
        Api(http).get("/v1/health")
    assert "Authorization" not in seen[0].headers


def test_error_without_json_body_keeps_the_start_of_the_text() -> None:
    transport = recorder([], httpx.Response(502, text="<html>\n  Bad   gateway </html>"))
    with build_http_client(Connection(), transport=transport) as http, pytest.raises(ApiError) as info:
        Api(http).get("/v1/network")
    assert str(info.value.message) == (
        "GET /v1/network: 502 Bad Gateway: <html> Bad gateway </html> (the server failed; see its log)")


def test_success_that_is_not_json() -> None:
    with build_http_client(Connection(), transport=recorder([], httpx.Response(200, text="hello"))) as http, \
            pytest.raises(ConnectionFailed, match="is not JSON: is that URL a metalnet API"):
        Api(http).get("/v1/network")


def test_timeout_names_the_limit() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with build_http_client(Connection(), timeout=2.5, transport=httpx.MockTransport(slow)) as http, \
            pytest.raises(ConnectionFailed, match=r"no answer from http://127.0.0.1:8080 within 2.5 s"):
        Api(http).get("/v1/network")


def test_shell_completion_is_clicks() -> None:
    env = {"_METALNET_COMPLETE": "bash_complete", "COMP_WORDS": "metalnet network al", "COMP_CWORD": "2"}
    result = CliRunner().invoke(cli, [], prog_name="metalnet", env=env)
    assert result.stdout.split() == ["plain,allocate"]


def test_changes_carry_a_fresh_key_and_retries_reuse_it() -> None:
    seen: list[httpx.Request] = []
    answers = iter([httpx.ConnectError("refused"), httpx.Response(503, json={"message": "store out"}),
                    httpx.Response(409, json={"message": "a request with Idempotency-Key 'x' is still running"}),
                    httpx.Response(201, json={"ipaddress": "10.0.0.1"}), httpx.Response(201, json={})])

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    waits: list[float] = []
    with httpx.Client(base_url="http://h", transport=httpx.MockTransport(handle)) as http:
        api = Api(http, sleep=waits.append)
        assert api.post("/v1/ip/allocate", {"networkid": "n"}) == {"ipaddress": "10.0.0.1"}
        api.post("/v1/ip/allocate", {"networkid": "n"})
    keys = [request.headers["Idempotency-Key"] for request in seen]
    assert len(set(keys[:4])) == 1  # one key for the tries of one command
    assert keys[4] != keys[0]  # a fresh key for the next command
    assert waits == [0.2, 0.4, 0.8]


def test_reads_carry_no_key_and_retries_are_bounded() -> None:
    seen: list[httpx.Request] = []
    waits: list[float] = []
    with build_http_client(Connection(), transport=recorder(seen, httpx.Response(503, json={"message": "out"}))) \
            as http:
        api = Api(http, sleep=waits.append)
        with pytest.raises(ApiError, match="503"):
            api.post("/v1/ip/find", {})
        api.http.close()
    assert len(seen) == 5
    assert "Idempotency-Key" not in seen[0].headers
    assert len(waits) == 4
    # a refusal is no reason to retry
    seen.clear()
    with build_http_client(Connection(), transport=recorder(seen, httpx.Response(409, json={"message": "taken"}))) \
            as http, pytest.raises(ApiError):
        Api(http, sleep=waits.append).put("/v1/network", {"id": "x"})
    assert len(seen) == 1
    assert "Idempotency-Key" in seen[0].headers
