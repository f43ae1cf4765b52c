"""Every id the network layer accepts is reachable by every route that takes an id in its path."""

from __future__ import annotations

import string
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from metalnet.api.app import create_app
from metalnet.api.settings import Settings
from metalnet.network.errors import NetworkError
from metalnet.network.ids import check_id
from metalnet.storage import open_storage
from tests.api.conftest import assert_error

Client = TestClient  # type: ignore[type-arg]
ids = st.text(alphabet=string.ascii_letters + string.digits + "-._~", min_size=1, max_size=40)


@pytest.fixture(scope="module")
def app_client() -> Iterator[Client]:
    with open_storage("memory://") as storage, \
            TestClient(create_app(storage, Settings(request_log=False))) as client:
        yield client


def _accepted(ident: str) -> bool:
    try:
        check_id(ident, "x")
    except NetworkError:
        return False
    return True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ident=ids)
@example(ident="~")
@example(ident="...")
@example(ident="-")
@example(ident="_")
@example(ident=".a")
@example(ident="Find")
@example(ident="allocate~")
@example(ident="find")
@example(ident="4b9b17c4-2d7c-4190-ae95-dda44e430fa6")
@example(ident="tenant-super-network-mini-lab")
def test_created_then_read_updated_and_deleted_by_its_path(app_client: Client, ident: str) -> None:
    c = app_client
    if not _accepted(ident):
        assert_error(c.put("/v1/partition", json={"id": ident}), 400, repr(ident))
        return
    assert c.put("/v1/partition", json={"id": ident}).status_code == 201
    assert c.put("/v1/project", json={"meta": {"id": ident}}).status_code == 201
    network = c.put("/v1/network", json={"id": ident, "prefixes": ["10.0.0.0/24"], "partitionid": ident,
                                         "projectid": ident})
    assert network.status_code == 201, network.text
    for kind in ("partition", "project", "network"):
        found = c.get(f"/v1/{kind}/{ident}")
        assert found.status_code == 200, (kind, found.text)
        assert (found.json().get("id") or found.json()["meta"]["id"]) == ident
    # free answers for the network (it is no child network, so 422), not "no such route/resource"
    assert_error(c.delete(f"/v1/network/free/{ident}"), 422)
    assert_error(c.post(f"/v1/network/free/{ident}"), 422)
    for kind in ("network", "project", "partition"):
        deleted = c.delete(f"/v1/{kind}/{ident}")
        assert deleted.status_code == 200, (kind, deleted.text)
        assert_error(c.get(f"/v1/{kind}/{ident}"), 404)


@pytest.mark.parametrize(("ident", "offending"), [("a/b", "'/'"), ("a b", "' '"), ("a%2Fb", "'%'"),
                                                   ("a?b", "'?'"), ("a#b", "'#'"), ("é", "'é'"), ("٢", "'٢'")])
def test_refused_at_creation_naming_the_character(app_client: Client, ident: str, offending: str) -> None:
    assert_error(app_client.put("/v1/network", json={"id": ident, "prefixes": ["10.1.0.0/24"]}), 400, offending)
    assert_error(app_client.put("/v1/partition", json={"id": ident}), 400, offending, "partition id")
    assert_error(app_client.put("/v1/project", json={"meta": {"id": ident}}), 400, offending, "project id")
    assert app_client.get("/v1/network").json() == []


@pytest.mark.parametrize("ident", ["find", "allocate", "free", ".", ".."])
def test_verbs_and_dot_segments_are_refused(app_client: Client, ident: str) -> None:
    assert_error(app_client.put("/v1/project", json={"meta": {"id": ident}}), 400, repr(ident))
