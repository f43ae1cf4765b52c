"""metal-stack's own ``metal-stack-api`` clients against a real ``metalnet serve`` process: the test vectors
of metal-stack's v2 behaviour (reference §7), the refusals, and v1 and v2 as two views of one store.

The per-service sync clients speak HTTP/1.1 with both codecs (proto and JSON) and gzip request bodies.
"""

from __future__ import annotations

import ipaddress
import itertools
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from metalstack.admin.v2 import ip_connect as admin_ip_connect
from metalstack.admin.v2 import ip_pb2 as admin_ip_pb2
from metalstack.admin.v2 import network_connect as admin_network_connect
from metalstack.admin.v2 import network_pb2 as admin_network_pb2
from metalstack.admin.v2 import partition_connect as admin_partition_connect
from metalstack.admin.v2 import partition_pb2 as admin_partition_pb2
from metalstack.api.v2 import (
    common_pb2,
    health_connect,
    health_pb2,
    ip_connect,
    ip_pb2,
    network_connect,
    network_pb2,
    partition_connect,
    partition_pb2,
    project_connect,
    project_pb2,
    version_connect,
    version_pb2,
)

from tests.servers.metalnet import Running
from tests.v2.support import PARTITION, P, Q, bearer, codec_kwargs, metalnet_server, refusal

CHILD = network_pb2.NETWORK_TYPE_CHILD
#: every test takes its own address ranges, so tests share one server without overlapping
_SLOTS = itertools.count(1)
A, E = bearer("admin"), bearer("edit-p")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    cwd = tmp_path_factory.mktemp("v2")
    with metalnet_server(cwd) as running:
        admin = {"authorization": A["authorization"]}
        httpx.put(f"{running.url}/v1/partition", json={"id": PARTITION}, headers=admin).raise_for_status()
        for project in (P, Q):
            httpx.put(f"{running.url}/v1/project", json={"meta": {"id": project}}, headers=admin).raise_for_status()
        yield running


class Clients:
    """One sync client per service, all with one codec."""

    def __init__(self, url: str, codec: str) -> None:
        kwargs: dict[str, Any] = dict(codec_kwargs(codec))
        self.networks = network_connect.NetworkServiceClientSync(url, **kwargs)
        self.admin_networks = admin_network_connect.NetworkServiceClientSync(url, **kwargs)
        self.ips = ip_connect.IPServiceClientSync(url, **kwargs)
        self.admin_ips = admin_ip_connect.IPServiceClientSync(url, **kwargs)
        self.partitions = partition_connect.PartitionServiceClientSync(url, **kwargs)
        self.admin_partitions = admin_partition_connect.PartitionServiceClientSync(url, **kwargs)
        self.projects = project_connect.ProjectServiceClientSync(url, **kwargs)
        self.health = health_connect.HealthServiceClientSync(url, **kwargs)
        self.version = version_connect.VersionServiceClientSync(url, **kwargs)

    def close(self) -> None:
        for client in vars(self).values():
            client.close()


@pytest.fixture(params=["proto", "json"])
def clients(request: pytest.FixtureRequest, server: Running) -> Iterator[Clients]:
    found = Clients(server.url, str(request.param))
    try:
        yield found
    finally:
        found.close()


def usage(message: network_pb2.NetworkUsage) -> tuple[int, int, int, int]:
    return (message.available_ips, message.used_ips, message.available_prefixes, message.used_prefixes)


def super_request(ident: str, partition: str, v4: str, v6: str) -> admin_network_pb2.NetworkServiceCreateRequest:
    return admin_network_pb2.NetworkServiceCreateRequest(
        id=ident, type=network_pb2.NETWORK_TYPE_SUPER, partition=partition, prefixes=[v4, v6],
        default_child_prefix_length=network_pb2.ChildPrefixLength(ipv4=22, ipv6=112),
        min_child_prefix_length=network_pb2.ChildPrefixLength(ipv4=20, ipv6=104),
    )


