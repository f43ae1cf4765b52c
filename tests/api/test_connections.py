"""Connection hygiene of a real server process: silent and slow clients, the connection cap, early 413, 408.

Everything on loopback with short timeouts, so the module runs in well under a minute.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.serving import metalnet_serve
from tests.servers.metalnet import Running

HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 1.5
SILENT = 1000
SLOWLORIS = 100


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    args = ["--header-timeout", str(HEADER_TIMEOUT), "--body-timeout", str(BODY_TIMEOUT),
            "--keepalive-timeout", "1", "--max-connections", "2000", "--max-body-bytes", "4096"]
    with metalnet_serve(tmp_path_factory.mktemp("conn"), *args) as running:
        yield running


def _port(server: Running) -> int:
    return int(server.url.rsplit(":", 1)[1])


def _connect(port: int, first: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    if first:
        sock.sendall(first)
    sock.setblocking(False)
    return sock


def _response(sock: socket.socket) -> tuple[bytes, bytes]:
    """One whole HTTP/1.1 response (head, body) from a blocking socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(head.lower().partition(b"content-length:")[2].split(b"\r\n")[0] or b"0")
    while len(body) < length:
        body += sock.recv(65536)
    return head, body


def _closed(sock: socket.socket) -> bool:
    try:
        return sock.recv(4096) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def test_silent_and_slowloris_connections_are_closed_and_others_served(server: Running) -> None:
    port = _port(server)
    opened_at = time.monotonic()
    silent = [_connect(port) for _ in range(SILENT)]
    slow = [_connect(port, b"GET /v1/health HTTP/1.1\r\nHost: x\r\n") for _ in range(SLOWLORIS)]
    selector = selectors.DefaultSelector()
    for sock in (*silent, *slow):
        selector.register(sock, selectors.EVENT_READ)
    open_socks = set(silent) | set(slow)
    closed_after: dict[socket.socket, float] = {}
    answer_times: list[float] = []
    deadline = opened_at + HEADER_TIMEOUT + 3.0
    next_probe = next_trickle = time.monotonic()
    with httpx.Client(timeout=5) as client:
        # until every attacking connection is gone, and past the moment they are closed en masse
        while (open_socks or time.monotonic() < opened_at + HEADER_TIMEOUT + 0.5) and time.monotonic() < deadline:
            now = time.monotonic()
            if now >= next_trickle:  # slowloris: one more header line now and then, never the end
                for sock in slow:
                    if sock in open_socks:
                        with contextlib.suppress(OSError):
                            sock.send(b"X-Slow: 1\r\n")
                next_trickle = now + 0.5
            if now >= next_probe:  # a normal client, on a fresh connection each time
                started = time.monotonic()
                response = client.get(f"{server.url}/v1/health", headers={"connection": "close"})
                answer_times.append(time.monotonic() - started)
                assert response.status_code == 200
                next_probe = time.monotonic() + 0.2
            for key, _ in selector.select(timeout=0.05):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if _closed(sock):
                    closed_after[sock] = time.monotonic() - opened_at
                    selector.unregister(sock)
                    open_socks.discard(sock)
    for sock in (*silent, *slow):
        sock.close()
    assert not open_socks, f"{len(open_socks)} connections still open {HEADER_TIMEOUT + 3:g} s after opening"
    assert max(closed_after[s] for s in silent) <= HEADER_TIMEOUT + 1.5
    assert max(closed_after[s] for s in slow) <= HEADER_TIMEOUT + 1.5
    assert len(answer_times) >= 8
    assert max(answer_times) < 1.0, sorted(answer_times)[-5:]


def test_an_idle_keep_alive_connection_is_closed(server: Running) -> None:
    sock = _connect(_port(server), b"GET /v1/version HTTP/1.1\r\nHost: x\r\n\r\n")
    sock.setblocking(True)
    sock.settimeout(5)
    started = time.monotonic()
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    assert received.startswith(b"HTTP/1.1 200")
    assert time.monotonic() - started < 1 + 1.0
    sock.close()


@pytest.mark.parametrize(
    ("request_line", "connect"),
    [("POST /v1/ip/allocate", False), ("PUT /v1/network", False), ("POST /v1/partition", False),
     ("DELETE /v1/ip/free/10.0.0.1", False), ("POST /v1/no-such-route", False),
     ("POST /api.v1.IpamService/AcquireIP", True)],
)
def test_a_declared_oversize_body_is_refused_before_it_is_read(server: Running, request_line: str,
                                                                connect: bool) -> None:
    sock = _connect(_port(server), f"{request_line} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                   "Content-Length: 10000000\r\n\r\n{\"a\": 1}".encode())
    sock.setblocking(True)
    sock.settimeout(2)
    started = time.monotonic()
    head, body = _response(sock)
    assert time.monotonic() - started < 1.0
    assert head.startswith(b"HTTP/1.1 413"), head[:100]
    assert (b'"code":"resource_exhausted"' if connect else b'"statuscode":413') in body
    sock.close()


def test_a_body_that_does_not_arrive_is_answered_408(server: Running) -> None:
    sock = _connect(_port(server), b"POST /v1/ip/allocate HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    sock.setblocking(True)
    sock.settimeout(BODY_TIMEOUT + 3)
    started = time.monotonic()
    head, body = _response(sock)
    assert head.startswith(b"HTTP/1.1 408"), head[:100]
    assert b'"statuscode":408' in body
    assert BODY_TIMEOUT - 0.2 < time.monotonic() - started < BODY_TIMEOUT + 1.5
    assert sock.recv(100) == b""  # and the connection is closed
    sock.close()


def test_beyond_the_connection_cap_requests_get_503_at_once(tmp_path: Path) -> None:
    with metalnet_serve(tmp_path, "--max-connections", "20", "--header-timeout", "5") as running:
        port = _port(running)
        idle = [_connect(port) for _ in range(25)]
        try:
            started = time.monotonic()
            response = httpx.get(f"{running.url}/v1/health", timeout=5)
            assert time.monotonic() - started < 1.0
            assert response.status_code == 503
            assert response.json()["statuscode"] == 503
            assert response.headers["retry-after"] == "1"
        finally:
            for sock in idle:
                sock.close()
        time.sleep(0.2)  # the server notices the closed sockets
        assert httpx.get(f"{running.url}/v1/health", timeout=5).status_code == 200
