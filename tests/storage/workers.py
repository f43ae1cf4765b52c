"""Code that runs in child processes of the concurrency and crash tests (importable under 'spawn')."""

from __future__ import annotations

import traceback
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Barrier

from metalnet.ipam import Ipamer
from metalnet.storage import open_storage

#: the length of the child prefixes the tests acquire
CHILD_LENGTH = 28


def allocate(url: str, kind: str, cidr: str, count: int, barrier: Barrier, results: Connection) -> None:
    """Acquire ``count`` IPs (``kind="ip"``) or children of ``cidr``, all processes starting at once.

    Sends back the list of results as strings, or ``("error", traceback)``.
    """
    try:
        with open_storage(url) as storage:
            ipamer = Ipamer(storage)
            barrier.wait(timeout=60)
            if kind == "ip":
                found = [str(ipamer.acquire_ip(cidr).ip) for _ in range(count)]
            else:
                found = [ipamer.acquire_child_prefix(cidr, CHILD_LENGTH).cidr for _ in range(count)]
        results.send(found)
    except BaseException:
        results.send(("error", traceback.format_exc()))
    finally:
        results.close()


def allocate_until_killed(url: str, ip_cidr: str, parent_cidr: str, reports: Connection) -> None:
    """Acquire an IP and a child prefix in turn, forever, reporting each one after it returned."""
    with open_storage(url) as storage:
        ipamer = Ipamer(storage)
        reports.send(("ready", ""))
        while True:
            reports.send(("ip", str(ipamer.acquire_ip(ip_cidr).ip)))
            reports.send(("child", ipamer.acquire_child_prefix(parent_cidr, CHILD_LENGTH).cidr))