def test_vectors(clients: Clients, server: Running) -> None:
    """The test vectors of reference §7, in their order, on a partition of their own per codec."""
    partition = f"part-{uuid.uuid4().hex[:8]}"
    httpx.put(f"{server.url}/v1/partition", json={"id": partition}, headers=A).raise_for_status()
    second = next(_SLOTS)  # a /14 of its own per run: 10.<4*second>.0.0/14
    v4 = f"10.{4 * second}.0.0/14"
    v6 = f"2001:db8:{second:x}::/96"
    base = ipaddress.ip_network(v4).network_address
    ident = f"tenant-super-{partition}"

    # 1: a super network
    created = clients.admin_networks.create(super_request(ident, partition, v4, v6), headers=A).network
    assert created.type == network_pb2.NETWORK_TYPE_SUPER
    assert created.nat_type == network_pb2.NAT_TYPE_NONE
    assert not created.HasField("vrf")
    assert not created.HasField("project")
    assert created.meta.generation == 0
    assert usage(created.consumption.ipv4) == (262144, 2, 1, 0)
    assert usage(created.consumption.ipv6) == (2**31 - 1, 1, 1, 0)
    assert dict(created.min_child_prefix_length.ListFields()[0:0]) == {}  # present and readable
    assert (created.min_child_prefix_length.ipv4, created.min_child_prefix_length.ipv6) == (20, 104)

    # 2a-2d: refusals of super creation
    again = refusal(lambda: clients.admin_networks.create(super_request(ident, partition, v4, v6), headers=A))
    assert again.code == Code.ALREADY_EXISTS
    assert again.message == f"network with id:{ident} already exists"
    second_super = refusal(lambda: clients.admin_networks.create(
        super_request(ident + "-2", partition, "10.0.0.0/16", "2001:db8:ffff::/96"), headers=A))
    assert second_super.code == Code.INVALID_ARGUMENT
    assert second_super.message == f'partition with id "{partition}" already has a network of type NETWORK_TYPE_SUPER'
    overlap = refusal(lambda: clients.admin_networks.create(admin_network_pb2.NetworkServiceCreateRequest(
        id=f"x-{partition}", type=network_pb2.NETWORK_TYPE_SUPER, prefixes=[f"{base}/16"],
        default_child_prefix_length=network_pb2.ChildPrefixLength(ipv4=22)), headers=A))
    assert overlap.code == Code.ALREADY_EXISTS
    assert overlap.message == f"{base}/16 overlaps {v4}"
    host_bits = ipaddress.ip_address(int(base) + 65536)
    canonical = refusal(lambda: clients.admin_networks.create(admin_network_pb2.NetworkServiceCreateRequest(
        id=f"x-{partition}", type=network_pb2.NETWORK_TYPE_SUPER, prefixes=[f"{host_bits}/14"],
        default_child_prefix_length=network_pb2.ChildPrefixLength(ipv4=22)), headers=A))
    assert canonical.code == Code.INVALID_ARGUMENT
    assert canonical.message == (f'expecting canonical form of prefix "{host_bits}/14", '
                                 f'please specify it as "{v4}"')

    # 3: a child by an editor of P
    child = clients.networks.create(
        network_pb2.NetworkServiceCreateRequest(project=P, name="my-net", partition=partition), headers=E).network
    assert uuid.UUID(child.id).version == 7
    assert child.parent_network == ident
    assert list(child.prefixes) == [f"{base}/22", str(ipaddress.ip_network(v6).network_address) + "/112"]
    assert child.type == CHILD
    assert child.nat_type == network_pb2.NAT_TYPE_NONE
    assert child.vrf > 0
    assert not child.HasField("namespace")
    assert usage(child.consumption.ipv4) == (1024, 2, 1, 0)
    assert usage(child.consumption.ipv6) == (65536, 1, 1, 0)
    parent = clients.admin_networks.get(admin_network_pb2.NetworkServiceGetRequest(id=ident), headers=A).network
    assert usage(parent.consumption.ipv4)[2:] == (8, 1)
    assert usage(parent.consumption.ipv6)[2:] == (16, 1)

    base_networks = clients.networks.list_base_networks(
        network_pb2.NetworkServiceListBaseNetworksRequest(project=P), headers=E).networks
    listed_super = next(n for n in base_networks if n.id == ident)
    assert not listed_super.HasField("consumption")  # dropped for networks without a project
    assert child.id not in [n.id for n in base_networks]  # a plain child is no base network

    # 4a-4f: child variants and refusals
    def create(**fields: Any) -> network_pb2.Network:
        request = network_pb2.NetworkServiceCreateRequest(project=P, partition=partition, **fields)
        return clients.networks.create(request, headers=E).network

    v6_only = create(address_family=network_pb2.NETWORK_ADDRESS_FAMILY_V6)
    assert list(v6_only.prefixes) == [str(ipaddress.ip_network(v6).network_address + 65536) + "/112"]
    small = create(length=network_pb2.ChildPrefixLength(ipv4=28))
    assert list(small.prefixes) == [f"{ipaddress.ip_address(int(base) + 1024)}/28"]
    too_big = refusal(lambda: create(length=network_pb2.ChildPrefixLength(ipv4=18)))
    assert too_big.code == Code.INVALID_ARGUMENT
    assert too_big.message == ("requested prefix length map[IPv4:18] is smaller than allowed "
                               "(super network defines a minimum of map[IPv4:20 IPv6:104])")
    no_length = refusal(lambda: create(address_family=network_pb2.NETWORK_ADDRESS_FAMILY_V4,
                                       length=network_pb2.ChildPrefixLength(ipv6=116)))
    assert "specified, but no childprefixlength for this addressfamily" in no_length.message
    both = refusal(lambda: clients.networks.create(network_pb2.NetworkServiceCreateRequest(
        project=P, partition=partition, parent_network=ident), headers=E))
    assert both.message == "if parent network id is specified, partition must be nil"
    other = refusal(lambda: clients.networks.create(
        network_pb2.NetworkServiceCreateRequest(project=Q, name="my-net", partition=partition), headers=E))
    assert other.code == Code.PERMISSION_DENIED
    assert other.message.startswith(
        f'access to:"/metalstack.api.v2.NetworkService/Create" with subject:"{Q}" is not allowed')

    # 5a-5c: IPs
    first = clients.ips.create(ip_pb2.IPServiceCreateRequest(network=child.id, project=P), headers=E).ip
    assert first.ip == str(base + 1)
    assert first.type == ip_pb2.IP_TYPE_EPHEMERAL
    assert first.name == ""
    assert uuid.UUID(first.uuid).version == 7
    v6_ip = clients.ips.create(ip_pb2.IPServiceCreateRequest(
        network=child.id, project=P, address_family=ip_pb2.IP_ADDRESS_FAMILY_V6, type=ip_pb2.IP_TYPE_STATIC),
        headers=E).ip
    assert v6_ip.ip == str(ipaddress.ip_network(v6).network_address + 1)
    assert v6_ip.type == ip_pb2.IP_TYPE_STATIC
    specific = str(base + 10)
    taken = clients.ips.create(ip_pb2.IPServiceCreateRequest(
        network=child.id, project=P, ip=specific, type=ip_pb2.IP_TYPE_STATIC), headers=E).ip
    assert taken.ip == specific

    # 6a-6f: IP refusals
    twice = refusal(lambda: clients.ips.create(
        ip_pb2.IPServiceCreateRequest(network=child.id, project=P, ip=specific), headers=E))
    assert twice.code == Code.INVALID_ARGUMENT
    assert twice.message == f'given ip "{specific}" is already allocated'
    for held in (base, base + 1023):  # the network and the broadcast address: held by the IPAM, no record
        reserved = refusal(lambda a=held: clients.ips.create(  # type: ignore[misc]
            ip_pb2.IPServiceCreateRequest(network=child.id, project=P, ip=str(a)), headers=E))
        assert reserved.code == Code.ALREADY_EXISTS
        assert reserved.message == f"AlreadyAllocatedError: given ip:{held} is already allocated"
    outside = refusal(lambda: clients.ips.create(
        ip_pb2.IPServiceCreateRequest(network=child.id, project=P, ip="10.255.255.1"), headers=E))
    assert outside.code == Code.INVALID_ARGUMENT
    assert outside.message == (
        f'specific ip "10.255.255.1" is not contained in any of the prefixes of network "{child.id}"')
    no_family = refusal(lambda: clients.ips.create(ip_pb2.IPServiceCreateRequest(
        network=v6_only.id, project=P, address_family=ip_pb2.IP_ADDRESS_FAMILY_V4), headers=E))
    assert no_family.code == Code.INVALID_ARGUMENT
    assert no_family.message == (f'there is no prefix for the given addressfamily IPv4 present in network '
                                 f'"{v6_only.id}", available address families are: [IPv6]')
    mixed = refusal(lambda: clients.ips.create(ip_pb2.IPServiceCreateRequest(
        network=child.id, project=P, ip=str(base + 11), address_family=ip_pb2.IP_ADDRESS_FAMILY_V4), headers=E))
    assert mixed.message == "it is not possible to specify specificIP and addressfamily"
    missing = refusal(lambda: clients.ips.get(ip_pb2.IPServiceGetRequest(ip=str(base + 99), project=P), headers=E))
    assert missing.code == Code.NOT_FOUND
    assert missing.message == f'no ip with id "{base + 99}" found'

    unspecified = refusal(lambda: clients.ips.create(
        ip_pb2.IPServiceCreateRequest(network=child.id, project=P, type=ip_pb2.IP_TYPE_UNSPECIFIED), headers=E))
    assert unspecified.message == "given ip type is not supported:IP_TYPE_UNSPECIFIED"
    for token in (E, A):
        in_super = refusal(lambda t=token: clients.ips.create(  # type: ignore[misc]
            ip_pb2.IPServiceCreateRequest(network=ident, project=P), headers=t))
        assert in_super.code == Code.INVALID_ARGUMENT
        assert in_super.message == "cannot allocate ip in network of type super"

    # 7: consumption of the child
    read = clients.networks.get(network_pb2.NetworkServiceGetRequest(id=child.id, project=P), headers=E).network
    assert usage(read.consumption.ipv4) == (1024, 4, 1, 0)
    assert usage(read.consumption.ipv6) == (65536, 2, 1, 0)

    # 8a-8d: deletes
    busy = refusal(lambda: clients.admin_networks.delete(
        admin_network_pb2.NetworkServiceDeleteRequest(id=ident), headers=A))
    assert busy.code == Code.FAILED_PRECONDITION
    assert busy.message == "cannot remove network with existing child networks"
    with_ips = refusal(lambda: clients.networks.delete(
        network_pb2.NetworkServiceDeleteRequest(id=child.id, project=P), headers=E))
    assert with_ips.code == Code.FAILED_PRECONDITION
    assert with_ips.message == f"there are still 2 ips present in prefix: {base}/22"
    for address in (first.ip, v6_ip.ip, taken.ip):
        gone = clients.ips.delete(ip_pb2.IPServiceDeleteRequest(ip=address, project=P), headers=E).ip
        assert gone.ip == address
        assert gone.meta.deletion_task_id
        again_gone = refusal(lambda a=address: clients.ips.delete(  # type: ignore[misc]
            ip_pb2.IPServiceDeleteRequest(ip=a, project=P), headers=E))
        assert again_gone.code == Code.NOT_FOUND
    for network in (child, v6_only, small):
        clients.networks.delete(network_pb2.NetworkServiceDeleteRequest(id=network.id, project=P), headers=E)
    # no leak (unlike metal-apiserver): a freed child's block is handed out again
    reused = create()
    assert next(iter(reused.prefixes)) == f"{base}/22"
    clients.networks.delete(network_pb2.NetworkServiceDeleteRequest(id=reused.id, project=P), headers=E)
    clients.admin_networks.delete(admin_network_pb2.NetworkServiceDeleteRequest(id=ident), headers=A)


