"""Measurements of the RethinkDB backend (not a test: figures depend on the machine).

``python -m tests.rethinkdb.bench_rethinkdb URL WHAT [N]`` with WHAT one of

- ``acquire N``: acquire-IP/s from one process, one thread, hard durability (N acquisitions);
- ``threads N T``: the same from T threads of one process (group commit);
- ``processes N P``: P processes × N acquisitions in one prefix, aggregate per second;
- ``fill N``: µs per acquire-IP for the first and the last 2,000 of N (late/early);
- ``startup N``: allocate N IPs through the network layer (an IP record each; 1,000 per transaction, so
  that filling is quick), write a snapshot, then start a fresh process and report its start-up time and
  peak resident memory.

URL names an empty database, e.g. ``rethinkdb://127.0.0.1:28015/bench1``.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from metalnet.ipam import Ipamer
from metalnet.ipam.session import IpamSession
from metalnet.network import IPAllocate, NetworkCreate, NetworkService, PartitionCreate, ProjectCreate, ips
from metalnet.network.vrf import DEFAULT_RANGE
from metalnet.network.work import Work
from metalnet.storage import open_storage
from metalnet.storage.rethinkdb.config import RethinkConfig, parse_url
from metalnet.storage.rethinkdb.conn import r
from metalnet.storage.rethinkdb.storage import RethinkStorage
from tests.rethinkdb import worker
from tests.rethinkdb.support import REPO

PREFIX = "10.0.0.0/8"


def acquire(url: str, count: int) -> None:
    """acquire-IP/s from one thread, next to the server's own rate of the one durable insert each costs."""
    with open_storage(url) as storage:
        ipam = Ipamer(storage)
        ipam.new_prefix(PREFIX)
        start = time.perf_counter()
        for _ in range(count):
            ipam.acquire_ip(PREFIX)
        elapsed = time.perf_counter() - start
        raw = _raw_inserts(parse_url(url), count)
    print(f"one thread: {count / elapsed:,.0f} acquire-IP/s ({elapsed / count * 1e3:.2f} ms each)")
    print(f"the server's sequential hard-durability inserts of a log-sized document, same run: {raw:,.0f}/s "
          f"(metalnet reaches {count / elapsed / raw:.0%} of it)")


def _raw_inserts(config: RethinkConfig, count: int) -> float:
    """Inserts per second into a scratch table (what one commit costs at the least), one at a time."""
    (host, port), = config.hosts[:1]
    with r.connect(host=host, port=port, user=config.user, password=config.password) as conn:
        if "bench_raw" not in r.db(config.db).table_list().run(conn):
            r.db(config.db).table_create("bench_raw").run(conn)
        table = r.db(config.db).table("bench_raw")
        document = {"nonce": "0" * 16, "effects": "x" * 200, "by": "bench"}
        start = time.perf_counter()
        for number in range(count):
            table.insert({"id": number, **document}, conflict="error", durability="hard").run(conn)
        elapsed = time.perf_counter() - start
        r.db(config.db).table_drop("bench_raw").run(conn)
    return count / elapsed


def threads(url: str, count: int, workers: int) -> None:
    with open_storage(url) as storage:
        assert isinstance(storage, RethinkStorage)
        ipam = Ipamer(storage)
        ipam.new_prefix(PREFIX)
        before = storage.head
        pool = [
            threading.Thread(target=lambda: [ipam.acquire_ip(PREFIX) for _ in range(count)]) for _ in range(workers)
        ]
        start = time.perf_counter()
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        elapsed = time.perf_counter() - start
        entries = storage.head - before
    total = count * workers
    print(f"{workers} threads: {total / elapsed:,.0f} acquire-IP/s, {total / entries:.1f} per log entry")


def processes(url: str, count: int, workers: int) -> None:
    with open_storage(url) as storage:
        Ipamer(storage).new_prefix(PREFIX)
    code = (
        "import sys, time; from metalnet.storage import open_storage; from metalnet.ipam import Ipamer; "
        "i = Ipamer(open_storage(sys.argv[1])); print('ready', flush=True); sys.stdin.readline(); "
        "[i.acquire_ip(sys.argv[2]) for _ in range(int(sys.argv[3]))]"
    )
    command = [sys.executable, "-c", code, url, PREFIX, str(count)]
    pool = [
        subprocess.Popen(command, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(workers)
    ]
    for each in pool:
        assert each.stdout is not None
        each.stdout.readline()
    start = time.perf_counter()
    for each in pool:
        assert each.stdin is not None
        each.stdin.write("go\n")
        each.stdin.close()
    for each in pool:
        each.wait()
    elapsed = time.perf_counter() - start
    with open_storage(url) as storage:
        acquired = Ipamer(storage).prefix_usage(PREFIX).acquired_ips - 2
    assert acquired == count * workers, acquired
    print(f"{workers} processes: {acquired / elapsed:,.0f} acquire-IP/s in total")


def fill(url: str, count: int) -> None:
    window = 2_000
    with open_storage(url) as storage:
        ipam = Ipamer(storage)
        ipam.new_prefix(PREFIX)
        times = []
        for _ in range(count):
            start = time.perf_counter()
            ipam.acquire_ip(PREFIX)
            times.append(time.perf_counter() - start)
    early, late = sum(times[:window]) / window, sum(times[-window:]) / window
    print(f"fill {count:,}: early {early * 1e6:,.0f} µs, late {late * 1e6:,.0f} µs, late/early {late / early:.2f}")


def startup(url: str, count: int) -> None:
    """Start-up time and memory of a process whose store holds ``count`` IPs (network-layer records)."""
    with open_storage(url) as storage:
        assert isinstance(storage, RethinkStorage)
        service = NetworkService(storage)
        service.create_partition(PartitionCreate(id="bench", name="bench"))
        service.create_project(ProjectCreate(id=worker.PROJECT, name="bench"))
        service.create_network(
            NetworkCreate(id="bench", partitionid="bench", projectid=worker.PROJECT, prefixes=[PREFIX])
        )
        request = IPAllocate(networkid="bench", projectid=worker.PROJECT)
        for done in range(0, count, 1_000):
            batch = min(1_000, count - done)  # many per transaction, so that filling is quick
            storage.run(
                lambda tx, batch=batch: [
                    ips.allocate_ip(Work.open(tx, IpamSession, DEFAULT_RANGE), request) for _ in range(batch)
                ]
            )
        storage.snapshot()
    code = (
        "import resource, sys, time; t = time.perf_counter(); from metalnet.storage import open_storage; "
        "s = open_storage(sys.argv[1]); e = time.perf_counter() - t; "
        "from metalnet.ipam import Ipamer; from metalnet.ipam.namespaces import NETWORK_NAMESPACE; "
        "u = Ipamer(s).prefix_usage(sys.argv[2], namespace=NETWORK_NAMESPACE); "
        "print(f'{e:.2f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} {u.acquired_ips - 2}')"
    )
    out = subprocess.run([sys.executable, "-c", code, url, PREFIX], cwd=REPO, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"the fresh process failed:\n{out.stderr}")
    seconds, rss, acquired = out.stdout.split()
    assert int(acquired) == count, out.stdout + out.stderr
    print(f"{count:,} allocated IPs: start-up {seconds} s (imports included), peak RSS {rss} MiB")


def main(argv: list[str]) -> None:
    url, what, numbers = argv[0], argv[1], [int(n) for n in argv[2:]]
    {"acquire": acquire, "threads": threads, "processes": processes, "fill": fill, "startup": startup}[what](
        url, *numbers
    )


if __name__ == "__main__":
    main(sys.argv[1:])
