"""The history of the network layer and the IPAM core on every backend: one event per change, written in the
transaction of the change — a change that rolls back leaves no event, and an event never exists without its
change (fault injection on both sides)."""

from __future__ import annotations

import msgspec
import pytest

from metalnet.history import Actor, Principal, acting_as
from metalnet.history.model import decode, wire
from metalnet.history.recorder import History
from metalnet.ipam import Ipamer
from metalnet.network import (
    IPAllocate,
    IPRequest,
    IPUpdate,
    NetworkAllocate,
    NetworkError,
    NetworkFind,
    NetworkService,
    PartitionCreate,
    PartitionUpdate,
    ProjectCreate,
)
from metalnet.storage import Storage
from tests.network.support import PARTITION, PROJECT, tenant_super


class BoomError(Exception):
    pass


@pytest.fixture
def history_service(storage: Storage) -> NetworkService:
    service = NetworkService(storage, history=History(clock=lambda: 1_700_000_000.0))
    service.create_partition(PartitionCreate(id=PARTITION, name="mini lab"))
    service.create_project(ProjectCreate(id=PROJECT, name="proposal"))
    service.create_network(tenant_super())
    return service


def changes(storage: Storage, after: int = 0) -> list[tuple[int, str, str, str]]:
    return [(e.seq, e.kind, e.ident, decode(wire(e.seq, e.at, e.body)).action)
            for e in storage.read_events(after, 1000)]


def test_each_operation_records_one_event_with_its_states(history_service: NetworkService) -> None:
    service, storage = history_service, history_service.storage
    child = service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT, name="n"))
    with acting_as(Actor(Principal("Metal-Edit", "edit"), "POST /v1/ip/allocate")):
        ip = service.allocate_ip(IPAllocate(networkid=child.id, projectid=PROJECT))
    service.update_ip(IPUpdate(ipaddress=ip.ipaddress, name="web"))
    service.free_ip(ip.ipaddress)
    service.update_partition(PartitionUpdate(id=PARTITION, description="changed"))
    service.free_network(child.id)
    assert changes(storage, 3) == [
        (4, "network", child.id, "allocate"),
        (5, "ip", ip.ipaddress, "allocate"),
        (6, "ip", ip.ipaddress, "update"),
        (7, "ip", ip.ipaddress, "free"),
        (8, "partition", PARTITION, "update"),
        (9, "network", child.id, "free"),
    ]
    stored = storage.read_events(4, 1)[0]
    allocated = msgspec.json.decode(wire(stored.seq, stored.at, stored.body))
    assert allocated["principal"] == {"name": "Metal-Edit", "role": "edit"}
    assert allocated["route"] == "POST /v1/ip/allocate"
    assert allocated["at"] == "2023-11-14T22:13:20.000000Z"
    assert allocated["after"]["networkid"] == child.id
    assert allocated["before"] is None
    stored = storage.read_events(5, 1)[0]
    updated = msgspec.json.decode(wire(stored.seq, stored.at, stored.body))
    assert (updated["before"]["name"], updated["after"]["name"]) == ("", "web")
    assert updated["principal"] == {"name": "local"}
    assert updated["route"] == ""


def test_a_change_that_rolls_back_leaves_no_event(history_service: NetworkService) -> None:
    service, storage = history_service, history_service.storage
    child = service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT))
    ip = service.allocate_ip(IPAllocate(networkid=child.id, projectid=PROJECT))
    empty = service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT))
    newest = storage.event_bounds().newest

    def fail_after_the_event() -> None:
        raise BoomError("after the event was appended")

    # the free and its event are written, then the transaction fails: both roll back
    history = service.history
    assert history is not None
    history.listeners.append(fail_after_the_event)
    with pytest.raises(BoomError):
        service.free_ip(ip.ipaddress)
    with pytest.raises(BoomError):
        service.free_network(empty.id)
    history.listeners.remove(fail_after_the_event)
    with pytest.raises(NetworkError):
        service.free_ip(ip.ipaddress, acting_for="another-project")  # refused: no change, no event
    with pytest.raises(NetworkError):
        service.allocate_ip(IPAllocate(networkid=child.id, projectid="nobody"))
    assert storage.event_bounds().newest == newest
    assert service.get_ip(ip.ipaddress).ipaddress == ip.ipaddress
    assert service.get_network(empty.id).id == empty.id
    # the numbers the rolled-back transactions would have taken are not lost: the next change has newest + 1
    service.free_ip(ip.ipaddress)
    assert changes(storage, newest) == [(newest + 1, "ip", ip.ipaddress, "free")]