def test_namespaced_children_share_prefixes(clients: Clients) -> None:
    """Vector 9: two projects' children of a super-namespaced network get the same prefix."""
    ident = f"ns-super-{uuid.uuid4().hex[:8]}"
    second = next(_SLOTS)
    clients.admin_networks.create(admin_network_pb2.NetworkServiceCreateRequest(
        id=ident, type=network_pb2.NETWORK_TYPE_SUPER_NAMESPACED, prefixes=[f"172.{second}.0.0/16"],
        default_child_prefix_length=network_pb2.ChildPrefixLength(ipv4=24)), headers=A)
    mine = clients.networks.create(
        network_pb2.NetworkServiceCreateRequest(project=P, parent_network=ident), headers=E).network
    theirs = clients.networks.create(
        network_pb2.NetworkServiceCreateRequest(project=Q, parent_network=ident), headers=bearer("edit-q")).network
    assert list(mine.prefixes) == list(theirs.prefixes)
    assert (mine.namespace, theirs.namespace) == (P, Q)
    partitioned = refusal(lambda: clients.admin_networks.create(admin_network_pb2.NetworkServiceCreateRequest(
        id=ident + "-p", type=network_pb2.NETWORK_TYPE_SUPER_NAMESPACED, partition=PARTITION,
        prefixes=["192.168.0.0/16"], default_child_prefix_length=network_pb2.ChildPrefixLength(ipv4=24)),
        headers=A))
    assert partitioned.message == "partition must not be specified for namespaced private super"
    # an IP in P's child is namespaced: Get finds it with the namespace only; update and delete work
    ip = clients.ips.create(ip_pb2.IPServiceCreateRequest(network=mine.id, project=P), headers=E).ip
    theirs_ip = clients.ips.create(ip_pb2.IPServiceCreateRequest(network=theirs.id, project=Q),
                                   headers=bearer("edit-q")).ip
    assert ip.ip == theirs_ip.ip == f"172.{second}.0.1"
    assert ip.namespace == P
    found = clients.ips.get(ip_pb2.IPServiceGetRequest(ip=ip.ip, project=P, namespace=P), headers=E).ip
    assert found.uuid == ip.uuid
    plain = refusal(lambda: clients.ips.get(ip_pb2.IPServiceGetRequest(ip=ip.ip, project=P), headers=E))
    assert plain.code == Code.NOT_FOUND
    renamed = clients.ips.update(ip_pb2.IPServiceUpdateRequest(
        ip=ip.ip, project=P, name="named", update_meta=common_pb2.UpdateMeta(updated_at=ip.meta.updated_at)),
        headers=E).ip
    assert renamed.name == "named"
    in_namespace = clients.ips.list(ip_pb2.IPServiceListRequest(
        project=P, query=ip_pb2.IPQuery(namespace=P)), headers=E).ips
    assert [i.uuid for i in in_namespace] == [ip.uuid]
    clients.ips.delete(ip_pb2.IPServiceDeleteRequest(ip=ip.ip, project=P), headers=E)
    clients.ips.delete(ip_pb2.IPServiceDeleteRequest(ip=theirs_ip.ip, project=Q), headers=bearer("edit-q"))
    for network, token in ((mine, E), (theirs, bearer("edit-q"))):
        clients.networks.delete(
            network_pb2.NetworkServiceDeleteRequest(id=network.id, project=network.project), headers=token)
    clients.admin_networks.delete(admin_network_pb2.NetworkServiceDeleteRequest(id=ident), headers=A)


