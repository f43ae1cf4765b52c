"""Fault injection: the server dies (SIGKILL) after the commit and before the answer; the retry with the same
key, to a restarted server on the same store, gets the address that was committed — and no second one."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import PARTITION, PROJECT
from tests.cli.server import cli_command, cli_env
from tests.servers.metalnet import free_port, server_process


def _serve(module: list[str], port: int, db: Path) -> list[str]:
    return [*module, "serve", "--port", str(port), "--db", f"sqlite:///{db}"]


@pytest.mark.sqlite
def test_retry_after_a_crash_between_commit_and_answer_gets_the_same_address(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    port = free_port()
    dying = _serve([sys.executable, "-m", "tests.api.kill_after_commit"], port, db)
    body_of = {"partitionid": PARTITION, "projectid": PROJECT}
    with server_process(dying, port=port, cwd=tmp_path, env=cli_env()) as server, \
            httpx.Client(base_url=server.url, timeout=10) as http:
        assert http.put("/v1/partition", json={"id": PARTITION}).status_code == 201
        assert http.put("/v1/project", json={"meta": {"id": PROJECT}}).status_code == 201
        assert http.put("/v1/network", json={"id": "super", "partitionid": PARTITION, "prefixes": ["10.0.0.0/16"],
                                              "privatesuper": True,
                                              "defaultchildprefixlength": {"IPv4": 24}}).status_code == 201
        child = http.post("/v1/network/allocate", json=body_of).json()["id"]
        request = {"networkid": child, "projectid": PROJECT}
        with pytest.raises(httpx.TransportError):  # the process died before answering
            http.post("/v1/ip/allocate", json=request, headers={"Idempotency-Key": "crash-1"})
    port = free_port()
    with server_process(cli_command(*_serve([], port, db)), port=port, cwd=tmp_path, env=cli_env()) as server, \
            httpx.Client(base_url=server.url, timeout=10) as http:
        retried = http.post("/v1/ip/allocate", json=request, headers={"Idempotency-Key": "crash-1"})
        assert retried.status_code == 201, retried.text
        listed = http.post("/v1/ip/find", json={"networkid": child}).json()
        assert [ip["ipaddress"] for ip in listed] == [retried.json()["ipaddress"]] == ["10.0.0.1"]
        again = http.post("/v1/ip/allocate", json=request, headers={"Idempotency-Key": "crash-1"})
        assert again.content == retried.content
