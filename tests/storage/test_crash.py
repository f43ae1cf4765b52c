"""Crash safety and restart: what a killed process reported as done is there after a reopen, whole."""

from __future__ import annotations

import ipaddress
import multiprocessing
import os
import signal
import time

import pytest

from metalnet.ipam import AlreadyAllocatedError, Ipamer, IpamSession
from metalnet.storage import Transaction, open_storage
from tests.kill_points import kill_points
from tests.storage import workers

pytestmark = pytest.mark.slow

IP_PREFIX = "10.0.0.0/16"
PARENT = "10.64.0.0/12"


def kill_while_allocating(url: str, at_least: int, test: str) -> dict[str, list[str]]:
    """Run an allocating child, SIGKILL it at a random moment after ``at_least`` reports, return its reports.

    The moment is drawn from a seed the test prints (:mod:`tests.kill_points`), so a failure can be replayed.
    """
    moments = kill_points(test)
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=workers.allocate_until_killed, args=(url, IP_PREFIX, PARENT, sender))
    child.start()
    sender.close()
    reported: dict[str, list[str]] = {"ip": [], "child": []}
    assert receiver.poll(60), "the child did not start"
    assert receiver.recv() == ("ready", "")
    kill_at = at_least + moments.randrange(200)
    deadline = time.monotonic() + 60
    while len(reported["ip"]) + len(reported["child"]) < kill_at:
        assert time.monotonic() < deadline, f"the child stopped reporting: {reported}"
        assert receiver.poll(10), "the child stopped reporting"
        kind, value = receiver.recv()
        reported[kind].append(value)
    time.sleep(moments.uniform(0, 0.005))  # land the kill anywhere inside the next transaction
    assert child.pid is not None
    os.kill(child.pid, signal.SIGKILL)
    child.join(timeout=30)
    assert child.exitcode == -signal.SIGKILL
    while receiver.poll(0):  # reports already in the pipe when the kill landed
        try:
            kind, value = receiver.recv()
        except EOFError:
            break
        reported[kind].append(value)
    return reported


@pytest.mark.parametrize("round_", range(2))
def test_every_reported_allocation_survives_sigkill_and_counters_match(
    sql_url: str, round_: int, request: pytest.FixtureRequest
) -> None:
    with open_storage(sql_url) as storage:
        ipamer = Ipamer(storage)
        ipamer.new_prefix(IP_PREFIX)
        ipamer.new_prefix(PARENT)
    reported = kill_while_allocating(sql_url, at_least=50, test=request.node.nodeid)

    with open_storage(sql_url) as storage:
        ipamer = Ipamer(storage)
        for ip in reported["ip"]:
            with pytest.raises(AlreadyAllocatedError):
                ipamer.acquire_specific_ip(IP_PREFIX, ip)
        for child in reported["child"]:
            with pytest.raises(AlreadyAllocatedError):
                ipamer.acquire_specific_child_prefix(PARENT, child)

        usage = ipamer.prefix_usage(IP_PREFIX)
        acquired = storage.run(_acquired_addresses, readonly=True)
        assert usage.acquired_ips == len(acquired)  # the counter agrees with the stored ranges
        # acquired = network + broadcast + what was reported + at most the one transaction in flight
        unreported = acquired - {int(ipaddress.ip_address(ip)) for ip in reported["ip"]} - _reserved()
        assert len(unreported) <= 1
        assert len(acquired) - 2 - len(reported["ip"]) == len(unreported)

        children = {p.cidr for p in ipamer.list_prefixes() if p.parent_cidr == PARENT}
        assert ipamer.prefix_usage(PARENT).acquired_prefixes == len(children)
        assert set(reported["child"]) <= children
        assert len(children - set(reported["child"])) <= 1


def _reserved() -> set[int]:
    network = ipaddress.ip_network(IP_PREFIX)
    return {int(network.network_address), int(network.broadcast_address)}


def _acquired_addresses(tx: Transaction) -> set[int]:
    ranges = IpamSession(tx).acquired_ip_ranges(IP_PREFIX)
    return {address for first, last in ranges for address in range(first, last + 1)}


def test_state_survives_close_and_reopen(sql_url: str) -> None:
    with open_storage(sql_url) as storage:
        ipamer = Ipamer(storage)
        ipamer.new_prefix("10.0.0.0/24")
        ipamer.new_prefix("2001:db8::/48")
        first_ips = [str(ipamer.acquire_ip("10.0.0.0/24").ip) for _ in range(3)]
        child = ipamer.acquire_child_prefix("2001:db8::/48", 64).cidr
        ipamer.release_ip_from_prefix("10.0.0.0/24", first_ips[1])

    with open_storage(sql_url) as storage:
        ipamer = Ipamer(storage)
        assert sorted(ipamer.read_all_prefix_cidrs()) == sorted(["10.0.0.0/24", "2001:db8::/48", child])
        assert ipamer.prefix_usage("10.0.0.0/24").acquired_ips == 2 + 2
        # the released address is the lowest free one again; the others stay taken
        assert str(ipamer.acquire_ip("10.0.0.0/24").ip) == first_ips[1]
        assert str(ipamer.acquire_ip("10.0.0.0/24").ip) == "10.0.0.4"
        assert ipamer.acquire_child_prefix("2001:db8::/48", 64).cidr != child
