"""Fixtures for the CLI tests: an isolated environment and a recording fake API (``httpx.MockTransport``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from cli.main import cli
from cli.state import CliState

ENV_VARS = ("METALNET_URL", "METALNET_TOKEN", "METALNET_HMAC", "METALNET_HMAC_USER", "METALNET_CONTEXT",
            "METALNET_CONFIG", "METALNET_DEBUG")


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No METALNET_* variable and no real ~/.metalnet leak into a test; returns the fake home."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


@dataclass
class FakeApi:
    """Answers requests from a table ``(METHOD, path) -> (status, json)`` and records every request."""

    answers: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def answer(self, method: str, path: str, body: Any, status: int = 200) -> None:
        """Answer ``method path`` with ``status`` and the JSON ``body``."""
        self.answers[(method, path)] = (status, body)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = (request.method, request.url.path)
        if key not in self.answers:
            return httpx.Response(404, json={"statuscode": 404, "message": f"no route {key}"})
        status, body = self.answers[key]
        return httpx.Response(status, json=body)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def last_json(self) -> Any:
        return json.loads(self.last.content)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url="http://fake.test", transport=httpx.MockTransport(self.handle))


@pytest.fixture
def fake_api() -> FakeApi:
    return FakeApi()


Invoke = Callable[..., Result]


@pytest.fixture
def invoke(fake_api: FakeApi) -> Iterator[Invoke]:
    """Run ``metalnet ARGS`` against the fake API; stdout and stderr are kept apart."""
    clients: list[httpx.Client] = []

    def run(*args: str, input: str | bytes | None = None) -> Result:
        client = fake_api.client()
        clients.append(client)
        return CliRunner().invoke(cli, list(args), obj=CliState(http=client), input=input)

    yield run
    for client in clients:
        client.close()
