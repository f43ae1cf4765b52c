"""``Idempotency-Key``: repeats answer the first answer, reuse is refused, keys are per caller, expire."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from metalnet.api.app import create_app
from metalnet.api.context import ApiContext
from metalnet.api.settings import Settings
from metalnet.idempotency import IdempotentStorage
from metalnet.storage import MemoryStorage, Storage
from tests.api.conftest import PARTITION, PROJECT, TOKENS, assert_error, bearer, setup_mini_lab

Client = TestClient  # type: ignore[type-arg]
KEY = "Idempotency-Key"


@pytest.fixture
def lab(mini_lab: Client) -> tuple[Client, str]:
    child = mini_lab.post("/v1/network/allocate", json={"partitionid": PARTITION, "projectid": PROJECT})
    assert child.status_code == 201, child.text
    return mini_lab, str(child.json()["id"])


def _allocate(client: Client, network: str, key: str | None, **extra: Any) -> Any:
    headers = {KEY: key} if key else {}
    return client.post("/v1/ip/allocate", json={"networkid": network, "projectid": PROJECT, **extra}, headers=headers)


def _ips(client: Client) -> list[str]:
    return sorted(ip["ipaddress"] for ip in client.get("/v1/ip").json())


def test_a_repeat_returns_the_first_answer_and_changes_nothing(lab: tuple[Client, str]) -> None:
    client, network = lab
    first = _allocate(client, network, "k-1")
    assert first.status_code == 201, first.text
    again = _allocate(client, network, "k-1")
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert _ips(client) == [first.json()["ipaddress"]]
    other = _allocate(client, network, "k-2")
    assert other.json()["ipaddress"] != first.json()["ipaddress"]


def test_the_same_key_for_another_body_or_route_is_422(lab: tuple[Client, str]) -> None:
    client, network = lab
    assert _allocate(client, network, "k").status_code == 201
    assert_error(_allocate(client, network, "k", name="other"), 422, "Idempotency-Key", "another request")
    assert_error(client.post("/v1/ip/allocate/bulk", json={"networkid": network, "projectid": PROJECT, "count": 2},
                             headers={KEY: "k"}), 422, "another request")
    assert len(_ips(client)) == 1


def test_refusals_are_replayed_and_bulk_and_free_are_keyed(lab: tuple[Client, str]) -> None:
    client, network = lab
    refused = _allocate(client, "no-such-network", "r")
    assert refused.status_code == 404
    assert (_allocate(client, "no-such-network", "r").content) == refused.content
    body = {"networkid": network, "projectid": PROJECT, "count": 3}
    bulk = client.post("/v1/ip/allocate/bulk", json=body, headers={KEY: "b"})
    assert bulk.status_code == 201
    assert client.post("/v1/ip/allocate/bulk", json=body, headers={KEY: "b"}).content == bulk.content
    address = bulk.json()[0]["ipaddress"]
    freed = client.delete(f"/v1/ip/free/{address}", headers={KEY: "f"})
    assert freed.status_code == 200
    assert client.delete(f"/v1/ip/free/{address}", headers={KEY: "f"}).content == freed.content
    assert len(_ips(client)) == 2


def test_ipam_service_writes_are_keyed(client: Client) -> None:
    def rpc(name: str, body: dict[str, Any], key: str) -> Any:
        return client.post(f"/api.v1.IpamService/{name}", json=body, headers={KEY: key})

    assert rpc("CreatePrefix", {"cidr": "10.9.0.0/24"}, "p").status_code == 200
    first = rpc("AcquireIP", {"prefixCidr": "10.9.0.0/24"}, "a")
    assert rpc("AcquireIP", {"prefixCidr": "10.9.0.0/24"}, "a").content == first.content
    assert rpc("AcquireIP", {"prefixCidr": "10.9.0.0/24"}, "a2").json()["ip"]["ip"] == "10.9.0.2"
    assert rpc("CreatePrefix", {"cidr": "10.9.0.0/24"}, "p").status_code == 200  # replayed, not a conflict
    reused = rpc("AcquireIP", {"prefixCidr": "10.9.0.0/24", "ip": "10.9.0.9"}, "a")
    assert (reused.status_code, reused.json()["code"]) == (422, "failed_precondition")
    refused = rpc("AcquireIP", {"prefixCidr": "10.99.0.0/24"}, "missing")
    assert refused.status_code == 404
    assert rpc("AcquireIP", {"prefixCidr": "10.99.0.0/24"}, "missing").content == refused.content


def test_keys_are_scoped_per_caller(api_storage: Storage) -> None:
    with TestClient(create_app(api_storage, Settings.build({}, TOKENS, request_log=False))) as client:
        setup_mini_lab(client, bearer("tok-admin"))
        child = client.post("/v1/network/allocate", json={"partitionid": PARTITION, "projectid": PROJECT},
                            headers=bearer("tok-admin")).json()["id"]
        body = {"networkid": child, "projectid": PROJECT}
        one = client.post("/v1/ip/allocate", json=body, headers={KEY: "same", **bearer("tok-admin")})
        two = client.post("/v1/ip/allocate", json=body, headers={KEY: "same", **bearer("tok-edit")})
        assert one.status_code == two.status_code == 201
        assert one.json()["ipaddress"] != two.json()["ipaddress"]


def test_bad_keys_are_400(lab: tuple[Client, str]) -> None:
    client, network = lab
    assert_error(_allocate(client, network, "x" * 256), 400, "Idempotency-Key")


def test_keys_expire_and_are_cleaned_up_without_a_scan() -> None:
    now = [1000.0]
    store = MemoryStorage()
    keyed = IdempotentStorage(store, clock=lambda: now[0])
    settings_ = Settings(request_log=False, idempotency_ttl=60)
    app = create_app(store, settings_)
    ctx: ApiContext = app.state.metalnet
    ctx.networks.storage = keyed
    ctx.ipam.storage = keyed
    with TestClient(app) as client:
        setup_mini_lab(client)
        child = client.post("/v1/network/allocate", json={"partitionid": PARTITION, "projectid": PROJECT}).json()
        first = _allocate(client, child["id"], "old")
        assert _allocate(client, child["id"], "old").content == first.content
        assert keyed.stored_keys() == 1
        now[0] += 61  # expired: the key runs again, and each keyed write removes expired keys
        second = _allocate(client, child["id"], "old")
        assert second.json()["ipaddress"] != first.json()["ipaddress"]
        for index in range(3):
            _allocate(client, child["id"], f"k{index}")
        assert keyed.stored_keys() == 4
        now[0] += 61
        _allocate(client, child["id"], "fresh")
        assert keyed.stored_keys() == 1


def test_concurrent_repeats_allocate_once(tmp_path: Any) -> None:
    from metalnet.storage import open_storage

    store = open_storage(f"sqlite:///{tmp_path / 'c.db'}")
    with TestClient(create_app(store, Settings(request_log=False))) as client:
        setup_mini_lab(client)
        child = client.post("/v1/network/allocate", json={"partitionid": PARTITION, "projectid": PROJECT}).json()
        answers: list[Any] = []

        def repeat() -> None:
            answers.append(_allocate(client, child["id"], "same"))

        threads = [threading.Thread(target=repeat) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert {a.status_code for a in answers} <= {201, 409}
        assert len({a.content for a in answers if a.status_code == 201}) == 1
        assert len(_ips(client)) == 1
    store.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", None]), st.sampled_from(["n1", "n2"])), max_size=12))
def test_random_requests_and_repeats_match_a_model(steps: list[tuple[str | None, str]]) -> None:
    store = MemoryStorage()
    with TestClient(create_app(store, Settings(request_log=False))) as client:
        setup_mini_lab(client)
        child = client.post("/v1/network/allocate", json={"partitionid": PARTITION, "projectid": PROJECT}).json()
        seen: dict[str, tuple[str, bytes]] = {}  # the model: key -> (the name sent first, the first answer)
        allocations = 0
        for key, name in steps:
            response = _allocate(client, child["id"], key, name=name)
            if key is None:
                assert response.status_code == 201
                allocations += 1
            elif key not in seen:
                assert response.status_code == 201
                seen[key] = (name, response.content)
                allocations += 1
            elif seen[key][0] == name:
                assert response.content == seen[key][1]
            else:
                assert response.status_code == 422
        assert len(_ips(client)) == allocations
    store.close()
