"""A partition's boot configuration, DNS and NTP servers and management addresses (stored on every backend)."""

from __future__ import annotations

from metalnet.network import (
    BootConfiguration,
    ErrorKind,
    LabelChange,
    NetworkService,
    PartitionCreate,
    PartitionUpdate,
)
from metalnet.storage import Storage
from tests.network.support import unchanged

BOOT = BootConfiguration(imageurl="http://i/metal.tgz", kernelurl="http://i/kernel", commandline="console=ttyS0")


def test_boot_and_servers_are_stored_and_updated(service: NetworkService, storage: Storage) -> None:
    created = service.create_partition(PartitionCreate(
        id="p1", bootconfig=BOOT, dns_servers=["1.1.1.1", "2001:4860:4860:0::8888"], ntp_servers=["pool.ntp.org"],
        mgmt_service_addresses=["mgmt:8080"]))
    assert created.dns_servers == ["1.1.1.1", "2001:4860:4860::8888"]  # canonical
    assert service.get_partition("p1") == created
    updated = service.update_partition(PartitionUpdate(
        id="p1", bootconfig=BootConfiguration(commandline="console=tty0"), ntp_servers=["a", "b"],
        label_change=LabelChange(replace={"rack": "r1"})))
    assert updated.bootconfig == BootConfiguration(imageurl=BOOT.imageurl, kernelurl=BOOT.kernelurl,
                                                   commandline="console=tty0")
    assert (updated.ntp_servers, updated.dns_servers, updated.mgmt_service_addresses) == (
        ["a", "b"], created.dns_servers, ["mgmt:8080"])
    assert updated.labels == {"rack": "r1"}
    assert service.get_partition("p1") == updated


def test_server_limits(service: NetworkService, storage: Storage) -> None:
    service.create_partition(PartitionCreate(id="p1"))
    unchanged(storage, ErrorKind.INVALID, "only 3 dns servers are allowed",
              lambda: service.update_partition(PartitionUpdate(id="p1", dns_servers=["1.1.1.1"] * 4)))
    unchanged(storage, ErrorKind.INVALID, 'dns server "dns.example" is not a valid ip address',
              lambda: service.update_partition(PartitionUpdate(id="p1", dns_servers=["dns.example"])))
    unchanged(storage, ErrorKind.INVALID, "only 5 ntp servers are allowed",
              lambda: service.create_partition(PartitionCreate(id="p2", ntp_servers=["n"] * 6)))
