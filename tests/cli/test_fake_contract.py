"""The fake API of the CLI tests answers like the real app: same status, and every field it fills exists there.

The CLI tests (test_commands.py) run against canned answers; if the app changed a status or renamed a field,
they would keep passing against an answer the app no longer gives. Here each canned answer is compared with
the real app's answer to the same request (in process, on the memory backend): the status must be equal
and the canned body's shape (keys, recursively, and the JSON type of each value) contained in the real one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from litestar.testing import TestClient

from metalnet.api.app import create_app
from metalnet.storage import MemoryStorage
from tests.cli.canned import CHILD, IP, PARTITION, PREFIX, PROJECT, PROJECT_RECORD
from tests.cli.conftest import FakeApi
from tests.cli.test_commands import EXAMPLE

SVC = "/api.v1.IpamService"
CONFLICT = {"statuscode": 409, "message": "entity already exists"}


@pytest.fixture(scope="module")
def app() -> Iterator[TestClient[Any]]:
    """The real app with what test_commands' answers describe: a partition, a project, a super network."""
    storage = MemoryStorage()
    with TestClient(create_app(storage)) as client:
        assert client.put("/v1/partition", json=PARTITION).status_code == 201
        assert client.put("/v1/project", json=PROJECT_RECORD).status_code == 201
        super_network = yaml.safe_load(EXAMPLE.read_text())
        assert client.put("/v1/network", json=super_network).status_code == 201, super_network
        yield client
    storage.close()


def shape(value: Any) -> Any:
    """The JSON type of ``value``; for objects and arrays, the shape of their members."""
    if isinstance(value, dict):
        return {key: shape(member) for key, member in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    return "number" if isinstance(value, int | float) else type(value).__name__


def contained(fake: Any, real: Any, where: str = "$") -> list[str]:
    """Where ``fake``'s shape is not part of ``real``'s (empty: contained)."""
    if isinstance(fake, dict):
        if not isinstance(real, dict):
            return [f"{where}: an object in the fake, {real} in the app"]
        return [problem for key, member in fake.items()
                for problem in ([f"{where}.{key}: missing in the app"] if key not in real
                                else contained(member, real[key], f"{where}.{key}"))]
    if isinstance(fake, list):
        if not isinstance(real, list):
            return [f"{where}: an array in the fake, {real} in the app"]
        return contained(fake[0], real[0], f"{where}[0]") if fake and real else []
    return [] if fake == real else [f"{where}: {fake} in the fake, {real} in the app"]


def _child(app: TestClient[Any]) -> str:
    response = app.post("/v1/network/allocate", json={"partitionid": "mini-lab", "projectid": PROJECT,
                                                        "name": "my-node-network"})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


# (method, path, request body, the fake's status and body, as test_commands.py cans them)
CASES: list[tuple[str, str, Any, int, Any]] = [
    ("POST", "/v1/network/allocate", {"partitionid": "mini-lab", "projectid": PROJECT}, 201, CHILD),
    ("GET", "/v1/network/{child}", None, 200, CHILD),
    ("POST", "/v1/network/find", {"projectid": PROJECT}, 200, [CHILD]),
    ("POST", "/v1/network", {"id": "{child}", "name": "renamed"}, 200, CHILD),
    ("PUT", "/v1/network", {"id": "tenant-super-network-mini-lab", "prefixes": ["10.9.0.0/16"]}, 409, CONFLICT),
    ("POST", "/v1/ip/allocate", {"networkid": "{child}", "projectid": PROJECT, "tags": ["a"]}, 201, IP),
    ("GET", "/v1/ip", None, 200, [IP]),
    ("POST", "/v1/ip/find", {"projectid": PROJECT}, 200, [IP]),
    ("PUT", "/v1/partition", {"id": "other", "name": "Other"}, 201, PARTITION),
    ("GET", "/v1/partition", None, 200, [PARTITION]),
    ("GET", "/v1/partition/mini-lab", None, 200, PARTITION),
    ("PUT", "/v1/project", {"meta": {"id": "0b9b17c4-2d7c-4190-ae95-dda44e430fa6"}, "name": "q"}, 201,
     PROJECT_RECORD),
    ("GET", "/v1/project", None, 200, [PROJECT_RECORD]),
    ("GET", f"/v1/project/{PROJECT}", None, 200, PROJECT_RECORD),
    ("POST", f"{SVC}/CreateNamespace", {"namespace": "lab"}, 200, {}),
    ("POST", f"{SVC}/CreatePrefix", {"cidr": "10.200.0.0/16", "namespace": "lab"}, 200,
     {"prefix": {"cidr": "10.0.0.0/16"}}),
    ("POST", f"{SVC}/AcquireChildPrefix", {"cidr": "10.200.0.0/16", "length": 24, "namespace": "lab"}, 200,
     {"prefix": PREFIX}),
    ("POST", f"{SVC}/GetPrefix", {"cidr": "10.200.0.0/24", "namespace": "lab"}, 200, {"prefix": PREFIX}),
    ("POST", f"{SVC}/AcquireIP", {"prefixCidr": "10.200.0.0/24", "ip": "10.200.0.1", "namespace": "lab"}, 200,
     {"ip": {"ip": "10.0.0.1", "parentPrefix": "10.0.0.0/24"}}),
    ("POST", f"{SVC}/PrefixUsage", {"cidr": "10.200.0.0/24", "namespace": "lab"}, 200,
     {"availableIps": "256", "acquiredIps": "3"}),
    ("POST", f"{SVC}/GetPrefix", {"cidr": "10.9.0.0/16"}, 404,
     {"code": "not_found", "message": "prefix 10.9.0.0/16 not found"}),
    ("GET", "/v1/no-such-route", None, 404, {"statuscode": 404, "message": "no route"}),
]


def test_the_fake_answers_like_the_real_app(app: TestClient[Any]) -> None:
    child = _child(app)
    problems = []
    for method, path, body, status, canned in CASES:
        target = path.replace("{child}", child)
        sent = None if body is None else {key: child if value == "{child}" else value for key, value in body.items()}
        response = app.request(method, target, json=sent)
        if response.status_code != status:
            problems.append(f"{method} {path}: {status} in the fake, {response.status_code} in the app: "
                            f"{response.text[:200]}")
            continue
        problems += [f"{method} {path}: {problem}" for problem in contained(shape(canned), shape(response.json()))]
    assert problems == [], "\n".join(problems)


def test_the_fake_answers_an_unknown_route_as_the_app_does(app: TestClient[Any]) -> None:
    fake = FakeApi().client().get("/v1/no-such-route")
    real = app.get("/v1/no-such-route")
    assert fake.status_code == real.status_code == 404
    assert contained(shape(fake.json()), shape(real.json())) == []


def test_the_comparison_can_fail() -> None:
    assert contained(shape(CHILD), shape({**CHILD, "vrf": "20"})) == ["$.vrf: number in the fake, str in the app"]
    assert contained(shape({"prefix": PREFIX}), shape({"prefix": {"cidr": "x"}})) == [
        "$.prefix.parentCidr: missing in the app"]