def test_v1_reaches_namespaced_ips(clients: Clients, server: Running) -> None:
    """/v1/ip/{ip} (get, update, free) finds an IP of a namespaced child: by ?namespace=, or alone when only one
    namespace holds the address; 409 naming the namespaces when several do and none is given."""
    ident = f"ns-super-{uuid.uuid4().hex[:8]}"
    second = next(_SLOTS)
    clients.admin_networks.create(admin_network_pb2.NetworkServiceCreateRequest(
        id=ident, type=network_pb2.NETWORK_TYPE_SUPER_NAMESPACED, prefixes=[f"172.{second}.0.0/16"],
        default_child_prefix_length=network_pb2.ChildPrefixLength(ipv4=24)), headers=A)
    mine = clients.networks.create(
        network_pb2.NetworkServiceCreateRequest(project=P, parent_network=ident), headers=E).network
    theirs = clients.networks.create(
        network_pb2.NetworkServiceCreateRequest(project=Q, parent_network=ident), headers=bearer("edit-q")).network
    shared = clients.ips.create(ip_pb2.IPServiceCreateRequest(network=mine.id, project=P), headers=E).ip
    clients.ips.create(ip_pb2.IPServiceCreateRequest(network=theirs.id, project=Q), headers=bearer("edit-q"))
    alone = clients.ips.create(ip_pb2.IPServiceCreateRequest(network=mine.id, project=P), headers=E).ip
    url = f"{server.url}/v1/ip"

    ambiguous = httpx.get(f"{url}/{shared.ip}", headers=A)
    assert ambiguous.status_code == 409, ambiguous.text
    assert all(part in ambiguous.text for part in (P, Q, shared.ip))
    assert httpx.get(f"{url}/{shared.ip}", params={"namespace": Q}, headers=A).json()["projectid"] == Q
    # a project's token is narrowed to its own namespace
    assert httpx.get(f"{url}/{shared.ip}", headers=E).json()["allocationuuid"] == shared.uuid
    assert httpx.get(f"{url}/{alone.ip}", headers=A).json()["allocationuuid"] == alone.uuid

    assert httpx.post(url, json={"ipaddress": shared.ip, "name": "x"}, headers=A).status_code == 409
    renamed = httpx.post(url, params={"namespace": P}, json={"ipaddress": shared.ip, "name": "mine"}, headers=A)
    assert renamed.status_code == 200, renamed.text
    named = clients.ips.get(ip_pb2.IPServiceGetRequest(ip=shared.ip, project=P, namespace=P), headers=E).ip
    assert named.name == "mine"
    assert httpx.post(url, json={"ipaddress": alone.ip, "name": "alone"}, headers=A).json()["name"] == "alone"

    assert httpx.delete(f"{url}/free/{shared.ip}", headers=A).status_code == 409
    assert httpx.delete(f"{url}/free/{shared.ip}", params={"namespace": Q}, headers=A).status_code == 200
    # now only P's namespace holds it: unique
    assert httpx.delete(f"{url}/free/{shared.ip}", headers=A).json()["projectid"] == P
    assert httpx.delete(f"{url}/free/{alone.ip}", headers=A).status_code == 200
    assert httpx.get(f"{url}/{alone.ip}", headers=A).status_code == 404
    for network, token in ((mine, E), (theirs, bearer("edit-q"))):
        clients.networks.delete(
            network_pb2.NetworkServiceDeleteRequest(id=network.id, project=network.project), headers=token)
    clients.admin_networks.delete(admin_network_pb2.NetworkServiceDeleteRequest(id=ident), headers=A)


def test_update_locking_and_labels(clients: Clients, server: Running) -> None:
    network = _external(clients)
    meta = common_pb2.UpdateMeta(updated_at=network.meta.updated_at)
    updated = clients.admin_networks.update(admin_network_pb2.NetworkServiceUpdateRequest(
        id=network.id, update_meta=meta, name="renamed", prefixes=list(network.prefixes),
        labels=common_pb2.UpdateLabels(replace=common_pb2.Labels(labels={"a": "1", "b": "2"}))), headers=A).network
    assert updated.name == "renamed"
    assert updated.meta.generation == 1
    assert dict(updated.meta.labels.labels) == {"a": "1", "b": "2"}
    stale = refusal(lambda: clients.admin_networks.update(admin_network_pb2.NetworkServiceUpdateRequest(
        id=network.id, update_meta=meta, name="again", prefixes=list(network.prefixes)), headers=A))
    assert stale.code == Code.ABORTED
    assert stale.message == f"cannot update network ({network.id}): the entity was already modified, please retry"
    patched = clients.admin_networks.update(admin_network_pb2.NetworkServiceUpdateRequest(
        id=network.id, update_meta=common_pb2.UpdateMeta(updated_at=updated.meta.updated_at),
        prefixes=list(network.prefixes), labels=common_pb2.UpdateLabels(patch=common_pb2.LabelsPatch(
            update=common_pb2.Labels(labels={"c": "3"}), remove=["a"]))), headers=A).network
    assert dict(patched.meta.labels.labels) == {"b": "2", "c": "3"}
    assert patched.meta.generation == 2
    server_side = clients.admin_networks.update(admin_network_pb2.NetworkServiceUpdateRequest(
        id=network.id, prefixes=list(network.prefixes), description="d", update_meta=common_pb2.UpdateMeta(
            locking_strategy=common_pb2.OPTIMISTIC_LOCKING_STRATEGY_SERVER)), headers=A).network
    assert server_side.description == "d"
    assert server_side.meta.generation == 3
    clients.admin_networks.delete(admin_network_pb2.NetworkServiceDeleteRequest(id=network.id), headers=A)


