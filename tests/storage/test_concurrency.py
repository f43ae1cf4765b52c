"""Several OS processes allocate from one prefix at once: nothing is handed out twice, counters add up."""

from __future__ import annotations

import multiprocessing

import pytest

from metalnet.ipam import Ipamer
from metalnet.storage import open_storage
from tests.storage import workers

pytestmark = pytest.mark.slow

PROCESSES = 8
PER_PROCESS = 500


def run_workers(url: str, kind: str, cidr: str) -> list[str]:
    """Start the workers, let them go at once, and return every result they report."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    pipes, processes = [], []
    for _ in range(PROCESSES):
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=workers.allocate, args=(url, kind, cidr, PER_PROCESS, barrier, sender))
        process.start()
        sender.close()
        pipes.append(receiver)
        processes.append(process)
    reports = [pipe.recv() for pipe in pipes]
    for process in processes:
        process.join(timeout=60)
    errors = [report[1] for report in reports if isinstance(report, tuple)]
    assert errors == [], errors[0]
    assert [process.exitcode for process in processes] == [0] * PROCESSES
    return [item for report in reports for item in report]


def test_processes_acquiring_ips_of_one_prefix_never_share_one(sql_url: str) -> None:
    with open_storage(sql_url) as storage:
        Ipamer(storage).new_prefix("10.0.0.0/16")
    found = run_workers(sql_url, "ip", "10.0.0.0/16")
    assert len(found) == PROCESSES * PER_PROCESS
    assert len(set(found)) == len(found)
    with open_storage(sql_url) as storage:
        usage = Ipamer(storage).prefix_usage("10.0.0.0/16")
    assert usage.acquired_ips == len(found) + 2  # plus network and broadcast, reserved at creation
    # the allocator hands out the lowest free address: together the processes used a contiguous block
    assert sorted(found, key=lambda ip: tuple(map(int, ip.split(".")))) == [
        f"10.0.{n // 256}.{n % 256}" for n in range(1, len(found) + 1)
    ]


def test_processes_acquiring_children_of_one_parent_never_share_one(sql_url: str) -> None:
    with open_storage(sql_url) as storage:
        Ipamer(storage).new_prefix("10.64.0.0/12")
    found = run_workers(sql_url, "child", "10.64.0.0/12")
    assert len(found) == PROCESSES * PER_PROCESS
    assert len(set(found)) == len(found)
    with open_storage(sql_url) as storage:
        ipamer = Ipamer(storage)
        usage = ipamer.prefix_usage("10.64.0.0/12")
        children = [p.cidr for p in ipamer.list_prefixes() if p.parent_cidr == "10.64.0.0/12"]
    assert usage.acquired_prefixes == len(found)
    assert sorted(children) == sorted(found)