def test_an_event_never_exists_without_its_change(storage: Storage) -> None:
    """A failing history fails the change: no event without the change, and no change without its event."""
    ticks = iter([1.0, 2.0, 3.0])

    def clock() -> float:
        try:
            return next(ticks)
        except StopIteration:
            raise BoomError("clock") from None

    service = NetworkService(storage, history=History(clock=clock))
    service.create_partition(PartitionCreate(id=PARTITION))
    service.create_project(ProjectCreate(id=PROJECT))
    service.create_network(tenant_super())
    with pytest.raises(BoomError):
        service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT))
    assert service.find_networks(NetworkFind(projectid=PROJECT)) == []
    assert [kind for _, kind, _, _ in changes(storage)] == ["partition", "project", "network"]


def test_ipam_changes_are_events_and_refusals_are_not(storage: Storage) -> None:
    ipam = Ipamer(storage, history=History())
    prefix = ipam.new_prefix("10.0.0.0/16")
    ip = ipam.acquire_ip(prefix.cidr)
    ipam.acquire_specific_ip(prefix.cidr, "10.0.0.9")
    ipam.release_ip(ip)
    with pytest.raises(Exception, match=r"10\.0\.0\.9"):
        ipam.acquire_specific_ip(prefix.cidr, "10.0.0.9")
    ipam.release_ip_from_prefix(prefix.cidr, "10.0.0.9")
    child = ipam.acquire_child_prefix("10.0.0.0/16", 24)
    ipam.release_child_prefix(child)
    ipam.create_namespace("tenant")
    ipam.delete_namespace("tenant")
    ipam.delete_prefix(prefix.cidr)
    assert [(kind, ident, action) for _, kind, ident, action in changes(storage)] == [
        ("prefix", "10.0.0.0/16", "create"),
        ("ipam-ip", "10.0.0.1", "acquire"),
        ("ipam-ip", "10.0.0.9", "acquire"),
        ("ipam-ip", "10.0.0.1", "release"),
        ("ipam-ip", "10.0.0.9", "release"),
        ("child-prefix", child.cidr, "acquire"),
        ("child-prefix", child.cidr, "release"),
        ("namespace", "tenant", "create"),
        ("namespace", "tenant", "delete"),
        ("prefix", "10.0.0.0/16", "delete"),
    ]


def test_without_a_history_nothing_is_recorded(storage: Storage) -> None:
    service = NetworkService(storage)
    service.create_partition(PartitionCreate(id=PARTITION))
    Ipamer(storage).new_prefix("10.0.0.0/16")
    assert storage.event_bounds().newest == 0


def test_a_batch_records_the_events_its_requests_would_alone(history_service: NetworkService) -> None:
    """Group commit and bulk: one ``ip allocate`` event per IP, in request order, with the actor and the states
    one allocation at a time records (the events' bodies alike but for the allocation ids)."""
    service, storage = history_service, history_service.storage
    child = service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT, name="n"))
    first = storage.read_events(0, 1000)[-1].seq
    actor = Actor(Principal("Metal-Edit", "edit"), "POST /v1/ip/allocate")
    with acting_as(actor):
        batched = service.allocate_ips([IPRequest(IPAllocate(networkid=child.id, projectid=PROJECT, name=f"ip{i}"))
                                        for i in range(3)])
        (alone,) = [service.allocate_ip(IPAllocate(networkid=child.id, projectid=PROJECT, name="ip3"))]
        bulk = service.allocate_ip_bulk(IPAllocate(networkid=child.id, projectid=PROJECT, name="bulk"), 2)
    ips = [*batched, alone, *bulk]
    assert all(not isinstance(ip, NetworkError) for ip in ips)
    events = storage.read_events(first, 1000)
    assert [(e.kind, e.ident, e.project) for e in events] == [("ip", ip.ipaddress, PROJECT) for ip in ips]
    bodies = [decode(wire(e.seq, e.at, e.body)) for e in events]
    assert {(b.action, b.principal.name, b.route) for b in bodies} == {
        ("allocate", "Metal-Edit", "POST /v1/ip/allocate")}
    for body, ip in zip(bodies, ips, strict=True):
        assert body.before is None or bytes(body.before) == b"null"
        assert msgspec.json.decode(bytes(body.after))["ipaddress"] == ip.ipaddress
    # a batched event is the one of a single allocation of the same record
    single = msgspec.json.decode(events[3].body)
    batch = msgspec.json.decode(events[0].body)
    assert set(single) == set(batch)
    assert set(single["after"]) == set(batch["after"])