def _external(clients: Clients) -> network_pb2.Network:
    second = next(_SLOTS)
    return clients.admin_networks.create(admin_network_pb2.NetworkServiceCreateRequest(
        id=f"internet-{uuid.uuid4().hex[:8]}", type=network_pb2.NETWORK_TYPE_EXTERNAL, vrf=100 + second,
        prefixes=[f"185.{second}.0.0/24"]), headers=A).network


def test_underlay_addresses_are_for_admin_editors(clients: Clients, server: Running) -> None:
    partition = f"ul-{uuid.uuid4().hex[:8]}"
    httpx.put(f"{server.url}/v1/partition", json={"id": partition}, headers=A).raise_for_status()
    underlay = clients.admin_networks.create(admin_network_pb2.NetworkServiceCreateRequest(
        id=f"underlay-{partition}", type=network_pb2.NETWORK_TYPE_UNDERLAY, partition=partition,
        prefixes=[f"10.255.{next(_SLOTS)}.0/24"]), headers=A).network
    assert underlay.type == network_pb2.NETWORK_TYPE_UNDERLAY
    denied = refusal(lambda: clients.ips.create(
        ip_pb2.IPServiceCreateRequest(network=underlay.id, project=P), headers=E))
    assert denied.code == Code.PERMISSION_DENIED
    assert denied.message == "only admin editors can allocate ips from an underlay network"
    ip = clients.ips.create(ip_pb2.IPServiceCreateRequest(network=underlay.id, project=P), headers=A).ip
    clients.ips.delete(ip_pb2.IPServiceDeleteRequest(ip=ip.ip, project=P), headers=A)
    clients.admin_networks.delete(admin_network_pb2.NetworkServiceDeleteRequest(id=underlay.id), headers=A)


def test_ip_update_and_scope(clients: Clients, server: Running) -> None:
    network = _external(clients)
    ip = clients.ips.create(ip_pb2.IPServiceCreateRequest(network=network.id, project=P, name="first",
                                                          labels=common_pb2.Labels(labels={"k": "v"})), headers=E).ip
    assert dict(ip.meta.labels.labels) == {"k": "v"}
    changed = clients.ips.update(ip_pb2.IPServiceUpdateRequest(
        ip=ip.ip, project=P, name="second", type=ip_pb2.IP_TYPE_STATIC,
        update_meta=common_pb2.UpdateMeta(updated_at=ip.meta.updated_at)), headers=E).ip
    assert (changed.name, changed.type, changed.meta.generation) == ("second", ip_pb2.IP_TYPE_STATIC, 1)
    back = refusal(lambda: clients.ips.update(ip_pb2.IPServiceUpdateRequest(
        ip=ip.ip, project=P, type=ip_pb2.IP_TYPE_EPHEMERAL,
        update_meta=common_pb2.UpdateMeta(updated_at=changed.meta.updated_at)), headers=E))
    assert back.code == Code.INVALID_ARGUMENT
    assert back.message == "cannot change type of ip address from static to ephemeral"
    # another project's IP does not exist for a caller acting for Q (the network layer's project rule), be it
    # Q's editor or an admin asking in Q's name; v1 answers a project's token 403 (tests/api)
    for token in (bearer("edit-q"), A):
        for call in (
            lambda t=token: clients.ips.get(ip_pb2.IPServiceGetRequest(ip=ip.ip, project=Q), headers=t),
            lambda t=token: clients.ips.delete(ip_pb2.IPServiceDeleteRequest(ip=ip.ip, project=Q), headers=t),
            lambda t=token: clients.ips.update(ip_pb2.IPServiceUpdateRequest(
                ip=ip.ip, project=Q, name="xx", update_meta=common_pb2.UpdateMeta(
                    locking_strategy=common_pb2.OPTIMISTIC_LOCKING_STRATEGY_SERVER)), headers=t),
        ):
            hidden = refusal(call)
            assert hidden.code == Code.NOT_FOUND
            assert hidden.message == f'*metal.IP with id "{ip.ip}" not found'
    v1_hidden = httpx.get(f"{server.url}/v1/ip/{ip.ip}", headers=bearer("edit-q"))
    assert v1_hidden.status_code == 403
    # an IP of a machine cannot be freed
    machine = str(uuid.uuid4())
    bound = clients.ips.create(ip_pb2.IPServiceCreateRequest(network=network.id, project=P, machine=machine),
                               headers=E).ip
    kept = refusal(lambda: clients.ips.delete(ip_pb2.IPServiceDeleteRequest(ip=bound.ip, project=P), headers=E))
    assert kept.code == Code.INVALID_ARGUMENT
    assert kept.message == "ip with machine scope cannot be deleted"
    httpx.post(f"{server.url}/v1/ip", json={"ipaddress": bound.ip, "tags": []}, headers=A).raise_for_status()
    clients.ips.delete(ip_pb2.IPServiceDeleteRequest(ip=bound.ip, project=P), headers=E)
    listed = clients.ips.list(ip_pb2.IPServiceListRequest(project=P, query=ip_pb2.IPQuery(network=network.id)),
                              headers=bearer("view-p")).ips
    assert [found.ip for found in listed] == [ip.ip]
    assert ip.ip in [found.ip for found in clients.admin_ips.list(admin_ip_pb2.IPServiceListRequest(
        query=ip_pb2.IPQuery(network=network.id)), headers=bearer("viewer")).ips]
    clients.ips.delete(ip_pb2.IPServiceDeleteRequest(ip=ip.ip, project=P), headers=E)
    clients.admin_networks.delete(admin_network_pb2.NetworkServiceDeleteRequest(id=network.id), headers=A)


