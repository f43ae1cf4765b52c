"""The stream, retention and metrics on a real server: pruning in the background, the gap message for a
reader that fell behind, filters, project-bound tokens and the history's metrics."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import msgspec
import pytest

from cli.commands.events import sse_messages
from tests.cli.server import cli_command, cli_env
from tests.servers.metalnet import Running, free_port, server_process

ADMIN = {"Authorization": "Bearer tok-admin"}
BOUND = {"Authorization": "Bearer tok-bound"}
KEEP = 5


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    workdir: Path = tmp_path_factory.mktemp("stream")
    port = free_port()
    command = cli_command("serve", "--port", str(port), "--db", f"sqlite:///{workdir / 'stream.db'}",
                          "--api-token", "admin:tok-admin", "--api-token", "edit@bound:tok-bound")
    env = cli_env(METALNET_HISTORY_MAX_COUNT=str(KEEP), METALNET_HISTORY_PRUNE_INTERVAL="0.1")
    with server_process(command, port=port, cwd=workdir, env=env) as running:
        yield running


def make_projects(server: Running, *names: str) -> None:
    for name in names:
        made = httpx.put(f"{server.url}/v1/project", json={"meta": {"id": name}}, headers=ADMIN)
        assert made.status_code == 201, made.text


def page(server: Running, headers: dict[str, str] = ADMIN, **query: str) -> dict[str, object]:
    response = httpx.get(f"{server.url}/v1/events", params=query, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


def read_stream(server: Running, count: int, headers: dict[str, str], **query: str) -> list[tuple[str, str, str]]:
    """The first ``count`` messages of a stream (bounded: a read timeout ends a silent stream)."""
    found: list[tuple[str, str, str]] = []
    with httpx.stream("GET", f"{server.url}/v1/events/stream", params=query, headers=headers,
                      timeout=httpx.Timeout(5.0, read=5.0)) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for message in sse_messages(response.iter_lines()):
            found.append(message)
            if len(found) >= count:
                break
    return found


def test_retention_prunes_in_the_background_and_a_late_reader_learns_of_the_gap(server: Running) -> None:
    make_projects(server, *(f"r{n}" for n in range(KEEP + 3)))
    # the pruner runs while the projects are made: wait until it has caught up with the last of them
    deadline = time.monotonic() + 20
    while page(server)["oldest"] != KEEP + 3 - KEEP + 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    first = page(server)
    assert first["newest"] == KEEP + 3
    assert first["oldest"] == KEEP + 3 - KEEP + 1
    messages = read_stream(server, 1 + KEEP, {**ADMIN, "Last-Event-ID": "1"})
    kind, _, data = messages[0]
    assert kind == "gap"
    assert msgspec.json.decode(data) == {"after": 1, "oldest": 4}
    assert [int(ident) for _, ident, _ in messages[1:]] == list(range(4, KEEP + 4))


def test_stream_delivers_new_events_with_filters_and_project_binding(server: Running) -> None:
    newest = int(page(server)["newest"])  # type: ignore[call-overload]
    got: dict[str, list[tuple[str, str, str]]] = {}

    def follow(name: str, headers: dict[str, str], **query: str) -> threading.Thread:
        def run() -> None:
            got[name] = read_stream(server, 1, {**headers, "Last-Event-ID": str(newest)}, **query)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    followers = [follow("bound", BOUND), follow("network", ADMIN, kind="network"), follow("all", ADMIN)]
    time.sleep(0.3)
    metrics = httpx.get(f"{server.url}/metrics").text
    assert "metalnet_history_streams 3.0" in metrics
    assert f"metalnet_history_newest_seq {float(newest)}" in metrics
    make_projects(server, "other")  # seen by "all" only
    made = httpx.put(f"{server.url}/v1/project", json={"meta": {"id": "bound"}}, headers=ADMIN)
    assert made.status_code == 201
    network = httpx.put(f"{server.url}/v1/network", json={"id": "n1", "prefixes": ["10.1.0.0/24"]}, headers=ADMIN)
    assert network.status_code == 201, network.text
    for thread in followers:
        thread.join(10)
    assert [msgspec.json.decode(data)["id"] for _, _, data in got["all"]] == ["other"]
    assert [msgspec.json.decode(data)["id"] for _, _, data in got["bound"]] == ["bound"]
    assert [msgspec.json.decode(data)["id"] for _, _, data in got["network"]] == ["n1"]
    forbidden = httpx.get(f"{server.url}/v1/events/stream", params={"project": "other"}, headers=BOUND)
    assert forbidden.status_code == 403
    assert httpx.get(f"{server.url}/v1/events/stream").status_code == 401
    deadline = time.monotonic() + 5
    while "metalnet_history_streams 0.0" not in httpx.get(f"{server.url}/metrics").text:
        assert time.monotonic() < deadline, "closed streams are still counted"
        time.sleep(0.1)
