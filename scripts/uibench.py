"""Web UI benchmark: how long each page takes for 1,000 networks and 100,000 IPs on the embedded SQLite.

Fills a SQLite file through the library (a partition, a dual-stack private super network with 998 child
networks of 50 IPs each, and an external network holding the remaining IPs: 1,000 networks, 100,000 IPs),
starts a real server process on it (``python -m metalnet.api``, one worker, authentication off), and
requests each page ``--rounds`` times over one keep-alive connection. Prints per page the median and the
slowest time as the client sees it (server-side rendering, the loopback round trip and reading the body),
the server process's CPU time per request (from ``/proc``: what the page costs, whatever else the machine
is doing) and the page size.

    .venv/bin/python scripts/uibench.py                      # fills a temporary file (about a minute)
    .venv/bin/python scripts/uibench.py --db /tmp/ui.db      # keeps the file; later runs reuse it
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from metalnet.network import (  # noqa: E402 - needs the repository on sys.path
    IPAllocate,
    NetworkAllocate,
    NetworkCreate,
    NetworkService,
    PartitionCreate,
    ProjectCreate,
)
from metalnet.storage import open_storage  # noqa: E402
from tests.api.live import live_server  # noqa: E402

NETWORKS = 1000
IPS = 100_000
PER_CHILD = 50
PARTITION = "bench"
PROJECT = "bench-project"
SUPER = "bench-super"
EXTERNAL = "bench-external"


def fill(db: Path) -> None:
    """1 super + 998 children + 1 external network; 50 IPs per child, the rest in the external network."""
    storage = open_storage(f"sqlite:///{db}")
    try:
        service = NetworkService(storage)
        service.create_partition(PartitionCreate(id=PARTITION))
        service.create_project(ProjectCreate(id=PROJECT))
        service.create_network(NetworkCreate(
            id=SUPER, partitionid=PARTITION, privatesuper=True, prefixes=["10.0.0.0/12", "2001:db8::/48"],
            defaultchildprefixlength={"IPv4": 24, "IPv6": 64}))
        children = [service.allocate_network(NetworkAllocate(partitionid=PARTITION, projectid=PROJECT,
                                                             name=f"child-{i}")).id
                    for i in range(NETWORKS - 2)]
        service.create_network(NetworkCreate(id=EXTERNAL, prefixes=["100.64.0.0/15"], projectid=PROJECT))
        for child in children:
            for _ in range(PER_CHILD):
                service.allocate_ip(IPAllocate(networkid=child, projectid=PROJECT))
        for _ in range(IPS - PER_CHILD * len(children)):
            service.allocate_ip(IPAllocate(networkid=EXTERNAL, projectid=PROJECT))
    finally:
        storage.close()


def first_child(url: str) -> str:
    networks = httpx.get(f"{url}/v1/network", timeout=60).json()
    return str(min(n["id"] for n in networks if n.get("parentnetworkid") == SUPER))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(client: httpx.Client, pid: int, path: str, rounds: int) -> tuple[float, float, float, int]:
    """(median ms, slowest ms, server CPU ms per request, bytes) of ``rounds`` GETs of ``path`` after a warm-up."""
    client.get(path).raise_for_status()
    times, size = [], 0
    cpu = cpu_seconds(pid)
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(path)
        response.raise_for_status()
        size = len(response.content)
        times.append((time.perf_counter() - start) * 1000)
    cpu_ms = (cpu_seconds(pid) - cpu) * 1000 / rounds
    return statistics.median(times), max(times), cpu_ms, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="SQLite file to fill (reused when it exists)")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="metalnet-uibench-") as tmp:
        db = args.db or Path(tmp) / "ui.db"
        if not db.exists():
            started = time.perf_counter()
            fill(db)
            print(f"filled {db} in {time.perf_counter() - started:.0f} s", flush=True)
        with live_server(["--db", f"sqlite:///{db}", "--log-level", "warning"], cwd=Path(tmp)) as server:
            child = first_child(server.url)
            pages = {
                "/ui/ (tree of 1,000 networks)": "/ui/",
                "/ui/?q=10.0.3.7 (search by address)": "/ui/?q=10.0.3.7",
                "/ui/network/<super> (2 maps, 998 children)": f"/ui/network/{SUPER}",
                "/ui/network/<super>?block=10.0.0.0/20 (zoomed)": f"/ui/network/{SUPER}?block=10.0.0.0/20",
                "/ui/network/<child> (50 IPs)": f"/ui/network/{child}",
                "/ui/network/<external> (50,100 IPs, page 1)": f"/ui/network/{EXTERNAL}",
                "/ui/network/<external>?after=100.64.100.0 (page ~500)":
                    f"/ui/network/{EXTERNAL}?after=100.64.100.0",
                "/ui/ipam (2,000 prefixes)": "/ui/ipam",
            }
            print(f"{'page':58} {'median':>9} {'slowest':>9} {'server CPU':>11} {'size':>8}")
            with httpx.Client(base_url=server.url, timeout=60) as client:
                for name, path in pages.items():
                    median, slowest, cpu, size = measure(client, server.pid, path, args.rounds)
                    print(f"{name:58} {median:7.1f}ms {slowest:7.1f}ms {cpu:9.1f}ms {size / 1024:6.0f}KB", flush=True)


if __name__ == "__main__":
    main()