def test_refusals_of_access_and_validation(clients: Clients) -> None:
    no_token = refusal(lambda: clients.networks.list(network_pb2.NetworkServiceListRequest(project=P)))
    assert no_token.code == Code.PERMISSION_DENIED
    assert no_token.message == ('access to:"/metalstack.api.v2.NetworkService/List" is not allowed because it is '
                                "not part of the token permissions")
    viewer_writes = refusal(lambda: clients.networks.create(
        network_pb2.NetworkServiceCreateRequest(project=P, partition=PARTITION), headers=bearer("view-p")))
    assert viewer_writes.code == Code.PERMISSION_DENIED
    admin_viewer_writes = refusal(lambda: clients.admin_networks.create(
        admin_network_pb2.NetworkServiceCreateRequest(id="xx", type=network_pb2.NETWORK_TYPE_EXTERNAL),
        headers=bearer("viewer")))
    assert admin_viewer_writes.code == Code.PERMISSION_DENIED
    project_on_admin = refusal(lambda: clients.admin_networks.list(
        admin_network_pb2.NetworkServiceListRequest(), headers=E))
    assert project_on_admin.code == Code.PERMISSION_DENIED
    unknown = refusal(lambda: clients.networks.list(
        network_pb2.NetworkServiceListRequest(project=P), headers={"authorization": "Bearer nope.nope."}))
    assert unknown.code == Code.UNAUTHENTICATED
    invalid = refusal(lambda: clients.ips.create(
        ip_pb2.IPServiceCreateRequest(network="n", project=P), headers=E))
    assert invalid.code == Code.INVALID_ARGUMENT
    assert invalid.message == "validation error: network: must be within 2 and 128 characters"
    several = refusal(lambda: clients.ips.create(ip_pb2.IPServiceCreateRequest(network="n", project=""), headers=A))
    assert several.message.startswith("validation errors:\n - network: must be within 2 and 128 characters\n - ")
    stale_missing = refusal(lambda: clients.networks.update(
        network_pb2.NetworkServiceUpdateRequest(id="abc", project=P), headers=E))
    assert stale_missing.message == "validation error: update_meta: value is required"


def test_public_and_read_services(clients: Clients) -> None:
    health = clients.health.get(health_pb2.HealthServiceGetRequest()).health
    assert [s.name for s in health.services] == sorted(s.name for s in health.services)
    assert {s.status for s in health.services} == {health_pb2.SERVICE_STATUS_HEALTHY}
    assert clients.version.get(version_pb2.VersionServiceGetRequest()).version.version
    partitions = clients.partitions.list(partition_pb2.PartitionServiceListRequest(), headers=E).partitions
    assert PARTITION in [p.id for p in partitions]
    project = clients.projects.get(project_pb2.ProjectServiceGetRequest(project=P), headers=E).project
    assert project.uuid == P
    own = clients.projects.list(project_pb2.ProjectServiceListRequest(), headers=E).projects
    assert [p.uuid for p in own] == [P]
    every = clients.projects.list(project_pb2.ProjectServiceListRequest(), headers=bearer("viewer")).projects
    assert {P, Q} <= {p.uuid for p in every}


def test_other_rpcs_answer_unimplemented(server: Running) -> None:
    for path in ("/metalstack.api.v2.MachineService/Get", "/metalstack.admin.v2.NetworkService/ListExternalMembers",
                 "/metalstack.admin.v2.NetworkService/AddExternalMember", "/metalstack.api.v2.TokenService/Refresh",
                 "/metalstack.admin.v2.PartitionService/Capacity"):
        response = httpx.post(server.url + path, json={}, headers=A)
        assert response.status_code == 501, (path, response.text)
        assert response.json()["code"] == "unimplemented"


def test_gzip_json_over_plain_http(server: Running) -> None:
    """curl-style JSON, gzip-compressed, with proto field names accepted."""
    import gzip

    body = gzip.compress(b'{"project": "' + P.encode() + b'"}')
    response = httpx.post(f"{server.url}/metalstack.api.v2.NetworkService/List", content=body, headers={
        **E, "content-type": "application/json", "content-encoding": "gzip"})
    assert response.status_code == 200, response.text
    assert "networks" in response.json() or response.json() == {}


def test_v1_and_v2_are_one_store(clients: Clients, server: Running) -> None:
    """A network allocated through v2 is listed by /v1/network, and an IP from v1 is read by v2."""
    partition = f"rt-{uuid.uuid4().hex[:8]}"
    httpx.put(f"{server.url}/v1/partition", json={"id": partition}, headers=A).raise_for_status()
    second = next(_SLOTS)
    ident = f"rt-super-{partition}"
    clients.admin_networks.create(super_request(ident, partition, f"100.{second}.0.0/16",
                                                f"2001:db9:{second:x}::/96"), headers=A)
    child = clients.networks.create(
        network_pb2.NetworkServiceCreateRequest(project=P, partition=partition), headers=E).network
    v1_networks = httpx.get(f"{server.url}/v1/network", headers=A).json()
    assert child.id in [n["id"] for n in v1_networks]
    allocated = httpx.post(f"{server.url}/v1/ip/allocate", json={"networkid": child.id, "projectid": P},
                           headers=A).json()
    read = clients.ips.get(ip_pb2.IPServiceGetRequest(ip=allocated["ipaddress"], project=P), headers=E).ip
    assert read.network == child.id
    assert read.uuid == allocated["allocationuuid"]
    v1_child = httpx.post(f"{server.url}/v1/network/allocate", json={"partitionid": partition, "projectid": P},
                          headers=A).json()
    listed = clients.networks.list(network_pb2.NetworkServiceListRequest(
        project=P, query=network_pb2.NetworkQuery(parent_network=ident)), headers=E).networks
    assert {n.id for n in listed} == {child.id, v1_child["id"]}
    clients.ips.delete(ip_pb2.IPServiceDeleteRequest(ip=allocated["ipaddress"], project=P), headers=E)
    httpx.delete(f"{server.url}/v1/network/free/{child.id}", headers=A).raise_for_status()
    clients.networks.delete(network_pb2.NetworkServiceDeleteRequest(id=v1_child["id"], project=P), headers=E)
    clients.admin_networks.delete(admin_network_pb2.NetworkServiceDeleteRequest(id=ident), headers=A)


