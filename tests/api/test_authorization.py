"""The authorization matrix: every role × every mutating route (``/v1`` and the IPAM service) × own/other project.

A caller without credentials gets 401; one whose role is too low 403; a token bound to a project gets 403 for
anything of another project — networks without a parent included — and that 403 names nothing of it (not the
other project, not the resource, not an address in use there). Everyone else gets the route's usual answer,
a rule's refusal included (which then may name what the caller is entitled to see).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from litestar.testing import TestClient

from metalnet.api.app import create_app
from metalnet.api.settings import Role, Settings
from metalnet.ipam import Ipamer
from metalnet.network import (
    IPAllocate,
    NetworkAllocate,
    NetworkCreate,
    NetworkService,
    PartitionCreate,
    ProjectCreate,
)
from metalnet.storage import MemoryStorage, Storage
from tests.api.conftest import bearer

Client = TestClient  # type: ignore[type-arg]
P, Q = "proj-a", "proj-b"
PARTITION = "part"
#: role name -> (role, bound project); "none" sends no credentials
ROLES: dict[str, tuple[Role, str | None] | None] = {
    "admin": (Role.ADMIN, None), "edit": (Role.EDIT, None), "view": (Role.VIEW, None),
    f"admin@{P}": (Role.ADMIN, P), f"edit@{P}": (Role.EDIT, P), f"view@{P}": (Role.VIEW, P), "none": None,
}
TOKENS = [f"{name}:tok-{name}" for name in ROLES if name != "none"]


@dataclass
class Call:
    """One request of the matrix and what an entitled caller gets from it."""

    method: str
    path: str
    body: Any
    needs: Role
    answer: int
    #: what a 403 for another project's resource must not name
    secrets: list[str] = field(default_factory=list)


@dataclass
class World:
    storage: Storage
    service: NetworkService
    ipam: Ipamer
    serial: Iterator[int] = field(default_factory=itertools.count)

    def n(self) -> int:
        return next(self.serial)

    def parentless(self, owner: str) -> str:
        """A new network of ``owner`` without a parent (like ``ext1``)."""
        n = self.n()
        ident = f"ext-{n}"
        self.service.create_network(NetworkCreate(id=ident, projectid=owner, prefixes=[_net(n)]))
        return ident

    def child(self, owner: str) -> str:
        return self.service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=owner)).id

    def ip(self, owner: str, **extra: Any) -> str:
        network = self.parentless(owner)
        return self.service.allocate_ip(IPAllocate(networkid=network, projectid=owner, **extra)).ipaddress


def _net(n: int) -> str:
    return f"100.{64 + n // 256}.{n % 256}.0/24"


def _prefix(n: int) -> str:
    return f"172.{16 + n // 256}.{n % 256}.0/24"


#: a project-scoped route: (world, owner of the resource, project the request names) -> the call
Scoped = Callable[[World, str, str], Call]


def _create_network(w: World, owner: str, requester: str) -> Call:
    n = w.n()
    return Call("PUT", "/v1/network", {"id": f"new-{n}", "projectid": owner, "prefixes": [_net(n)]}, Role.ADMIN, 201)


def _update_network(w: World, owner: str, requester: str) -> Call:
    ident = w.parentless(owner)
    return Call("POST", "/v1/network", {"id": ident, "name": "renamed"}, Role.ADMIN, 200, [ident])


def _delete_network(w: World, owner: str, requester: str) -> Call:
    ident = w.parentless(owner)
    return Call("DELETE", f"/v1/network/{ident}", None, Role.ADMIN, 200, [ident])


def _allocate_network(w: World, owner: str, requester: str) -> Call:
    return Call("POST", "/v1/network/allocate", {"partitionid": PARTITION, "projectid": owner}, Role.EDIT, 201)


def _free_network(method: str) -> Scoped:
    def call(w: World, owner: str, requester: str) -> Call:
        child = w.child(owner)
        return Call(method, f"/v1/network/free/{child}", None, Role.EDIT, 200, [child])

    return call


def _free_network_in_use(w: World, owner: str, requester: str) -> Call:
    child = w.child(owner)
    used = w.service.allocate_ip(IPAllocate(networkid=child, projectid=owner)).ipaddress
    return Call("DELETE", f"/v1/network/free/{child}", None, Role.EDIT, 422, [child, used])


def _allocate_ip(network: Callable[[World, str], str]) -> Scoped:
    def call(w: World, owner: str, requester: str) -> Call:
        ident = network(w, owner)
        return Call("POST", "/v1/ip/allocate", {"networkid": ident, "projectid": requester}, Role.EDIT, 201, [ident])

    return call


def _allocate_specific(w: World, owner: str, requester: str) -> Call:
    ident = w.parentless(owner)
    address = w.service.get_network(ident).prefixes[0].replace(".0/24", ".9")
    return Call("POST", f"/v1/ip/allocate/{address}", {"networkid": ident, "projectid": requester}, Role.EDIT, 201,
                [ident])


def _specific_in_use(w: World, owner: str, requester: str) -> Call:
    ident = w.parentless(owner)
    taken = w.service.allocate_ip(IPAllocate(networkid=ident, projectid=owner)).ipaddress
    return Call("POST", f"/v1/ip/allocate/{taken}", {"networkid": ident, "projectid": requester}, Role.EDIT, 409,
                [ident, taken])


def _update_ip(w: World, owner: str, requester: str) -> Call:
    address = w.ip(owner)
    return Call("POST", "/v1/ip", {"ipaddress": address, "name": "renamed"}, Role.EDIT, 200, [address])


def _free_ip(w: World, owner: str, requester: str) -> Call:
    address = w.ip(owner)
    return Call("DELETE", f"/v1/ip/free/{address}", None, Role.EDIT, 200, [address])


def _free_machine_ip(w: World, owner: str, requester: str) -> Call:
    address = w.ip(owner, machineid="m1")
    return Call("DELETE", f"/v1/ip/free/{address}", None, Role.EDIT, 400, [address])


SCOPED: dict[str, Scoped] = {
    "createNetwork": _create_network,
    "updateNetwork(parentless)": _update_network,
    "deleteNetwork(parentless)": _delete_network,
    "allocateNetwork": _allocate_network,
    "freeNetwork": _free_network("DELETE"),
    "freeNetworkDeprecated": _free_network("POST"),
    "freeNetwork(ip in use)": _free_network_in_use,
    "allocateIP(parentless)": _allocate_ip(World.parentless),
    "allocateIP(child)": _allocate_ip(World.child),
    "allocateSpecificIP(parentless)": _allocate_specific,
    "allocateSpecificIP(in use)": _specific_in_use,
    "updateIP": _update_ip,
    "freeIP": _free_ip,
    "freeIP(machine scope)": _free_machine_ip,
}

#: a route of resources that belong to no project: world -> the call (only unbound admins may use it)
Global = Callable[[World], Call]


def _rpc(name: str, body: dict[str, Any]) -> Call:
    return Call("POST", f"/api.v1.IpamService/{name}", body, Role.ADMIN, 200)


def _with_prefix(w: World) -> str:
    return w.ipam.new_prefix(_prefix(w.n())).cidr


def _with_child(w: World) -> str:
    return w.ipam.acquire_child_prefix(_with_prefix(w), 28).cidr


def _release_ip(w: World) -> Call:
    prefix = _with_prefix(w)
    return _rpc("ReleaseIP", {"prefixCidr": prefix, "ip": str(w.ipam.acquire_ip(prefix))})


def _with_namespace(w: World) -> str:
    name = f"ns-{w.n()}"
    w.ipam.create_namespace(name)
    return name


def _load(w: World) -> Call:
    source = Ipamer()
    source.new_prefix("192.168.0.0/24")
    return _rpc("Load", {"namespace": _with_namespace(w), "dump": source.dump()})


def _partition(w: World) -> str:
    ident = f"part-{w.n()}"
    w.service.create_partition(PartitionCreate(id=ident))
    return ident


def _project(w: World) -> str:
    ident = f"project-{w.n()}"
    w.service.create_project(ProjectCreate(id=ident))
    return ident


GLOBAL: dict[str, Global] = {
    "createPartition": lambda w: Call("PUT", "/v1/partition", {"id": f"new-part-{w.n()}"}, Role.ADMIN, 201),
    "updatePartition": lambda w: Call("POST", "/v1/partition", {"id": _partition(w), "name": "x"}, Role.ADMIN, 200),
    "deletePartition": lambda w: Call("DELETE", f"/v1/partition/{_partition(w)}", None, Role.ADMIN, 200),
    "createProject": lambda w: Call("PUT", "/v1/project", {"meta": {"id": f"new-project-{w.n()}"}}, Role.ADMIN, 201),
    "updateProject": lambda w: Call("POST", "/v1/project", {"meta": {"id": _project(w)}, "name": "x"}, Role.ADMIN,
                                    200),
    "deleteProject": lambda w: Call("DELETE", f"/v1/project/{_project(w)}", None, Role.ADMIN, 200),
    "CreatePrefix": lambda w: _rpc("CreatePrefix", {"cidr": _prefix(w.n())}),
    "DeletePrefix": lambda w: _rpc("DeletePrefix", {"cidr": _with_prefix(w)}),
    "AcquireChildPrefix": lambda w: _rpc("AcquireChildPrefix", {"cidr": _with_prefix(w), "length": 28}),
    "ReleaseChildPrefix": lambda w: _rpc("ReleaseChildPrefix", {"cidr": _with_child(w)}),
    "AcquireIP": lambda w: _rpc("AcquireIP", {"prefixCidr": _with_prefix(w)}),
    "ReleaseIP": _release_ip,
    "Load": _load,
    "CreateNamespace": lambda w: _rpc("CreateNamespace", {"namespace": f"new-ns-{w.n()}"}),
    "DeleteNamespace": lambda w: _rpc("DeleteNamespace", {"namespace": _with_namespace(w)}),
}


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[World, Client]]:
    """One app for the whole matrix: every cell makes its own resources, so cells cannot affect each other."""
    storage = MemoryStorage()
    service = NetworkService(storage)
    service.create_partition(PartitionCreate(id=PARTITION))
    for project in (P, Q):
        service.create_project(ProjectCreate(id=project))
    service.create_network(NetworkCreate(id="super", partitionid=PARTITION, privatesuper=True,
                                         prefixes=["10.0.0.0/8"], defaultchildprefixlength={"IPv4": 24}))
    with TestClient(create_app(storage, Settings.build({}, TOKENS, request_log=False))) as client:
        yield World(storage, service, Ipamer(storage)), client


def _send(client: Client, role: str, call: Call) -> Any:
    headers = {} if ROLES[role] is None else bearer(f"tok-{role}")
    return client.request(call.method, call.path, json=call.body, headers=headers)


def _expected(role: str, call: Call, owner: str | None) -> int:
    granted = ROLES[role]
    if granted is None:
        return 401
    level, bound = granted
    if level < call.needs or (bound is not None and owner != bound):
        return 403
    return call.answer


def _check(response: Any, expected: int, call: Call, secrets: list[str]) -> None:
    assert response.status_code == expected, (call, response.text)
    if expected == 403:
        message = response.json()["message"]
        for secret in secrets:
            assert secret not in message, (call, message)


@pytest.mark.parametrize("owner", [P, Q], ids=["own", "other"])
@pytest.mark.parametrize("route", list(SCOPED))
@pytest.mark.parametrize("role", list(ROLES))
def test_project_scoped_routes(world: tuple[World, Client], role: str, route: str, owner: str) -> None:
    w, client = world
    granted = ROLES[role]
    bound = granted[1] if granted is not None else None
    call = SCOPED[route](w, owner, bound or owner)  # a bound token names its own project in what it asks for
    _check(_send(client, role, call), _expected(role, call, owner), call, [Q, *call.secrets])


@pytest.mark.parametrize("route", list(GLOBAL))
@pytest.mark.parametrize("role", list(ROLES))
def test_global_routes(world: tuple[World, Client], role: str, route: str) -> None:
    w, client = world
    call = GLOBAL[route](w)
    _check(_send(client, role, call), _expected(role, call, None), call, [])


def test_edit_of_proj_a_cannot_allocate_from_ext1_of_proj_b(world: tuple[World, Client]) -> None:
    """The reported case: ``ext1`` belongs to proj-b and has no parent."""
    w, client = world
    w.service.create_network(NetworkCreate(id="ext1", projectid=Q, prefixes=["185.0.0.0/24"]))
    response = client.post("/v1/ip/allocate", json={"networkid": "ext1", "projectid": P},
                           headers=bearer(f"tok-edit@{P}"))
    assert response.status_code == 403, response.text
    assert Q not in response.json()["message"]
    assert [ip for ip in w.service.list_ips() if ip.networkid == "ext1"] == []
