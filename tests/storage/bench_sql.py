"""Throughput of the SQL backends through the Ipamer: ``python -m tests.storage.bench_sql [options]``.

Measures, per storage URL:

- acquire-IP/s and acquire-child-prefix/s on one connection (one process, one thread);
- the aggregate of N processes acquiring on N different prefixes at once (``--processes``);
- the aggregate of N processes acquiring on one prefix at once (they serialise on its lock);
- with ``--fill N``: the cost per acquisition in a prefix holding N allocations over the cost in a fresh one;
- with ``--alternate ROUNDS``: acquire-IP/s on one connection of each ``--storage`` in turn, ROUNDS times, and
  each one's median over the first one's (a ratio within one run, so that the machine's load falls alike).

``--storage`` takes any storage URL; ``sqlite`` and ``sqlite-full`` mean a fresh file in a temporary
directory (synchronous=normal and =full), ``postgres`` a throwaway PostgreSQL cluster started for the run
(see tests/servers/postgres.py); ``postgres?OPTIONS`` adds URL options to it (with ``--alternate``, every
``postgres…`` storage shares one cluster). Prints a Markdown table. Not a test: pytest does not collect it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Barrier

from metalnet.ipam import Ipamer
from metalnet.storage import open_storage, redact_url
from tests.servers.postgres import PostgresServer, throwaway_cluster

CHILD_LENGTH = 28


def _acquire(ipamer: Ipamer, kind: str, cidr: str, count: int) -> None:
    if kind == "ip":
        for _ in range(count):
            ipamer.acquire_ip(cidr)
    else:
        for _ in range(count):
            ipamer.acquire_child_prefix(cidr, CHILD_LENGTH)


def single(url: str, kind: str, cidr: str, count: int) -> float:
    """Operations per second of one caller."""
    with open_storage(url) as storage:
        ipamer = Ipamer(storage)
        ipamer.new_prefix(cidr)
        _acquire(ipamer, kind, cidr, 50)  # warm up connections and caches
        start = time.perf_counter()
        _acquire(ipamer, kind, cidr, count)
        return count / (time.perf_counter() - start)


def _worker(url: str, kind: str, cidr: str, count: int, barrier: Barrier, done: Connection) -> None:
    with open_storage(url) as storage:
        ipamer = Ipamer(storage)
        barrier.wait(timeout=60)
        _acquire(ipamer, kind, cidr, count)
    done.send(time.perf_counter())


def parallel(url: str, kind: str, cidrs: list[str], count: int) -> float:
    """Aggregate operations per second of one process per entry of ``cidrs``, all starting at once."""
    with open_storage(url) as storage:
        ipamer = Ipamer(storage)
        for cidr in sorted(set(cidrs)):
            ipamer.new_prefix(cidr)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(cidrs) + 1)
    pipes = []
    processes = []
    for cidr in cidrs:
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_worker, args=(url, kind, cidr, count, barrier, sender))
        process.start()
        pipes.append(receiver)
        processes.append(process)
    barrier.wait(timeout=60)
    start = time.perf_counter()
    finished = max(pipe.recv() for pipe in pipes)
    for process in processes:
        process.join()
    return len(cidrs) * count / (finished - start)


def fill_ratio(url: str, kind: str, fill: int, rounds: int = 5, batch: int = 200) -> float:
    """Cost per op in a prefix holding ``fill`` allocations over the cost in a fresh one, interleaved.

    Batches alternate between the full and a fresh prefix, so that load from other jobs on the machine
    falls on both sides alike (a plain before/after comparison on a shared machine measures the neighbours).
    """
    if kind == "ip":
        full, parents, length = "10.0.0.0/16", [f"10.{n}.0.0/16" for n in range(1, rounds + 1)], 0
    else:
        full, parents, length = "2001:db8::/48", [f"2001:db8:{n}::/48" for n in range(1, rounds + 1)], 64
    with open_storage(url) as storage:
        ipamer = Ipamer(storage)
        for cidr in [full, *parents]:
            ipamer.new_prefix(cidr)

        def timed(cidr: str, count: int) -> float:
            start = time.perf_counter()
            if kind == "ip":
                for _ in range(count):
                    ipamer.acquire_ip(cidr)
            else:
                for _ in range(count):
                    ipamer.acquire_child_prefix(cidr, length)
            return time.perf_counter() - start

        timed(full, fill)
        early = late = 0.0
        for fresh_parent in parents:  # a fresh prefix per round keeps the "early" side early
            early += timed(fresh_parent, batch)
            late += timed(full, batch)
    return late / early


def alternate(urls: dict[str, str], rounds: int, count: int) -> dict[str, list[float]]:
    """acquire-IP/s on one connection of each store in turn, ``rounds`` times: label → figures."""
    figures: dict[str, list[float]] = {label: [] for label in urls}
    with ExitStack() as stack:
        ipamers = {}
        for number, (label, url) in enumerate(urls.items()):
            ipamer = Ipamer(stack.enter_context(open_storage(fresh(url, 10 + number))))
            ipamer.new_prefix("10.0.0.0/8")
            _acquire(ipamer, "ip", "10.0.0.0/8", 50)  # warm up connections and caches
            ipamers[label] = ipamer
        for _ in range(rounds):
            for label, ipamer in ipamers.items():
                start = time.perf_counter()
                _acquire(ipamer, "ip", "10.0.0.0/8", count)
                figures[label].append(count / (time.perf_counter() - start))
    return figures


@contextmanager
def resolve(storage: str, cluster: list[PostgresServer] | None = None) -> Iterator[str]:
    """The URL to benchmark: short names start what they need (``cluster``: one shared PostgreSQL)."""
    with ExitStack() as stack:
        base, _, options = storage.partition("?")
        if base == "postgres":
            if cluster is None:
                cluster = []
            if not cluster:
                cluster.append(stack.enter_context(throwaway_cluster()))
            url = cluster[0].url("metalnet_test")
            yield f"{url}?{options}" if options else url
        elif storage in ("sqlite", "sqlite-full"):
            scratch = stack.enter_context(tempfile.TemporaryDirectory())
            mode = "full" if storage == "sqlite-full" else "normal"
            yield f"sqlite:///{scratch}/bench.db?synchronous={mode}"
        else:
            yield storage


def fresh(url: str, number: int) -> str:
    """A separate store per measurement, so that each starts empty."""
    if url.startswith("sqlite:///"):
        path, _, query = url.partition("?")
        return f"{path}.{number}" + (f"?{query}" if query else "")
    if url.startswith("postgres"):
        import psycopg

        from metalnet.storage.postgres.options import split_url

        schema = f"bench_{number}_{int(time.time() * 1000)}"
        with psycopg.connect(split_url(url)[0], autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}".encode())
        return url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"
    return url


def compare(storages: list[str], rounds: int, count: int) -> None:
    """Print each storage's median acquire-IP/s over ``rounds`` alternating runs, and its ratio to the first."""
    cluster: list[PostgresServer] = []
    with ExitStack() as stack:
        urls = {storage: stack.enter_context(resolve(storage, cluster)) for storage in storages}
        figures = alternate(urls, rounds, count)
    first = figures[storages[0]]
    print(f"| storage | acquire_ip/s, 1 connection (median of {rounds}) | over {storages[0]} "
          "(median of the rounds' ratios) |")
    print("|---|---:|---:|")
    for label, values in figures.items():
        ratio = statistics.median(value / base for value, base in zip(values, first, strict=True))
        print(f"| {label} | {statistics.median(values):,.0f} | {ratio:.2f} |", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.storage.bench_sql", description=__doc__)
    parser.add_argument("--storage", action="append", help="URL, or sqlite / sqlite-full / postgres (repeatable)")
    parser.add_argument("--ops", type=int, default=3000, help="operations per measurement and process")
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--fill", type=int, default=0, help="also measure the fill ratio after N allocations")
    parser.add_argument("--alternate", type=int, default=0, metavar="ROUNDS",
                        help="only compare the storages: acquire_ip on one connection, in turn, ROUNDS times")
    args = parser.parse_args(argv)
    if args.alternate:
        compare(args.storage or ["postgres", "postgres?row_cache=0"], args.alternate, args.ops)
        return
    print("| storage | measurement | ops/s |\n|---|---|---:|")
    for storage in args.storage or ["sqlite", "sqlite-full", "postgres"]:
        with resolve(storage) as url:
            name = redact_url(url)
            n, ops = args.processes, args.ops
            figures = [
                ("acquire_ip, 1 connection", single(fresh(url, 1), "ip", "10.0.0.0/16", ops)),
                ("acquire_child_prefix /28, 1 connection",
                 single(fresh(url, 2), "child", "10.64.0.0/12", ops)),
                (f"acquire_ip, {n} processes on {n} prefixes",
                 parallel(fresh(url, 3), "ip", [f"10.{i}.0.0/16" for i in range(n)], ops)),
                (f"acquire_ip, {n} processes on 1 prefix",
                 parallel(fresh(url, 4), "ip", ["10.0.0.0/16"] * n, ops // n * 2)),
            ]
            for label, per_second in figures:
                print(f"| {storage} ({name}) | {label} | {per_second:,.0f} |", flush=True)
            if args.fill:
                for kind, what in (("ip", "acquire_ip in a /16"), ("child", "acquire /64 in a /48")):
                    ratio = fill_ratio(fresh(url, 5 if kind == "ip" else 6), kind, args.fill)
                    print(f"| {storage} ({name}) | {what}: cost with {args.fill:,} taken / fresh "
                          f"(interleaved) | {ratio:.2f} |", flush=True)


if __name__ == "__main__":
    main()
