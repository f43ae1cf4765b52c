"""The published metal-python client (0.45) against a real server process, HMAC authentication on.

The walk of the dual-stack proposal: partition, project, the tenant super network of tenant-super.yaml, a
child network (compared with expected-allocation.yaml), IPv4, IPv6 and a specific IP, update, find, free,
delete — checking responses and error statuses as the client sees them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from metal_python import models
from metal_python.api import HealthApi, IpApi, NetworkApi, PartitionApi, ProjectApi, VersionApi
from metal_python.driver import Driver
from metal_python.rest import ApiException

from tests.api.conftest import PARTITION, PROJECT, SUPER, example_documents
from tests.api.live import Running, live_server

KEYS = {"view": "conformance-view", "edit": "conformance-edit", "admin": "conformance-admin"}
TOKEN = "conformance-token"
pytestmark = pytest.mark.sqlite


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    workdir = tmp_path_factory.mktemp("conformance")
    args = [f"--hmac-{role}-key={key}" for role, key in KEYS.items()] + ["--token", f"view:{TOKEN}"]
    with live_server(args, cwd=workdir) as running:  # default database: ./metalnet.db in workdir
        yield running


def driver(url: str, role: str = "admin") -> Any:
    return Driver(url, None, KEYS[role], f"Metal-{role.capitalize()}").client


def status_of(call: Any) -> int:
    with pytest.raises(ApiException) as caught:
        call()
    body = json.loads(caught.value.body)
    assert body["statuscode"] == caught.value.status
    assert body["message"]
    return int(caught.value.status)


def test_dual_stack_walk_with_metal_python(server: Running) -> None:
    url = server.url
    admin, edit, view = driver(url), driver(url, "edit"), driver(url, "view")
    assert HealthApi(view).health().status == "healthy"
    assert VersionApi(view).info().name == "metalnet"

    boot = models.V1PartitionBootConfiguration(imageurl="http://images/metal.tgz")
    PartitionApi(admin).create_partition(models.V1PartitionCreateRequest(id=PARTITION, name="mini lab",
                                                                         bootconfig=boot))
    ProjectApi(admin).create_project(models.V1ProjectCreateRequest(meta=models.V1Meta(id=PROJECT), name="p"))
    assert [p.meta.id for p in ProjectApi(view).list_projects()] == [PROJECT]
    assert PartitionApi(view).find_partition(PARTITION).name == "mini lab"

    super_doc, expected = example_documents()
    networks = NetworkApi(admin)
    # the generated model insists on these; metalctl sends the same (nattype/networktype are ignored)
    required = {"destinationprefixes": [], "nat": False, "underlay": False, "nattype": "none",
                "networktype": "super"}
    super_doc = {**required, **super_doc}
    created = networks.create_network(models.V1NetworkCreateRequest(**super_doc))
    assert created.id == SUPER
    assert created.privatesuper
    assert created.vrfshared is None
    assert created.defaultchildprefixlength == {"IPv4": 22, "IPv6": 96}
    assert status_of(lambda: networks.create_network(models.V1NetworkCreateRequest(**super_doc))) == 409

    request = models.V1NetworkAllocateRequest(partitionid=PARTITION, projectid=PROJECT, name="my-node-network")
    assert status_of(lambda: NetworkApi(view).allocate_network(request)) == 403
    child = NetworkApi(edit).allocate_network(request)
    got = child.to_dict()
    for key, value in expected.items():
        if key == "consumption":
            assert got["consumption"] == value
        elif key not in ("id", "vrf"):
            assert got[key] == value, key
    assert child.vrf > 0
    assert child.networktype == "child"

    ips = IpApi(edit)
    v4 = ips.allocate_ip(models.V1IPAllocateRequest(networkid=child.id, projectid=PROJECT, type="ephemeral"))
    assert v4.ipaddress == "10.0.0.1"
    v6 = ips.allocate_ip(models.V1IPAllocateRequest(networkid=child.id, projectid=PROJECT, type="static",
                                                    addressfamily="IPv6", name="v6"))
    assert v6.ipaddress == "2001:db8:0:10::1"
    specific = ips.allocate_specific_ip("10.0.0.42", models.V1IPAllocateRequest(
        networkid=child.id, projectid=PROJECT, type="static"))
    assert specific.ipaddress == "10.0.0.42"
    taken = models.V1IPAllocateRequest(networkid=child.id, projectid=PROJECT, type="static")
    assert status_of(lambda: ips.allocate_specific_ip("10.0.0.42", taken)) == 409
    assert status_of(lambda: ips.allocate_specific_ip("192.0.2.1", taken)) == 422

    updated = ips.update_ip(models.V1IPUpdateRequest(ipaddress=v4.ipaddress, name="web", type="ephemeral",
                                                     tags=["role=web"]))
    assert updated.name == "web"
    assert updated.tags == ["role=web"]
    renamed = NetworkApi(admin).update_network(models.V1NetworkUpdateRequest(id=child.id, name="renamed"))
    assert renamed.name == "renamed"
    assert renamed.consumption.ipv4.used_ips == 4  # reserved network + broadcast, 10.0.0.1 and 10.0.0.42
    assert renamed.consumption.ipv6.used_ips == 2


def test_refusals_and_cleanup_with_metal_python(server: Running) -> None:
    url, log = server.url, server.log
    admin, edit, view = driver(url), driver(url, "edit"), driver(url, "view")
    ips, networks = IpApi(edit), NetworkApi(edit)
    child = next(n for n in NetworkApi(view).find_networks(models.V1NetworkFindRequest(projectid=PROJECT)))
    static_v6 = models.V1IPUpdateRequest(ipaddress="2001:db8:0:10::1", type="ephemeral")
    assert status_of(lambda: ips.update_ip(static_v6)) == 400
    found = IpApi(view).find_i_ps(models.V1IPFindRequest(networkid=child.id, addressfamily="IPv4"))
    assert sorted(ip.ipaddress for ip in found) == ["10.0.0.1", "10.0.0.42"]
    assert IpApi(view).find_ip("10.0.0.1").name == "web"
    assert [n.id for n in NetworkApi(view).find_networks(models.V1NetworkFindRequest(name="renamed"))] == [child.id]
    assert status_of(lambda: networks.free_network(child.id)) == 422  # IPs are still allocated
    for address in ("10.0.0.1", "10.0.0.42", "2001:db8:0:10::1"):
        assert ips.free_ip(address).ipaddress == address
    assert status_of(lambda: ips.free_ip("10.0.0.1")) == 404
    assert IpApi(view).list_i_ps() == []
    freed = networks.free_network(child.id)
    assert freed.id == child.id
    assert freed.consumption.ipv4 is None
    assert freed.consumption.ipv6 is None
    assert status_of(lambda: NetworkApi(view).find_network(child.id)) == 404
    assert status_of(lambda: NetworkApi(edit).delete_network(SUPER)) == 403
    deleted = NetworkApi(admin).delete_network(SUPER)
    assert deleted.id == SUPER
    assert NetworkApi(view).list_networks() == []
    ProjectApi(admin).delete_project(PROJECT)
    PartitionApi(admin).delete_partition(PARTITION)
    bad = Driver(url, None, "wrong-key", "Metal-Admin").client
    assert status_of(lambda: NetworkApi(bad).list_networks()) == 401
    with_token = Driver(url, TOKEN, None).client  # metal-python's bearer mode
    assert NetworkApi(with_token).list_networks() == []
    assert status_of(lambda: PartitionApi(with_token).create_partition(
        models.V1PartitionCreateRequest(id="x", bootconfig=models.V1PartitionBootConfiguration()))) == 403
    text = log.read_text()
    assert "metalnet.db" in text
    assert "default" in text
    assert '"path":"/v1/ip/allocate"' in text  # one JSON line per request
    for key in (*KEYS.values(), TOKEN):
        assert key not in text


def test_ipam_service_curl_example(server: Running) -> None:
    url = server.url
    from tests.api.conftest import hmac_headers

    headers = {"Content-Type": "application/json",
               **hmac_headers("POST", "Metal-Admin", KEYS["admin"])}
    created = httpx.post(f"{url}/api.v1.IpamService/CreatePrefix", content='{"cidr":"192.168.0.0/16"}',
                         headers=headers)
    assert created.status_code == 200
    assert created.json() == {"prefix": {"cidr": "192.168.0.0/16"}}
    acquired = httpx.post(f"{url}/api.v1.IpamService/AcquireIP", json={"prefixCidr": "192.168.0.0/16"},
                          headers=headers)
    assert acquired.json()["ip"]["ip"] == "192.168.0.1"
    unauthenticated = httpx.post(f"{url}/api.v1.IpamService/ListPrefixes", json={})
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["code"] == "unauthenticated"


def test_metal_python_reads_networks_with_reserved_ranges(server: Running) -> None:
    """metalnet's extensions (``reservedranges``, ``reserved_ips``) do not break the published client's parsing;
    a reserved address it asks for is a 409."""
    from tests.api.conftest import hmac_headers

    url, admin, edit = server.url, driver(server.url), driver(server.url, "edit")
    ProjectApi(admin).create_project(models.V1ProjectCreateRequest(meta=models.V1Meta(id="reserving"), name="r"))
    body = {"id": "reserving", "projectid": "reserving", "prefixes": ["10.30.0.0/24"],
            "reservedranges": [{"from": "10.30.0.1", "to": "10.30.0.9", "description": "gateways"}]}
    created = httpx.put(f"{url}/v1/network", json=body, headers=hmac_headers("PUT", "Metal-Admin", KEYS["admin"]))
    assert created.status_code == 201, created.text
    network = NetworkApi(edit).find_network("reserving")
    assert network.consumption.ipv4.used_ips == 2
    assert network.usage.available_ips == 256
    ips = IpApi(edit)
    request = models.V1IPAllocateRequest(networkid="reserving", projectid="reserving", type="ephemeral")
    assert ips.allocate_ip(request).ipaddress == "10.30.0.10"
    assert status_of(lambda: ips.allocate_specific_ip("10.30.0.5", request)) == 409
    ips.free_ip("10.30.0.10")
    NetworkApi(admin).delete_network("reserving")
    ProjectApi(admin).delete_project("reserving")
