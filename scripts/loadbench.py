"""Load benchmark: a mutating route (``POST /v1/ip/allocate`` by default) against a real server process.

Starts ``python -m metalnet.api`` on a free loopback port (embedded SQLite by default, ``--workers N``,
``--postgres`` for a throwaway PostgreSQL 15 cluster), creates a partition, a project, a dual-stack super
network and one child network, then runs a closed-loop load for ``--duration`` seconds: ``--procs``
generator processes, each keeping ``--connections`` keep-alive connections busy with one request at a time.
Prints requests/s, status counts and p50/p90/p99 latency (as the generator sees it, queueing included).

``--route`` picks the route (``--route list`` names them). A route that removes something (ip-free,
network-free, network-delete) runs in pairs on each connection — create, then remove what was created — and
reports the removing requests alone (their rate, latency and statuses); the creating half is in ``paired``.

    .venv/bin/python scripts/loadbench.py                  # one worker, SQLite file
    .venv/bin/python scripts/loadbench.py --route network-allocate
    .venv/bin/python scripts/loadbench.py --workers 2
    .venv/bin/python scripts/loadbench.py --postgres --workers 2

The generator is a small selector loop over raw sockets (no HTTP client library), so that the load
generator costs less CPU than the server it measures: both share the same two cores.
"""

from __future__ import annotations

import argparse
import functools
import ipaddress
import json
import multiprocessing
import os
import selectors
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scripts.servers import PostgresMissingError, live_server, throwaway_cluster  # noqa: E402 - needs the repository on sys.path

PROJECT = "bench-project"
PARTITION = "bench"
#: the partition whose private super network the network-allocate and network-free routes carve
NET_PARTITION = "bench-net"


@contextmanager
def postgres_cluster(workdir: Path) -> Iterator[str]:
    """A throwaway PostgreSQL cluster (scripts/servers.py); yields its URL."""
    try:
        with throwaway_cluster() as server:
            yield server.url("postgres")
    except PostgresMissingError as exc:
        raise SystemExit(str(exc)) from None


