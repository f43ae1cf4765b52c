"""Bad input never yields a 500: malformed JSON, wrong types, oversized bodies, unknown routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from metalnet.api.app import create_app
from metalnet.api.settings import Settings
from metalnet.storage import MemoryStorage
from tests.api.conftest import assert_connect_error, assert_error

Client = TestClient  # type: ignore[type-arg]
JSON = {"Content-Type": "application/json"}


def test_malformed_json_and_wrong_shapes(client: Client) -> None:
    assert_error(client.post("/v1/ip/allocate", content=b"{nope", headers=JSON), 400, "malformed")
    assert_error(client.post("/v1/ip/allocate", content=b"[]", headers=JSON), 400, "object")
    assert_error(client.post("/v1/ip/allocate", content=b"", headers=JSON), 400, "body")
    assert_error(client.put("/v1/network", json={"labels": {"a": 1}}), 400, "labels")
    assert_error(client.put("/v1/network", json={"defaultchildprefixlength": {"IPv4": [22]}}), 400,
                 "defaultchildprefixlength")


@pytest.mark.parametrize("path", ["/v1/ip/allocate", "/v1/network/find", "/api.v1.IpamService/CreatePrefix"])
def test_deeply_nested_body_is_a_400(client: Client, path: str) -> None:
    deep = b'{"unknown":' * 5000 + b"1" + b"}" * 5000
    response = client.post(path, content=deep, headers=JSON)
    assert response.status_code == 400, response.text
    assert "nested too deeply" in response.json()["message"]


def test_types_are_strict(client: Client) -> None:
    # metal-api (Go) refuses a number or boolean sent as a string; so do we, on every route
    assert_error(client.put("/v1/network", json={"prefixes": ["10.1.0.0/24"], "vrf": "5"}), 400, "'vrf'")
    assert_error(client.put("/v1/network", json={"prefixes": ["10.1.0.0/24"], "privatesuper": "true"}), 400,
                 "'privatesuper'")
    assert_error(client.post("/v1/network/find", json={"nat": 1}), 400, "'nat'")
    assert_error(client.post("/v1/ip/allocate", json={"networkid": 7}), 400, "'networkid'")
    assert_error(client.put("/v1/project", json={"meta": {"id": 3}}), 400, "'meta.id'")


def test_body_too_large_is_413() -> None:
    app = create_app(MemoryStorage(), Settings(max_body_bytes=200, request_log=False))
    with TestClient(app) as client:
        big = {"name": "x" * 500}
        assert_error(client.post("/v1/ip/allocate", json=big), 413, "too large")
        assert_error(client.put("/v1/network", json=big), 413, "too large")
        assert_connect_error(client.post("/api.v1.IpamService/CreatePrefix", json=big), 413, "resource_exhausted")


def test_unknown_route_and_method(client: Client) -> None:
    assert_error(client.get("/v1/nothing-here"), 404)
    not_allowed = client.patch("/v1/network", json={})
    assert_error(not_allowed, 405)
    assert set(not_allowed.headers["allow"].split(", ")) >= {"GET", "POST", "PUT"}


def test_errors_carry_the_offending_value(client: Client) -> None:
    message = assert_error(client.get("/v1/network/no-such-net"), 404)
    assert "no-such-net" in message


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
FIELDS = ["networkid", "projectid", "name", "type", "tags", "machineid", "addressfamily", "prefixes",
          "partitionid", "length", "defaultchildprefixlength", "vrf", "labels", "id", "cidr", "prefixCidr"]


@pytest.fixture(scope="module")
def shared_client() -> Iterator[Client]:
    """One app for every example: state left by earlier examples only makes the inputs more varied."""
    with TestClient(create_app(MemoryStorage(), Settings(request_log=False))) as client:
        yield client


PATHS = [("POST", p) for p in ("/v1/ip/allocate", "/v1/network/allocate", "/v1/network/find", "/v1/ip/find",
                               "/v1/ip/allocate/10.0.0.1", "/v1/ip", "/v1/network",
                               "/api.v1.IpamService/AcquireIP", "/api.v1.IpamService/AcquireChildPrefix",
                               "/api.v1.IpamService/CreatePrefix")]
PATHS += [("PUT", p) for p in ("/v1/network", "/v1/partition", "/v1/project")]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=5) | json_values,
       target=st.sampled_from(PATHS))
def test_random_bodies_never_cause_a_server_error(shared_client: Client, body: Any, target: tuple[str, str]) -> None:
    method, path = target
    response = shared_client.request(method, path, json=body)
    assert response.status_code < 500, (path, body, response.text)
    if response.status_code >= 400:
        assert "message" in response.json()
