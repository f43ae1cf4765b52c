"""Load benchmark: ``POST /v1/ip/allocate`` against a real server process, load from other processes.

Starts ``python -m metalnet.api`` on a free loopback port (embedded SQLite by default, ``--workers N``,
``--postgres`` for a throwaway PostgreSQL 15 cluster), creates a partition, a project, a dual-stack super
network and one child network, then runs a closed-loop load for ``--duration`` seconds: ``--procs``
generator processes, each keeping ``--connections`` keep-alive connections busy with one request at a time.
Prints requests/s, status counts and p50/p90/p99 latency (as the generator sees it, queueing included).

    .venv/bin/python scripts/loadbench.py                  # one worker, SQLite file
    .venv/bin/python scripts/loadbench.py --workers 2
    .venv/bin/python scripts/loadbench.py --postgres --workers 2

The generator is a small selector loop over raw sockets (no HTTP client library), so that the load
generator costs less CPU than the server it measures: both share the same two cores.
"""

from __future__ import annotations

import argparse
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

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scripts.servers import PostgresMissingError, live_server, throwaway_cluster  # noqa: E402 - needs the repository on sys.path

PROJECT = "bench-project"
PARTITION = "bench"


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


def prepare(url: str) -> str:
    """Partition, project, a super network with room for millions of IPs, one child: its id."""
    def ok(response: httpx.Response) -> httpx.Response:
        if response.status_code >= 300:
            raise SystemExit(f"setup failed: {response.status_code} {response.text}")
        return response

    ok(httpx.put(f"{url}/v1/partition", json={"id": PARTITION}))
    ok(httpx.put(f"{url}/v1/project", json={"meta": {"id": PROJECT}}))
    ok(httpx.put(f"{url}/v1/network", json={
        "id": "bench-super", "partitionid": PARTITION, "privatesuper": True,
        "prefixes": ["10.0.0.0/8", "2001:db8::/48"], "defaultchildprefixlength": {"IPv4": 10, "IPv6": 64},
    }))
    child = ok(httpx.post(f"{url}/v1/network/allocate", json={"partitionid": PARTITION, "projectid": PROJECT}))
    return str(child.json()["id"])


def _request(port: int, network: str) -> bytes:
    body = json.dumps({"networkid": network, "projectid": PROJECT, "type": "ephemeral"}).encode()
    head = (f"POST /v1/ip/allocate HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


def generate(port: int, network: str, connections: int, start_at: float, stop_at: float,
             results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """One generator process: ``connections`` keep-alive sockets, one request in flight on each."""
    request = _request(port, network)
    sel = selectors.DefaultSelector()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    buffers: dict[socket.socket, bytearray] = {}
    sent_at: dict[socket.socket, float] = {}
    while time.time() < start_at:
        time.sleep(0.005)
    for _ in range(connections):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        buffers[sock] = bytearray()
        sel.register(sock, selectors.EVENT_READ)
        sent_at[sock] = time.perf_counter()
        sock.send(request)
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
            now = time.perf_counter()
            latencies.append(now - sent_at[sock])
            status = int(head[9:12])
            statuses[status] = statuses.get(status, 0) + 1
            del buf[: end + 4 + length]
            sent_at[sock] = now
            sock.send(request)
    results.put((latencies, statuses))


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


def run(args: argparse.Namespace, url: str, pid: int) -> dict[str, object]:
    network = prepare(url)
    port = int(url.rsplit(":", 1)[1])
    results: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    start_at = time.time() + 1.0
    stop_at = start_at + args.duration
    procs = [multiprocessing.Process(target=generate, args=(port, network, args.connections, start_at, stop_at,
                                                            results)) for _ in range(args.procs)]
    for proc in procs:
        proc.start()
    time.sleep(max(0.0, start_at - time.time()))
    cpu_before = cpu_seconds(pid)
    time.sleep(max(0.0, stop_at - time.time()))
    cpu_used = cpu_seconds(pid) - cpu_before
    gathered = [results.get(timeout=args.duration + 60) for _ in procs]
    for proc in procs:
        proc.join()
    latencies = sorted(value for part, _ in gathered for value in part)
    statuses: dict[int, int] = {}
    for _, part in gathered:
        for status, count in part.items():
            statuses[status] = statuses.get(status, 0) + count
    total = len(latencies)
    check = httpx.get(f"{url}/v1/network/{network}").json()["consumption"]["ipv4"]["used_ips"]
    batches = _batch_stats(httpx.get(f"{url}/metrics").text)
    return {
        "requests": total, "seconds": args.duration, "req_per_s": round(total / args.duration),
        "statuses": statuses,
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