def _stat(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2:].split()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of the server process and its worker processes, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat(int(entry.name))[1]) == pid:
                    pids.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    total = 0.0
    for one in pids:
        try:
            fields = _stat(one)
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _setup(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 300:
        raise SystemExit(f"setup failed: {response.status_code} {response.text}")
    return response


def prepare(url: str) -> str:
    """Partition, project, a super network with room for millions of IPs, one child: its id."""
    ok = _setup
    ok(httpx.put(f"{url}/v1/partition", json={"id": PARTITION}))
    ok(httpx.put(f"{url}/v1/project", json={"meta": {"id": PROJECT}}))
    ok(httpx.put(f"{url}/v1/network", json={
        "id": "bench-super", "partitionid": PARTITION, "privatesuper": True,
        "prefixes": ["10.0.0.0/8", "2001:db8::/48"], "defaultchildprefixlength": {"IPv4": 10, "IPv6": 64},
    }))
    child = ok(httpx.post(f"{url}/v1/network/allocate", json={"partitionid": PARTITION, "projectid": PROJECT}))
    return str(child.json()["id"])


def _request(port: int, method: str, path: str, body: object = None) -> bytes:
    data = b"" if body is None else json.dumps(body).encode()
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n")
    return head.encode() + data


#: what a route's request needs: the ids ``prepare`` made, and per connection a resource of its own
class Fixture(NamedTuple):
    network: str
    #: per connection (index = generator * connections + connection): an IP or a network id to work on
    owned: list[str]


def _unique(slot: int, i: int) -> int:
    return slot * 10_000_000 + i


def next_request(route: str, port: int, fixture: Fixture, slot: int, i: int, previous: bytes) -> tuple[str, bytes]:
    """The ``i``-th request of connection ``slot`` and its label (the measured label is the route's)."""
    req = functools.partial(_request, port)
    if route == "ip-allocate":
        return route, req("POST", "/v1/ip/allocate", {"networkid": fixture.network, "projectid": PROJECT,
                                                       "type": "ephemeral"})
    if route == "ip-update":
        return route, req("POST", "/v1/ip", {"ipaddress": fixture.owned[slot], "name": f"n{i}"})
    if route == "ip-free":
        address = fixture.owned[slot]
        if i % 2 == 0:
            return "paired", req("POST", f"/v1/ip/allocate/{address}", {"networkid": fixture.network,
                                                                         "projectid": PROJECT})
        return route, req("DELETE", f"/v1/ip/free/{address}")
    if route == "network-allocate":
        return route, req("POST", "/v1/network/allocate", {"partitionid": NET_PARTITION, "projectid": PROJECT})
    if route == "network-free":
        if i % 2 == 0:
            return "paired", req("POST", "/v1/network/allocate", {"partitionid": NET_PARTITION, "projectid": PROJECT})
        return route, req("DELETE", f"/v1/network/free/{json.loads(previous)['id']}")
    if route == "network-update":
        return route, req("POST", "/v1/network", {"id": fixture.owned[slot], "name": f"n{i}"})
    if route in ("network-create", "network-delete"):
        k = _unique(slot, i // 2 if route == "network-delete" else i)
        ident = f"net-{k}"
        if route == "network-delete" and i % 2 == 1:
            return route, req("DELETE", f"/v1/network/{ident}")
        # a /30 of 100.64.0.0/10 and a /64 of 2001:db8:ff00::/40 of its own for every request
        v4 = ipaddress.ip_network("100.64.0.0/10")[(k % (1 << 20)) * 4]
        v6 = ipaddress.ip_network("2001:db8:ff00::/40")[(k % (1 << 24)) << 64]
        body = {"id": ident, "partitionid": PARTITION, "prefixes": [f"{v4}/30", f"{v6}/64"]}
        return ("paired" if route == "network-delete" else route), req("PUT", "/v1/network", body)
    if route == "partition-create":
        return route, req("PUT", "/v1/partition", {"id": f"part-{_unique(slot, i)}"})
    if route == "project-create":
        return route, req("PUT", "/v1/project", {"meta": {"id": f"proj-{_unique(slot, i)}"}})
    raise SystemExit(f"unknown route {route!r}; one of: {', '.join(ROUTES)}")


ROUTES = ("ip-allocate", "ip-update", "ip-free", "network-allocate", "network-free", "network-create",
          "network-update", "network-delete", "partition-create", "project-create")


def generate(port: int, route: str, fixture: Fixture, first_slot: int, connections: int, start_at: float,
             stop_at: float, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """One generator process: ``connections`` keep-alive sockets, one request in flight on each."""
    sel = selectors.DefaultSelector()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    other: dict[int, int] = {}
    buffers: dict[socket.socket, bytearray] = {}
    sent_at: dict[socket.socket, float] = {}
    slots: dict[socket.socket, int] = {}
    counts: dict[socket.socket, int] = {}
    labels: dict[socket.socket, str] = {}

    def send(sock: socket.socket, previous: bytes) -> None:
        labels[sock], request = next_request(route, port, fixture, slots[sock], counts[sock], previous)
        counts[sock] += 1
        sent_at[sock] = time.perf_counter()
        sock.send(request)

    while time.time() < start_at:
        time.sleep(0.005)
    for index in range(connections):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        buffers[sock] = bytearray()
        slots[sock], counts[sock] = first_slot + index, 0
        sel.register(sock, selectors.EVENT_READ)
        send(sock, b"")
    while time.time() < stop_at:
        for key, _ in sel.select(timeout=0.5):
            sock = key.fileobj  # type: ignore[assignment]
            chunk = sock.recv(65536)
            if not chunk:
                raise SystemExit("server closed a connection")
            buf = buffers[sock]
            buf += chunk
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                continue
            head = bytes(buf[:end]).lower()
            length_at = head.find(b"content-length:")
            length = int(head[length_at + 15:head.find(b"\r\n", length_at) if head.find(b"\r\n", length_at) > 0
                              else None]) if length_at >= 0 else 0
            if len(buf) < end + 4 + length:
                continue
            status = int(head[9:12])
            if labels[sock] == route:
                latencies.append(time.perf_counter() - sent_at[sock])
                statuses[status] = statuses.get(status, 0) + 1
            else:
                other[status] = other.get(status, 0) + 1
            body = bytes(buf[end + 4: end + 4 + length])
            del buf[: end + 4 + length]
            send(sock, body)
    results.put((latencies, statuses, other))


def _batch_stats(metrics: str) -> float | None:
    """Mean group-commit batch size, from the metrics of the worker that answered the scrape."""
    values = {}
    for line in metrics.splitlines():
        for name in ("metalnet_ip_allocation_batch_size_sum", "metalnet_ip_allocation_batch_size_count"):
            if line.startswith(name + " "):
                values[name] = float(line.split()[1])
    count = values.get("metalnet_ip_allocation_batch_size_count", 0.0)
    return round(values["metalnet_ip_allocation_batch_size_sum"] / count, 1) if count else None


def percentile(values: list[float], fraction: float) -> float:
    return values[min(len(values) - 1, int(fraction * len(values)))]


def fixture_for(route: str, url: str, network: str, slots: int) -> Fixture:
    """What ``route`` needs besides ``prepare``'s network: a resource of its own per connection."""
    if route in ("network-allocate", "network-free"):
        _setup(httpx.put(f"{url}/v1/partition", json={"id": NET_PARTITION}))
        _setup(httpx.put(f"{url}/v1/network", json={
            "id": "bench-net-super", "partitionid": NET_PARTITION, "privatesuper": True,
            "prefixes": ["172.16.0.0/12", "2001:db8:1::/48"], "defaultchildprefixlength": {"IPv4": 28, "IPv6": 64},
        }))
    owned: list[str] = []
    for slot in range(slots):
        if route == "ip-update":
            owned.append(_setup(httpx.post(f"{url}/v1/ip/allocate", json={"networkid": network,
                                                                          "projectid": PROJECT})).json()["ipaddress"])
        elif route == "ip-free":
            owned.append(str(ipaddress.ip_network(_prefix_of(url, network))[1000 + slot]))
        elif route == "network-update":
            owned.append(_setup(httpx.put(f"{url}/v1/network", json={
                "id": f"upd-{slot}", "partitionid": PARTITION, "prefixes": [f"192.168.{slot}.0/24"]})).json()["id"])
    return Fixture(network, owned)


def _prefix_of(url: str, network: str) -> str:
    prefixes = httpx.get(f"{url}/v1/network/{network}").json()["prefixes"]
    return str(next(p for p in prefixes if ":" not in p))


def run(args: argparse.Namespace, url: str, pid: int) -> dict[str, object]:
    network = prepare(url)
    port = int(url.rsplit(":", 1)[1])
    fixture = fixture_for(args.route, url, network, args.procs * args.connections)
    results: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    start_at = time.time() + 1.0
    stop_at = start_at + args.duration
    procs = [multiprocessing.Process(target=generate, args=(port, args.route, fixture, n * args.connections,
                                                            args.connections, start_at, stop_at, results))
             for n in range(args.procs)]
    for proc in procs:
        proc.start()
    time.sleep(max(0.0, start_at - time.time()))
    cpu_before = cpu_seconds(pid)
    time.sleep(max(0.0, stop_at - time.time()))
    cpu_used = cpu_seconds(pid) - cpu_before
    gathered = [results.get(timeout=args.duration + 60) for _ in procs]
    for proc in procs:
        proc.join()
    latencies = sorted(value for part, _, _ in gathered for value in part)
    statuses: dict[int, int] = {}
    paired: dict[int, int] = {}
    for _, part, other in gathered:
        for status, count in part.items():
            statuses[status] = statuses.get(status, 0) + count
        for status, count in other.items():
            paired[status] = paired.get(status, 0) + count
    total = len(latencies)
    check = httpx.get(f"{url}/v1/network/{network}").json()["consumption"]["ipv4"]["used_ips"]
    batches = _batch_stats(httpx.get(f"{url}/metrics").text)
    return {
        "route": args.route, "requests": total, "seconds": args.duration, "req_per_s": round(total / args.duration),
        "statuses": statuses, **({"paired": paired} if paired else {}),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p90_ms": round(percentile(latencies, 0.90) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "ips_counted_by_server": check - 2,
        "server_cpu_s": round(cpu_used, 2),
        "mean_batch": batches,
        "server_cpu_us_per_request": round(cpu_used / max(total, 1) * 1e6),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--route", default="ip-allocate", choices=ROUTES, help="route to load (default ip-allocate)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load (default 10)")
    parser.add_argument("--procs", type=int, default=1, help="load generator processes (default 1)")
    parser.add_argument("--connections", type=int, default=16, help="connections per generator (default 16)")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster instead of SQLite")
    parser.add_argument("--db", help="a storage URL instead (the store must be empty)")
    parser.add_argument("--log-level", default="info", help="server log level (info logs every request)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="metalnet-bench-") as tmp:
        workdir = Path(tmp)
        store = postgres_cluster(workdir) if args.postgres else _nothing(f"sqlite:///{workdir / 'bench.db'}")
        with store as db, live_server(["--db", args.db or db, "--workers", str(args.workers), "--log-level",
                                       args.log_level], cwd=workdir, startup_seconds=60) as running:
            result = run(args, running.url, running.pid)
    result.update(workers=args.workers, backend="postgres" if args.postgres else (args.db or "sqlite"),
                  generators=args.procs, connections=args.procs * args.connections, log_level=args.log_level)
    print(json.dumps(result))


@contextmanager
def _nothing(value: str) -> Iterator[str]:
    yield value


if __name__ == "__main__":
    main()
