"""Property: v1 and v2 are two views of one store. Any sequence of allocations and frees, each sent
through v1 or v2 at random, leaves the store as the same sequence sent through v1 alone would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient
from metalstack.admin.v2 import network_pb2 as admin_network_pb2
from metalstack.api.v2 import ip_pb2, network_pb2

from metalnet.api.app import create_app
from metalnet.api.settings import Settings
from metalnet.storage import MemoryStorage

P = "00000000-0000-0000-0000-000000000001"
PARTITION = "partition-one"
PROTO = {"content-type": "application/proto"}

# (operation, index into what it acts on, api): api "v1" or "v2"
Step = tuple[str, int, str]
steps = st.lists(st.tuples(st.sampled_from(["ip", "free-ip", "child", "free-child"]), st.integers(0, 5),
                           st.sampled_from(["v1", "v2"])), max_size=25)


@contextmanager
def app_client() -> Iterator[TestClient[Any]]:
    storage = MemoryStorage()
    with TestClient(create_app(storage, Settings(request_log=False))) as client:
        client.put("/v1/partition", json={"id": PARTITION}).raise_for_status()
        client.put("/v1/project", json={"meta": {"id": P}}).raise_for_status()
        v2(client, "/metalstack.admin.v2.NetworkService/Create", admin_network_pb2.NetworkServiceCreateRequest(
            id="super", type=network_pb2.NETWORK_TYPE_SUPER, partition=PARTITION,
            prefixes=["10.0.0.0/26", "2001:db8::/120"],
            default_child_prefix_length=network_pb2.ChildPrefixLength(ipv4=28, ipv6=124)))
        yield client
    storage.close()


def v2(client: TestClient[Any], path: str, request: Message) -> tuple[int, bytes]:
    response = client.post(path, content=request.SerializeToString(), headers=PROTO)
    return response.status_code, response.content


class World:
    """Runs steps against one app; children and IPs are named by the order they were made in."""

    def __init__(self, client: TestClient[Any]) -> None:
        self.client = client
        self.children: list[str] = []
        self.ips: list[str] = []

    def run(self, step: Step) -> bool:
        operation, index, api = step
        if operation == "child":
            return self._child(api)
        if operation == "ip":
            return bool(self.children) and self._ip(self.children[index % len(self.children)], api)
        if operation == "free-ip":
            return bool(self.ips) and self._free_ip(self.ips.pop(index % len(self.ips)), api)
        return bool(self.children) and self._free_child(self.children[index % len(self.children)], api)

    def _child(self, api: str) -> bool:
        if api == "v1":
            response = self.client.post("/v1/network/allocate", json={"partitionid": PARTITION, "projectid": P})
            ok = response.status_code == 201
            ident = response.json()["id"] if ok else ""
        else:
            status, body = v2(self.client, "/metalstack.api.v2.NetworkService/Create",
                              network_pb2.NetworkServiceCreateRequest(project=P, partition=PARTITION))
            ok = status == 200
            ident = network_pb2.NetworkServiceCreateResponse.FromString(body).network.id if ok else ""
        if ok:
            self.children.append(ident)
        return ok

    def _ip(self, network: str, api: str) -> bool:
        if api == "v1":
            response = self.client.post("/v1/ip/allocate", json={"networkid": network, "projectid": P})
            ok = response.status_code == 201
            address = response.json()["ipaddress"] if ok else ""
        else:
            status, body = v2(self.client, "/metalstack.api.v2.IPService/Create",
                              ip_pb2.IPServiceCreateRequest(network=network, project=P))
            ok = status == 200
            address = ip_pb2.IPServiceCreateResponse.FromString(body).ip.ip if ok else ""
        if ok:
            self.ips.append(address)
        return ok

    def _free_ip(self, address: str, api: str) -> bool:
        if api == "v1":
            return self.client.delete(f"/v1/ip/free/{address}").status_code == 200
        status, _ = v2(self.client, "/metalstack.api.v2.IPService/Delete",
                       ip_pb2.IPServiceDeleteRequest(ip=address, project=P))
        return status == 200

    def _free_child(self, ident: str, api: str) -> bool:
        if api == "v1":
            ok = self.client.delete(f"/v1/network/free/{ident}").status_code == 200
        else:
            status, _ = v2(self.client, "/metalstack.api.v2.NetworkService/Delete",
                           network_pb2.NetworkServiceDeleteRequest(id=ident, project=P))
            ok = status == 200
        if ok:
            self.children.remove(ident)
        return ok

    def state(self) -> tuple[list[tuple[str, ...]], list[tuple[str, int]]]:
        """Networks (by prefixes) and IPs (address, index of their child) as v1 lists them."""
        networks = self.client.get("/v1/network").json()
        order = {ident: number for number, ident in enumerate(self.children)}
        ips = self.client.get("/v1/ip").json()
        return (sorted(tuple(n["prefixes"]) for n in networks),
                sorted((ip["ipaddress"], order.get(ip["networkid"], -1)) for ip in ips))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_v1_and_v2_mixed_leave_the_store_as_v1_alone(sequence: list[Step]) -> None:
    with app_client() as mixed_client, app_client() as v1_client:
        mixed, v1_only = World(mixed_client), World(v1_client)
        for step in sequence:
            outcome = mixed.run(step)
            assert outcome == v1_only.run((step[0], step[1], "v1")), step
        assert mixed.state() == v1_only.state()
