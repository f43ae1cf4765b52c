"""metal-stack-api's ``Client`` wrapper, which speaks only HTTP/2 (cleartext, prior knowledge).

``metalnet serve`` answers cleartext HTTP/2 (prior knowledge) and HTTP/1.1 on the same port: these tests run
metal-stack's own clients over HTTP/2 against a real server process.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pyqwest
import pytest
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from connectrpc.protocol import ProtocolType
from metalstack.admin.v2 import network_pb2 as admin_network_pb2
from metalstack.api.v2 import health_pb2, ip_pb2, network_pb2
from metalstack.api.v2.network_connect import NetworkServiceClientSync
from metalstack.client.client import Client

from tests.servers.metalnet import Running
from tests.v2.support import PARTITION, P, bearer, metalnet_server, refusal


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with metalnet_server(tmp_path_factory.mktemp("h2")) as running:
        admin = bearer("admin")
        httpx.put(f"{running.url}/v1/partition", json={"id": PARTITION}, headers=admin).raise_for_status()
        httpx.put(f"{running.url}/v1/project", json={"meta": {"id": P}}, headers=admin).raise_for_status()
        yield running


def test_client_wrapper_over_http2(server: Running) -> None:
    client = Client(server.url)
    api, admin = client.apiv2(), client.adminv2()
    health = api.health().get(health_pb2.HealthServiceGetRequest()).health
    assert health.services
    admin.network().create(admin_network_pb2.NetworkServiceCreateRequest(
        id="h2-super", type=network_pb2.NETWORK_TYPE_SUPER, partition=PARTITION, prefixes=["10.0.0.0/16"],
        default_child_prefix_length=network_pb2.ChildPrefixLength(ipv4=24)), headers=bearer("admin"))
    child = api.network().create(
        network_pb2.NetworkServiceCreateRequest(project=P, partition=PARTITION), headers=bearer("edit-p")).network
    assert list(child.prefixes) == ["10.0.0.0/24"]
    ip = api.ip().create(ip_pb2.IPServiceCreateRequest(network=child.id, project=P), headers=bearer("edit-p")).ip
    assert ip.ip == "10.0.0.1"
    listed = api.ip().list(ip_pb2.IPServiceListRequest(project=P), headers=bearer("view-p")).ips
    assert [found.ip for found in listed] == ["10.0.0.1"]
    denied = refusal(lambda: api.ip().list(ip_pb2.IPServiceListRequest(project=P)))
    assert isinstance(denied, ConnectError)
    assert denied.code == Code.PERMISSION_DENIED
    api.ip().delete(ip_pb2.IPServiceDeleteRequest(ip=ip.ip, project=P), headers=bearer("edit-p"))
    api.network().delete(network_pb2.NetworkServiceDeleteRequest(id=child.id, project=P), headers=bearer("edit-p"))


@pytest.mark.parametrize("protocol", [ProtocolType.GRPC, ProtocolType.GRPC_WEB])
def test_grpc_and_grpc_web(server: Running, protocol: ProtocolType) -> None:
    """The Connect runtime also speaks gRPC (trailers, HTTP/2) and gRPC-Web: metalnet gets both for free."""
    transport = pyqwest.SyncHTTPTransport(http_version=pyqwest.HTTPVersion.HTTP2)
    with NetworkServiceClientSync(server.url, protocol=protocol, http_client=pyqwest.SyncClient(transport)) as client:
        listed = client.list(network_pb2.NetworkServiceListRequest(project=P), headers=bearer("view-p"))
        assert isinstance(listed, network_pb2.NetworkServiceListResponse)
        denied = refusal(lambda: client.list(network_pb2.NetworkServiceListRequest(project=P)))
        assert denied.code == Code.PERMISSION_DENIED