def test_metrics_count_v2_calls(clients: Clients, server: Running) -> None:
    clients.version.get(version_pb2.VersionServiceGetRequest())
    text = httpx.get(f"{server.url}/metrics").text
    assert 'metalnet_v2_calls_total{code="ok",method="Get",service="metalstack.api.v2.VersionService"}' in text


def test_admin_update_nat_type_and_fixed_child_prefixes(clients: Clients, server: Running) -> None:
    """Admin Update sets nat_type (read back by v1 as nat); no update moves a child's prefixes (v1 nor v2)."""
    network = _external(clients)

    def update(nat: int) -> network_pb2.Network:
        return clients.admin_networks.update(admin_network_pb2.NetworkServiceUpdateRequest(
            id=network.id, prefixes=list(network.prefixes), nat_type=nat, update_meta=common_pb2.UpdateMeta(
                locking_strategy=common_pb2.OPTIMISTIC_LOCKING_STRATEGY_SERVER)), headers=A).network

    assert update(network_pb2.NAT_TYPE_IPV4_MASQUERADE).nat_type == network_pb2.NAT_TYPE_IPV4_MASQUERADE
    assert httpx.get(f"{server.url}/v1/network/{network.id}", headers=A).json()["nat"] is True
    assert update(network_pb2.NAT_TYPE_NONE).nat_type == network_pb2.NAT_TYPE_NONE
    unspecified = refusal(lambda: update(network_pb2.NAT_TYPE_UNSPECIFIED))
    assert unspecified.code == Code.INVALID_ARGUMENT
    assert unspecified.message == 'given natType:"NAT_TYPE_UNSPECIFIED" is invalid'

    partition = f"cp-{uuid.uuid4().hex[:8]}"
    httpx.put(f"{server.url}/v1/partition", json={"id": partition}, headers=A).raise_for_status()
    second = next(_SLOTS)
    ident = f"cp-super-{partition}"
    clients.admin_networks.create(super_request(ident, partition, f"100.{second}.0.0/16",
                                                f"2001:db9:{second:x}::/96"), headers=A)
    child = clients.networks.create(
        network_pb2.NetworkServiceCreateRequest(project=P, partition=partition), headers=E).network
    moved = refusal(lambda: clients.admin_networks.update(admin_network_pb2.NetworkServiceUpdateRequest(
        id=child.id, prefixes=["192.0.2.0/24"], update_meta=common_pb2.UpdateMeta(
            locking_strategy=common_pb2.OPTIMISTIC_LOCKING_STRATEGY_SERVER)), headers=A))
    assert moved.code == Code.INVALID_ARGUMENT
    assert moved.message == "cannot change prefixes in child networks"
    v1_moved = httpx.post(f"{server.url}/v1/network", json={"id": child.id, "prefixes": ["192.0.2.0/24"]},
                          headers=A)
    assert v1_moved.status_code == 400
    assert "cannot change prefixes in child networks" in v1_moved.text
    kept = clients.networks.get(network_pb2.NetworkServiceGetRequest(id=child.id, project=P), headers=E).network
    assert (list(kept.prefixes), kept.parent_network) == (list(child.prefixes), ident)
    # another project's network does not exist for Q's editor (v1: 403)
    hidden = refusal(lambda: clients.networks.get(
        network_pb2.NetworkServiceGetRequest(id=child.id, project=Q), headers=bearer("edit-q")))
    assert hidden.code == Code.NOT_FOUND
    assert hidden.message == f'*metal.Network with id "{child.id}" not found'
    assert httpx.get(f"{server.url}/v1/network/{child.id}", headers=bearer("edit-q")).status_code == 403
    foreign = refusal(lambda: clients.ips.create(
        ip_pb2.IPServiceCreateRequest(network=child.id, project=Q), headers=bearer("edit-q")))
    assert foreign.code == Code.INVALID_ARGUMENT
    assert foreign.message == f'not allowed to create ip in network "{child.id}"'
    clients.networks.delete(network_pb2.NetworkServiceDeleteRequest(id=child.id, project=P), headers=E)
    clients.admin_networks.delete(admin_network_pb2.NetworkServiceDeleteRequest(id=ident), headers=A)
    clients.admin_networks.delete(admin_network_pb2.NetworkServiceDeleteRequest(id=network.id), headers=A)


