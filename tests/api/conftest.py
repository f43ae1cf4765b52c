"""Fixtures of the API tests: apps over memory and SQLite storage, clients with and without credentials."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from litestar.testing import TestClient

from metalnet.api.app import create_app
from metalnet.api.settings import Settings
from metalnet.storage import Storage, open_storage

KEYS = {"view": "view-key", "edit": "edit-key", "admin": "admin-key"}
TOKENS = ["view:tok-view", "edit:tok-edit", "admin:tok-admin", "edit@p-bound:tok-bound"]


@pytest.fixture(params=[pytest.param("memory", marks=pytest.mark.memory),
                        pytest.param("sqlite", marks=pytest.mark.sqlite)])
def api_storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    """An empty store: memory, then SQLite (the backends the API runs on in tests; others in their suites)."""
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'api.db'}"
    store = open_storage(url)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def client(api_storage: Storage) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """A client of an app without credentials (authentication off, every call is admin)."""
    with TestClient(create_app(api_storage, Settings(request_log=False))) as test_client:
        yield test_client


@pytest.fixture
def secured(api_storage: Storage) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """A client of an app with HMAC keys and tokens configured; pass headers from :func:`hmac_headers`."""
    settings = Settings.build(KEYS, TOKENS, request_log=False)
    with TestClient(create_app(api_storage, settings)) as test_client:
        yield test_client


def hmac_headers(method: str, user: str = "Metal-Admin", key: str = KEYS["admin"],
                 at: datetime | None = None, salt: str = "abcdefghijklmnopqrstuvwx") -> dict[str, str]:
    """The headers metal-python's Driver sends for an HMAC-signed request."""
    date = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    signature = hmac.new(key.encode(), (date + method + salt).encode(), hashlib.sha256).hexdigest()
    return {"X-Date": date, "X-Data-Salt": salt, "Authorization": f"{user} {signature}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(response: object, status: int, *fragments: str) -> str:
    """Check a ``/v1`` error response: the status, exactly ``{statuscode, message}``, the message fragments."""
    assert response.status_code == status, response.text
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"statuscode", "message"}, body
    assert body["statuscode"] == status
    for fragment in fragments:
        assert fragment in body["message"], body["message"]
    return str(body["message"])


def assert_connect_error(response: object, status: int, code: str, *fragments: str) -> None:
    """Check an IPAM service error: the status, exactly ``{code, message}``, the code and message fragments."""
    assert response.status_code == status, response.text
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"code", "message"}, body
    assert body["code"] == code
    for fragment in fragments:
        assert fragment in body["message"], body["message"]


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PROJECT = "4b9b17c4-2d7c-4190-ae95-dda44e430fa6"
PARTITION = "mini-lab"
SUPER = "tenant-super-network-mini-lab"


def example_documents() -> tuple[dict[str, object], dict[str, object]]:
    """(the tenant super network of tenant-super.yaml, the expected child of expected-allocation.yaml)."""
    import yaml

    (super_network,) = yaml.safe_load_all((EXAMPLES / "tenant-super.yaml").read_text())
    (expected,) = yaml.safe_load_all((EXAMPLES / "expected-allocation.yaml").read_text())
    return super_network, expected


def setup_mini_lab(client: TestClient, headers: dict[str, str] | None = None) -> None:  # type: ignore[type-arg]
    """Partition mini-lab, the example project and the dual-stack tenant super network."""
    super_network, _ = example_documents()
    assert client.put("/v1/partition", json={"id": PARTITION, "name": "mini lab"}, headers=headers).status_code == 201
    project = client.put("/v1/project", json={"meta": {"id": PROJECT}, "name": "example"}, headers=headers)
    assert project.status_code == 201, project.text
    created = client.put("/v1/network", json=super_network, headers=headers)
    assert created.status_code == 201, created.text


@pytest.fixture
def mini_lab(client: TestClient) -> TestClient:  # type: ignore[type-arg]
    setup_mini_lab(client)
    return client
