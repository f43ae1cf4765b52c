"""``serve()`` configuration checks, ``python -m metalnet.api``, and several workers on one SQLite file."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from metalnet.api.__main__ import main
from metalnet.api.server import ServeConfigError, default_db_url, is_loopback, serve
from metalnet.api.settings import Role, Settings
from tests.api.conftest import PARTITION, PROJECT, bearer, example_documents
from tests.api.live import REPO, live_server

PUBLIC = "0.0.0.0"  # noqa: S104 - the address the server must refuse without credentials


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"host": PUBLIC}, f"refusing to listen on {PUBLIC}"),
        ({"host": "192.0.2.10"}, "authentication is off"),
        ({"workers": 0}, "--workers"),
        ({"workers": 2, "db_url": "memory://"}, "memory://"),
        ({"tokens": ["nonsense"]}, "ROLE[@PROJECT]:TOKEN"),
        ({"hmac_keys": {"root": "k"}}, "unknown role"),
    ],
)
def test_serve_refuses_bad_configuration(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(ServeConfigError) as caught:
        serve(**kwargs)  # type: ignore[arg-type]
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


def test_loopback_detection_and_default_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback(PUBLIC)
    assert not is_loopback("example.org")
    monkeypatch.chdir(tmp_path)
    assert default_db_url() == f"sqlite:///{tmp_path / 'metalnet.db'}"


@pytest.mark.parametrize("variable", ["METALNET_PORT", "METALNET_WORKERS"])
def test_module_entry_point_refuses_a_bad_number_in_the_environment(
    variable: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(variable, "eighty")
    with pytest.raises(SystemExit) as caught:
        main([])
    assert caught.value.code == 2
    assert "invalid int value: 'eighty'" in capsys.readouterr().err


def test_settings_from_env() -> None:
    settings = Settings.from_env({"METALNET_HMAC_EDIT_KEY": "e", "METALNET_TOKENS": "view:a, admin@p:b",
                                  "METALNET_MAX_BODY_BYTES": "1000"})
    assert settings.hmac_keys == {Role.EDIT: "e"}
    assert [(t.role, t.project) for t in settings.tokens] == [(Role.VIEW, None), (Role.ADMIN, "p")]
    assert settings.max_body_bytes == 1000


def test_module_entry_point_refuses_public_host_without_auth(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "metalnet.api", "--host", PUBLIC, "--port", "1"],
        cwd=tmp_path, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
        timeout=60, check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: refusing to listen on {PUBLIC}")
    assert "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.sqlite
def test_two_workers_share_one_database(tmp_path: Path) -> None:
    args = ["--workers", "2", "--db", f"sqlite:///{tmp_path / 'shared.db'}", "--token", "admin:t"]
    with live_server(args, cwd=tmp_path, startup_seconds=40) as (url, _, _):
        auth = bearer("t")
        httpx.put(f"{url}/v1/partition", json={"id": PARTITION}, headers=auth).raise_for_status()
        httpx.put(f"{url}/v1/project", json={"meta": {"id": PROJECT}}, headers=auth).raise_for_status()
        super_network, _ = example_documents()
        httpx.put(f"{url}/v1/network", json=super_network, headers=auth).raise_for_status()
        child = httpx.post(f"{url}/v1/network/allocate", json={"partitionid": PARTITION, "projectid": PROJECT},
                           headers=auth).json()["id"]

        def allocate(_: int) -> str:
            # a fresh connection per call, so the kernel spreads the calls over both workers
            response = httpx.post(f"{url}/v1/ip/allocate", json={"networkid": child, "projectid": PROJECT},
                                  headers=auth, timeout=30)
            assert response.status_code == 201, response.text
            return str(response.json()["ipaddress"])

        with ThreadPoolExecutor(8) as pool:
            addresses = list(pool.map(allocate, range(80)))
        # whichever worker answers a scrape (a fresh connection each), it counts the whole server's work
        for _ in range(6):
            metrics = httpx.get(f"{url}/metrics", headers=auth).text
            assert 'metalnet_allocations_total{family="IPv4",kind="ip"} 80.0' in metrics, metrics
    assert len(set(addresses)) == 80
    assert sorted(addresses, key=lambda a: int(a.rsplit(".", 1)[1])) == [f"10.0.0.{i}" for i in range(1, 81)]


def test_module_entry_point_reports_a_bad_database_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "metalnet.api", "--port", "1", "--db", "nosuch://x"],
        cwd=tmp_path, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
        timeout=60, check=False,
    )
    assert result.returncode == 2
    assert "error: unsupported storage URL 'nosuch://x'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.sqlite
def test_sigterm_finishes_the_request_in_flight(tmp_path: Path) -> None:
    with live_server(["--token", "admin:t"], cwd=tmp_path) as (url, log, _):
        host, port = url.removeprefix("http://").split(":")
        body = b'{"id": "p-graceful"}'
        with socket.create_connection((host, int(port))) as sock:
            head = (f"PUT /v1/partition HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer t\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
            sock.sendall(head + body[:5])  # the request has begun, its body is not complete yet
            _wait_until(lambda: _unread_by_server(sock) == 0, "the server read the request's beginning")
            pid = _server_pid(log)
            os.kill(pid, signal.SIGTERM)
            _wait_until(lambda: "Shutting down" in log.read_text(), "the server began to shut down")
            sock.sendall(body[5:])
            response = sock.recv(65536)
        assert response.startswith(b"HTTP/1.1 201"), response
        _wait_until(lambda: "Finished server process" in log.read_text(), "the server finished", seconds=20)


def _wait_until(event: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    """Return as soon as ``event()`` holds (looked at every few milliseconds); fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not event():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.005)


def _unread_by_server(sock: socket.socket) -> int:
    """Bytes we sent that wait in the server side's receive queue (``/proc/net/tcp``), unread by the server."""
    client_host, client_port = sock.getsockname()[:2]
    server_port = sock.getpeername()[1]
    local, remote = f":{server_port:04X}", f":{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(local) and fields[2].endswith(remote):
            return int(fields[4].split(":")[1], 16)  # tx_queue:rx_queue
    raise AssertionError(f"no server socket for {client_host}:{client_port} in /proc/net/tcp")


def _server_pid(log: Path) -> int:
    """uvicorn logs ``Started server process [PID]``."""
    match = re.search(r"Started server process \[(\d+)\]", log.read_text())
    assert match, log.read_text()
    return int(match.group(1))