def test_partitions_carry_boot_dns_ntp_and_management(clients: Clients, server: Running) -> None:
    """Admin Create and Update store every field of the v2 Partition; v1 reads the same record (bootconfig,
    mgmtserviceaddress) and what v1 writes, v2 reads."""
    ident = f"boot-{uuid.uuid4().hex[:8]}"
    boot = partition_pb2.PartitionBootConfiguration(image_url="http://images/metal.tgz",
                                                    kernel_url="http://images/kernel", commandline="console=ttyS0")
    created = clients.admin_partitions.create(admin_partition_pb2.PartitionServiceCreateRequest(
        partition=partition_pb2.Partition(
            id=ident, description="with boot", boot_configuration=boot,
            dns_servers=[partition_pb2.DNSServer(ip="1.1.1.1"), partition_pb2.DNSServer(ip="2001:4860:4860::8888")],
            ntp_servers=[partition_pb2.NTPServer(address="pool.ntp.org")],
            mgmt_service_addresses=["mgmt.example:8080", "mgmt2.example:8080"])), headers=A).partition
    read = clients.partitions.get(partition_pb2.PartitionServiceGetRequest(id=ident), headers=E).partition
    assert read == created
    assert read.boot_configuration == boot
    assert [s.ip for s in read.dns_servers] == ["1.1.1.1", "2001:4860:4860::8888"]
    assert [s.address for s in read.ntp_servers] == ["pool.ntp.org"]
    assert list(read.mgmt_service_addresses) == ["mgmt.example:8080", "mgmt2.example:8080"]
    v1 = httpx.get(f"{server.url}/v1/partition/{ident}", headers=A).json()
    assert v1["bootconfig"] == {"imageurl": "http://images/metal.tgz", "kernelurl": "http://images/kernel",
                                "commandline": "console=ttyS0"}
    assert v1["mgmtserviceaddress"] == "mgmt.example:8080"

    updated = clients.admin_partitions.update(admin_partition_pb2.PartitionServiceUpdateRequest(
        id=ident, update_meta=common_pb2.UpdateMeta(updated_at=read.meta.updated_at),
        boot_configuration=partition_pb2.PartitionBootConfiguration(
            image_url=boot.image_url, kernel_url="http://images/kernel-2", commandline="console=tty0"),
        ntp_servers=[partition_pb2.NTPServer(address="ntp1"), partition_pb2.NTPServer(address="ntp2")],
        labels=common_pb2.UpdateLabels(replace=common_pb2.Labels(labels={"rack": "a"}))), headers=A).partition
    assert updated.boot_configuration.commandline == "console=tty0"
    assert (updated.boot_configuration.image_url, updated.boot_configuration.kernel_url) == (
        boot.image_url, "http://images/kernel-2")
    assert [s.address for s in updated.ntp_servers] == ["ntp1", "ntp2"]
    assert [s.ip for s in updated.dns_servers] == ["1.1.1.1", "2001:4860:4860::8888"]
    assert dict(updated.meta.labels.labels) == {"rack": "a"}
    stale = refusal(lambda: clients.admin_partitions.update(admin_partition_pb2.PartitionServiceUpdateRequest(
        id=ident, update_meta=common_pb2.UpdateMeta(updated_at=read.meta.updated_at), description="x"), headers=A))
    assert stale.code == Code.ABORTED
    too_many = refusal(lambda: clients.admin_partitions.update(admin_partition_pb2.PartitionServiceUpdateRequest(
        id=ident, update_meta=common_pb2.UpdateMeta(locking_strategy=common_pb2.OPTIMISTIC_LOCKING_STRATEGY_SERVER),
        ntp_servers=[partition_pb2.NTPServer(address=f"ntp{i}") for i in range(6)]), headers=A))
    assert too_many.code == Code.INVALID_ARGUMENT
    assert "only 5 ntp servers are allowed" in too_many.message
    bad_dns = refusal(lambda: clients.admin_partitions.update(admin_partition_pb2.PartitionServiceUpdateRequest(
        id=ident, update_meta=common_pb2.UpdateMeta(locking_strategy=common_pb2.OPTIMISTIC_LOCKING_STRATEGY_SERVER),
        dns_servers=[partition_pb2.DNSServer(ip="not-an-ip")]), headers=A))
    assert bad_dns.code == Code.INVALID_ARGUMENT

    # v1 writes, v2 reads: one record
    v1_updated = httpx.post(f"{server.url}/v1/partition", headers=A, json={
        "id": ident, "bootconfig": {"imageurl": "http://images/v1.tgz"}, "mgmtserviceaddress": "v1-mgmt:1"})
    assert v1_updated.status_code == 200, v1_updated.text
    assert v1_updated.json()["bootconfig"]["kernelurl"] == "http://images/kernel-2"  # not given: kept
    again = clients.partitions.get(partition_pb2.PartitionServiceGetRequest(id=ident), headers=E).partition
    assert again.boot_configuration.image_url == "http://images/v1.tgz"
    assert list(again.mgmt_service_addresses) == ["v1-mgmt:1"]
    clients.admin_partitions.delete(admin_partition_pb2.PartitionServiceDeleteRequest(id=ident), headers=A)


def test_admin_create_refusals_in_metal_stack_words(clients: Clients) -> None:
    """Refusals whose rule v1 shares, in metal-apiserver's words and codes (v1 keeps metal-api's)."""
    second = next(_SLOTS)

    def create(**fields: Any) -> ConnectError:
        return refusal(lambda: clients.admin_networks.create(admin_network_pb2.NetworkServiceCreateRequest(
            id=f"refused-{second}", type=network_pb2.NETWORK_TYPE_SUPER, **fields), headers=A))

    missing = create(partition="no-such-partition", prefixes=[f"10.250.{second}.0/24"],
                     default_child_prefix_length=network_pb2.ChildPrefixLength(ipv4=28))
    assert missing.code == Code.FAILED_PRECONDITION
    assert missing.message == ('partition must exist before creating network: not_found: '
                               'no partition with id "no-such-partition" found')
    no_v6_length = create(prefixes=[f"10.250.{second}.0/24", f"2001:db8:fe{second:02x}::/64"],
                          default_child_prefix_length=network_pb2.ChildPrefixLength(ipv4=28))
    assert no_v6_length.code == Code.INVALID_ARGUMENT
    assert no_v6_length.message == ("a super network must always contain a default child prefix length per "
                                    "addressfamily: IPv6")
    short = create(prefixes=[f"10.250.{second}.0/24"],
                   default_child_prefix_length=network_pb2.ChildPrefixLength(ipv4=24))
    assert short.message == f"given childprefixlength 24 is not greater than prefix length of:10.250.{second}.0/24"
    external = clients.admin_networks.create(admin_network_pb2.NetworkServiceCreateRequest(
        id=f"vrf-{second}", type=network_pb2.NETWORK_TYPE_EXTERNAL, vrf=5000 + second,
        prefixes=[f"185.250.{second}.0/24"]), headers=A).network
    taken = refusal(lambda: clients.admin_networks.create(admin_network_pb2.NetworkServiceCreateRequest(
        id=f"vrf-{second}-2", type=network_pb2.NETWORK_TYPE_EXTERNAL, vrf=5000 + second,
        prefixes=[f"185.251.{second}.0/24"]), headers=A))
    assert taken.code == Code.ALREADY_EXISTS
    assert taken.message == "integer is already acquired by another"
    clients.admin_networks.delete(admin_network_pb2.NetworkServiceDeleteRequest(id=external.id), headers=A)
