"""Each request's deadline, set at its arrival, reaches ``Storage.run``; a passed one is a 503 with Retry-After."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from litestar.testing import TestClient

from metalnet.api.app import create_app
from metalnet.api.settings import Settings
from metalnet.storage import MemoryStorage, Storage, Transaction
from metalnet.storage.base import DeadlineExceededError, StorageUnavailableError
from metalnet.storage.sqlite import SqliteStorage
from tests.api.conftest import assert_connect_error, assert_error

T = TypeVar("T")
DEADLINE = 3.0


def _record(storage: Storage, deadline: float | None) -> None:
    left = getattr(storage, "left", None)  # not yet while the store opens (its migrations are no request's)
    if left is not None:
        left.append(None if deadline is None else deadline - time.monotonic())


class RecordingMemory(MemoryStorage):
    """The in-memory store (its work runs inline), recording each transaction's time left."""

    left: list[float | None]

    def run(self, fn: Callable[[Transaction], T], *, readonly: bool = False, deadline: float | None = None) -> T:
        _record(self, deadline)
        return super().run(fn, readonly=readonly, deadline=deadline)


class RecordingSqlite(SqliteStorage):
    """SQLite (its work runs on worker threads), recording each transaction's time left."""

    left: list[float | None]

    def run(self, fn: Callable[[Transaction], T], *, readonly: bool = False, deadline: float | None = None) -> T:
        _record(self, deadline)
        return super().run(fn, readonly=readonly, deadline=deadline)


class DownStorage(MemoryStorage):
    """A store whose every transaction fails with :attr:`error` once :attr:`error` is set."""

    error: Exception | None = None

    def run(self, fn: Callable[[Transaction], T], *, readonly: bool = False, deadline: float | None = None) -> T:
        if self.error is not None:
            raise self.error
        return super().run(fn, readonly=readonly, deadline=deadline)


@pytest.fixture(params=["memory", "sqlite"])
def recorded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Storage, list[float | None]]]:
    storage: RecordingMemory | RecordingSqlite
    storage = RecordingMemory() if request.param == "memory" else RecordingSqlite.from_url(
        f"sqlite:///{tmp_path / 'd.db'}")
    storage.left = []
    yield storage, storage.left
    storage.close()


def _rpc(client: TestClient[Any], name: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api.v1.IpamService/{name}", json=body, headers={"Content-Type": "application/json"})


def test_every_request_reaches_the_store_with_its_deadline(recorded: tuple[Storage, list[float | None]]) -> None:
    storage, left = recorded
    with TestClient(create_app(storage, Settings(request_log=False, request_deadline=DEADLINE))) as client:
        left.clear()  # the app's own startup work is no request's
        assert client.put("/v1/partition", json={"id": "p"}).status_code == 201
        assert client.put("/v1/project", json={"meta": {"id": "x"}}).status_code == 201
        assert client.put("/v1/network", json={"id": "n", "prefixes": ["10.0.0.0/24"], "partitionid": "p",
                                               "projectid": "x"}).status_code == 201
        assert client.post("/v1/ip/allocate", json={"networkid": "n", "projectid": "x"}).status_code == 201
        assert client.get("/v1/network/n").status_code == 200
        assert _rpc(client, "CreatePrefix", {"cidr": "192.168.0.0/24"}).status_code == 200
        assert _rpc(client, "AcquireIP", {"prefixCidr": "192.168.0.0/24"}).status_code == 200
    assert len(left) >= 7, left
    assert all(t is not None and 0 < t <= DEADLINE for t in left), left


@pytest.mark.parametrize("error", [DeadlineExceededError("the deadline passed before the commit"),
                                   StorageUnavailableError("the store is unreachable")])
def test_a_store_that_cannot_commit_in_time_is_a_503_with_retry_after(error: Exception) -> None:
    storage = DownStorage()
    with TestClient(create_app(storage, Settings(request_log=False))) as client:
        storage.error = error
        for response in (client.post("/v1/ip/allocate", json={"networkid": "n", "projectid": "x"}),
                         client.get("/v1/network/n")):
            assert_error(response, 503, str(error))
            assert response.headers["retry-after"] == "1"
        response = _rpc(client, "AcquireIP", {"prefixCidr": "192.168.0.0/24"})
        assert_connect_error(response, 503, "unavailable")
        assert response.headers["retry-after"] == "1"
