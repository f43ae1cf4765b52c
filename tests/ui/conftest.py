"""Fixtures of the UI tests: a real ``metalnet serve`` on SQLite holding the README walkthrough, a browser."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from selenium import webdriver

from metalnet.network import IPAllocate, NetworkCreate, NetworkService, ProjectCreate
from metalnet.storage import open_storage
from tests.cli.server import REPO, START_TIMEOUT, Server, cli_command, cli_env
from tests.servers.metalnet import free_port, server_process
from tests.ui.browser import chromium, require_browser

PARTITION = "mini-lab"
PROJECT = "4b9b17c4-2d7c-4190-ae95-dda44e430fa6"
SUPER = "tenant-super-network-mini-lab"
#: a project-less network with enough IPs that they must page
BULK = "bulk-addresses"
BULK_PROJECT = "bulk-project"
BULK_IPS = 10_000
ADMIN_TOKEN = "ui-admin-secret"
PROJECT_TOKEN = "ui-project-secret"
OTHER_TOKEN = "ui-other-secret"
OTHER_PROJECT = "other-project"


@dataclass(frozen=True)
class Lab:
    """A server with the walkthrough's networks: ``child`` is the allocated child network's id."""

    server: Server
    child: str
    headers: dict[str, str]

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(method, f"{self.server.url}{path}", headers=self.headers, timeout=30, **kwargs)
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()


def _seed_bulk(db: Path) -> None:
    """10,000 IPs in one network, written through the library before the server opens the file (fast)."""
    storage = open_storage(f"sqlite:///{db}")
    try:
        service = NetworkService(storage)
        service.create_project(ProjectCreate(id=BULK_PROJECT, name="bulk"))
        service.create_network(NetworkCreate(id=BULK, name="bulk addresses", prefixes=["100.64.0.0/18"],
                                             projectid=BULK_PROJECT))
        for _ in range(BULK_IPS):
            service.allocate_ip(IPAllocate(networkid=BULK, projectid=BULK_PROJECT))
    finally:
        storage.close()


def _walkthrough(lab: Lab) -> str:
    """The README walkthrough through the REST API: partition, project, super network, child, two IPs."""
    lab.api("PUT", "/v1/partition", json={"id": PARTITION, "name": "Mini Lab"})
    lab.api("PUT", "/v1/project", json={"meta": {"id": PROJECT}, "name": "my-project"})
    lab.api("PUT", "/v1/network", json=yaml.safe_load((REPO / "examples" / "tenant-super.yaml").read_text()))
    child = lab.api("POST", "/v1/network/allocate",
                    json={"partitionid": PARTITION, "projectid": PROJECT, "name": "my-node-network"})
    lab.api("POST", "/v1/ip/allocate", json={"networkid": child["id"], "projectid": PROJECT})
    lab.api("POST", "/v1/ip/allocate", json={"networkid": child["id"], "projectid": PROJECT,
                                             "addressfamily": "IPv6"})
    return str(child["id"])


def _start(workdir: Path, extra: tuple[str, ...], headers: dict[str, str], *, bulk: bool = True) -> Iterator[Lab]:
    port = free_port()
    db = workdir / f"metalnet-{port}.db"
    if bulk:
        _seed_bulk(db)
    command = cli_command("serve", "--port", str(port), "--db", f"sqlite:///{db}", *extra)
    with server_process(command, port=port, cwd=workdir, env=cli_env(), startup_seconds=START_TIMEOUT) as server:
        lab = Lab(server, "", headers)
        yield Lab(server, _walkthrough(lab), headers)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A server without credentials (loopback): the UI opens directly."""
    require_browser()
    yield from _start(tmp_path_factory.mktemp("ui-open"), (), {})


@pytest.fixture(scope="session")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A server with bearer tokens: admin, view bound to the walkthrough's project, view bound to another."""
    require_browser()
    tokens = (f"admin:{ADMIN_TOKEN}", f"view@{PROJECT}:{PROJECT_TOKEN}", f"view@{OTHER_PROJECT}:{OTHER_TOKEN}")
    extra = tuple(arg for token in tokens for arg in ("--api-token", token))
    yield from _start(tmp_path_factory.mktemp("ui-secured"), extra, {"Authorization": f"Bearer {ADMIN_TOKEN}"})


def _populate(lab: Lab) -> None:
    """More of everything, so that the screenshots show a site in use: children with IPs, a second
    partition, a network near its limit (amber) and a full one (red)."""
    for i, count in enumerate((40, 180, 7, 900)):
        child = lab.api("POST", "/v1/network/allocate",
                        json={"partitionid": PARTITION, "projectid": PROJECT, "name": f"machines-{i}"})
        for _ in range(count // 30):  # a few real allocations; the rest need not be drawn one by one
            lab.api("POST", "/v1/ip/allocate", json={"networkid": child["id"], "projectid": PROJECT})
    lab.api("PUT", "/v1/partition", json={"id": "fra-equ01", "name": "Frankfurt"})
    lab.api("PUT", "/v1/project", json={"meta": {"id": "storage-team"}, "name": "storage"})
    lab.api("PUT", "/v1/network", json={"id": "tenant-super-fra-equ01", "name": "Project Super Network",
                                        "partitionid": "fra-equ01", "prefixes": ["10.128.0.0/16"],
                                        "defaultchildprefixlength": {"IPv4": 24}, "privatesuper": True})
    for i in range(6):
        lab.api("POST", "/v1/network/allocate",
                json={"partitionid": "fra-equ01", "projectid": "storage-team", "name": f"storage-{i}"})
    lab.api("PUT", "/v1/network", json={"id": "internet", "name": "Internet", "prefixes": ["185.1.2.0/26"],
                                        "destinationprefixes": ["0.0.0.0/0"], "nat": True})
    lab.api("PUT", "/v1/network", json={"id": "mgmt", "name": "management", "prefixes": ["198.18.0.0/28"],
                                        "projectid": "storage-team"})
    for network, count in (("internet", 52), ("mgmt", 14)):
        for _ in range(count):
            lab.api("POST", "/v1/ip/allocate", json={"networkid": network, "projectid": "storage-team"})
    # go-ipam's own prefixes, in the IPAM service's default namespace
    lab.api("POST", "/api.v1.IpamService/CreatePrefix", json={"cidr": "192.168.0.0/16"})
    for length in (20, 22, 24, 24):
        lab.api("POST", "/api.v1.IpamService/AcquireChildPrefix", json={"cidr": "192.168.0.0/16", "length": length})


@pytest.fixture(scope="session")
def showcase(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The walkthrough plus :func:`_populate`: what the README's screenshots show."""
    require_browser()
    for lab in _start(tmp_path_factory.mktemp("ui-showcase"), (), {}, bulk=False):
        _populate(lab)
        yield lab


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    require_browser()
    with chromium(tmp_path_factory.mktemp("chromium") / "profile") as driver:
        yield driver


@pytest.fixture
def fresh_browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """A browser of its own (no cookies of other tests), for the login tests."""
    require_browser()
    with chromium(tmp_path / "profile") as driver:
        yield driver
