"""Real answers of every route, validated against the served OpenAPI document by schemathesis.

A server process on SQLite (authentication off: loopback) with a tenant super network, a child network and
an IP in it, so that reads and frees find something. schemathesis draws requests for every operation from
the document, valid and invalid ones alike; each answer must be no server error (5xx other than a declared
503), carry a declared status, and match the declared body and content type. Bounded: :data:`EXAMPLES`
cases per operation (45 operations: 360 cases, about 15 s here), no shrinking.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.live import Running, live_server

#: cases per operation; ``METALNET_SCHEMATHESIS_EXAMPLES`` raises it for a deeper run by hand
EXAMPLES = int(os.environ.get("METALNET_SCHEMATHESIS_EXAMPLES", "8"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    where = tmp_path_factory.mktemp("schemathesis")
    with live_server(["--db", f"sqlite:///{where / 'metalnet.db'}"], cwd=where) as running:
        _populate(running.url)
        yield running


def _populate(url: str) -> None:
    with httpx.Client(base_url=url, timeout=10) as http:
        assert http.put("/v1/partition", json={"id": "mini-lab"}).status_code == 201
        assert http.put("/v1/project", json={"meta": {"id": "p1"}}).status_code == 201
        created = http.put("/v1/network", json={
            "id": "tenant-super", "partitionid": "mini-lab", "prefixes": ["10.0.0.0/16", "2001:db8::/48"],
            "defaultchildprefixlength": {"IPv4": 22, "IPv6": 64}, "privatesuper": True})
        assert created.status_code == 201, created.text
        child = http.post("/v1/network/allocate", json={"partitionid": "mini-lab", "projectid": "p1"})
        assert child.status_code == 201, child.text
        ip = http.post("/v1/ip/allocate", json={"networkid": child.json()["id"], "projectid": "p1"})
        assert ip.status_code == 201, ip.text
        assert http.post("/api.v1.IpamService/CreatePrefix", json={"cidr": "192.168.0.0/24"}).status_code == 200


def test_every_route_answers_as_documented(server: Running) -> None:
    schema = schemathesis.openapi.from_url(f"{server.url}/schema/openapi.json")
    failures: list[str] = []
    operations = cases = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=st.one_of(operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                              operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)))
        @settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck), database=None)
        def exercise(case: schemathesis.Case) -> None:
            nonlocal cases
            cases += 1
            case.call_and_validate(base_url=server.url, checks=CHECKS, timeout=10)

        try:
            exercise()
        except Exception as exc:  # every operation is tried; all failures are reported together
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    print(f"schemathesis: {cases} cases over {operations} operations")
    assert operations >= 45, operations
    assert not failures, "\n\n".join(failures)
