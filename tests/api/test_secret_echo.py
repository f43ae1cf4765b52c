"""No part of an ``Authorization`` header comes back in a 401, on any protocol, nor reaches the log."""

from __future__ import annotations

import logging

import pytest
from litestar.testing import TestClient

from tests.api.conftest import assert_connect_error, assert_error

Client = TestClient  # type: ignore[type-arg]
SECRET = "s3cr3t-Zq9xWv7"

#: header values that carry the secret where a scheme, a token or a signature is expected
HEADERS = [
    f"{SECRET} extra",  # the secret where the scheme belongs
    SECRET,  # a pasted token without a scheme
    f"{SECRET}\tBearer",
    f"Basic {SECRET}",
    f"Bearer {SECRET}",
    f"Bearer {SECRET} extra",
    f"Metal-Admin {SECRET}",
    f"metal-admin {SECRET}",
    f"Metal-Nobody {SECRET}",
]


@pytest.mark.parametrize("authorization", HEADERS)
def test_a_401_repeats_nothing_of_the_header(secured: Client, authorization: str,
                                             caplog: pytest.LogCaptureFixture) -> None:
    headers = {"Authorization": authorization, "X-Date": "2026-01-02T03:04:05Z", "X-Data-Salt": "abc"}
    with caplog.at_level(logging.DEBUG):
        answers = [
            secured.get("/v1/network", headers=headers),
            secured.post("/v1/ip/allocate", json={"networkid": "n"}, headers=headers),  # the lean path
            secured.put("/v1/network", json={"id": "n"}, headers=headers),
        ]
        for response in answers:
            message = assert_error(response, 401)
            assert SECRET not in message
            assert SECRET.lower() not in message.lower()
            assert SECRET not in str(response.headers)
        rpc = secured.post("/api.v1.IpamService/ListPrefixes", json={}, headers=headers)
        assert_connect_error(rpc, 401, "unauthenticated")
        assert SECRET not in rpc.text
    assert SECRET not in caplog.text


def test_the_unknown_scheme_answer_says_what_to_send(secured: Client) -> None:
    assert_error(secured.get("/v1/network", headers={"Authorization": f"{SECRET} extra"}), 401,
                 "'Bearer <token>'", "Metal-Admin")
