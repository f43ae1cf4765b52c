"""Each protocol owns one table of statuses; an error no table knows is a bug, answered as a logged 500."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import pytest
from litestar.testing import TestClient

from metalnet.api.app import create_app
from metalnet.api.settings import Settings
from metalnet.api.v1_errors import STATUS_BY_KIND
from metalnet.network import ErrorKind
from metalnet.storage import CommitOutcomeUnknownError, MemoryStorage, Storage, Transaction
from tests.api.conftest import assert_connect_error, assert_error

T = TypeVar("T")


class BuggyStorage(MemoryStorage):
    """A store whose transactions raise an error no layer expects (stands for a bug anywhere below the API)."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def run(self, fn: Callable[[Transaction], T], *, readonly: bool = False, deadline: float | None = None) -> T:
        raise self.error


def test_every_kind_has_a_v1_status() -> None:
    assert set(STATUS_BY_KIND) == set(ErrorKind)


@pytest.mark.parametrize("error", [ValueError("unexpected value 42"), TypeError("bad operand"), KeyError("k")])
def test_a_bug_is_a_logged_500_not_a_client_error(error: Exception, caplog: pytest.LogCaptureFixture) -> None:
    storage: Storage = BuggyStorage(error)
    with TestClient(create_app(storage, Settings(request_log=False))) as client, caplog.at_level(logging.ERROR):
        assert_error(client.get("/v1/network/internet"), 500, "internal server error")
        assert_error(client.post("/v1/ip/allocate", json={"networkid": "n", "projectid": "p"}), 500)
        assert_connect_error(client.post("/api.v1.IpamService/CreatePrefix", json={"cidr": "10.0.0.0/8"}), 500,
                             "internal")
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
    assert len(logged) == 3
    assert all(r.exc_info and r.exc_info[1] is error for r in logged)
    assert all(str(error) not in r.getMessage() for r in logged)  # the message is the request; the bug is the traceback


def test_a_commit_of_unknown_outcome_is_503_with_retry_after_on_every_protocol() -> None:
    error = CommitOutcomeUnknownError("PostgreSQL at …: the connection was lost during COMMIT; it may have committed")
    with TestClient(create_app(BuggyStorage(error), Settings(request_log=False))) as client:
        answers = [client.post("/v1/ip/allocate", json={"networkid": "n", "projectid": "p"}),
                   client.post("/api.v1.IpamService/CreatePrefix", json={"cidr": "10.0.0.0/8"})]
        assert_error(answers[0], 503, "may have committed")
        assert_connect_error(answers[1], 503, "unavailable")
    assert all(answer.headers["retry-after"] for answer in answers)
