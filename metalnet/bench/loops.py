"""The benchmark loops. Each returns operations (or pairs) per second, or a fill curve."""

from __future__ import annotations

import gc
import ipaddress
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

from metalnet.ipam import Ipamer, prefixes_overlapping
from metalnet.storage import open_storage

#: what the loops are timed with: wall time, or this process's CPU time (see use_cpu_time)
_clock: Callable[[], float] = time.perf_counter


def use_cpu_time(enabled: bool) -> None:
    """Time the loops by this process's CPU time instead of wall time.

    For memory://, where the process does all the work: on a shared machine wall time also counts the time
    spent waiting for a core. Not for the persistent backends, whose time is partly I/O and other processes.
    """
    global _clock
    _clock = time.process_time if enabled else time.perf_counter


def rate(count: int, body: Callable[[int], object]) -> float:
    """Calls per second of ``body(i)`` for ``i`` in ``range(count)``."""
    gc.collect()
    start = _clock()
    for i in range(count):
        body(i)
    return count / (_clock() - start)


def new_prefix_pairs(ipam: Ipamer, count: int) -> float:
    def pair(i: int) -> None:
        cidr = f"10.{(i >> 8) & 255}.{i & 255}.0/24"
        ipam.new_prefix(cidr)
        ipam.delete_prefix(cidr)

    return rate(count, pair)


def acquire_ip_pairs(ipam: Ipamer, count: int, prefix: str = "172.16.0.0/16") -> float:
    ipam.new_prefix(prefix)

    def pair(_: int) -> None:
        ipam.release_ip(ipam.acquire_ip(prefix))

    result = rate(count, pair)
    ipam.delete_prefix(prefix)
    return result


def acquire_child_pairs(ipam: Ipamer, count: int, parent_length: int, child_length: int) -> float:
    parent = f"100.0.0.0/{parent_length}" if parent_length >= 8 else "64.0.0.0/2"
    ipam.new_prefix(parent)

    def pair(_: int) -> None:
        ipam.release_child_prefix(ipam.acquire_child_prefix(parent, child_length))

    result = rate(count, pair)
    ipam.delete_prefix(parent)
    return result


def overlapping_calls(count: int) -> float:
    existing, new = ["10.0.0.0/16", "10.1.0.0/16"], ["10.2.0.0/16", "10.3.0.0/16"]
    return rate(count, lambda _: prefixes_overlapping(existing, new))


@dataclass
class FillCurve:
    """Microseconds per operation: the first ``window`` ops, the last ``window`` before ``total``, and
    ``window`` ops into the same prefix after every other allocation was released."""

    name: str
    early_us: float
    late_us: float
    fragmented_us: float

    @property
    def late_ratio(self) -> float:
        return self.late_us / self.early_us

    @property
    def fragmented_ratio(self) -> float:
        return self.fragmented_us / self.early_us


def _timed_window(count: int, body: Callable[[], object]) -> tuple[float, list[object]]:
    # start every window from a collected heap, so that one window does not pay for the garbage the
    # previous phase left (timeit goes further and switches the collector off; we keep it on)
    gc.collect()
    results = []
    start = _clock()
    for _ in range(count):
        results.append(body())
    return (_clock() - start) / count * 1e6, results


def fill_curve(name: str, acquire: Callable[[], object], release: Callable[[object], object],
               total: int, window: int) -> FillCurve:
    early_us, taken = _timed_window(window, acquire)
    for _ in range(total - 2 * window):
        taken.append(acquire())
    late_us, tail = _timed_window(window, acquire)
    taken += tail
    for item in taken[::2]:
        release(item)
    fragmented_us, _ = _timed_window(window, acquire)
    return FillCurve(name, early_us, late_us, fragmented_us)


def ip_fill_curve(ipam: Ipamer, total: int, window: int, reserved: int = 0) -> FillCurve:
    """The fill curve of a /16; with ``reserved``, that many reserved ranges of 5 addresses spread evenly over
    it first (the fill crosses every one: next-free allocation must skip them at no extra cost)."""
    prefix = "172.20.0.0/16"
    ipam.new_prefix(prefix)
    name = "IPv4 /16: acquire IP"
    if reserved:
        name += f", {reserved} reserved ranges"
        step = 65_536 // reserved
        for index in range(reserved):
            start = 0xAC140000 + index * step + step // 2
            ipam.reserve_range(prefix, str(ipaddress.IPv4Address(start)), str(ipaddress.IPv4Address(start + 4)),
                               description=f"bench {index}")
    # keep only the address text of each result, as a caller storing allocations would
    return fill_curve(name, lambda: str(ipam.acquire_ip(prefix)),
                      lambda ip: ipam.release_ip_from_prefix(prefix, ip),  # type: ignore[arg-type]
                      total, window)


def child_fill_curve(ipam: Ipamer, total: int, window: int) -> FillCurve:
    parent = "2001:db8:beef::/48"
    ipam.new_prefix(parent)
    return fill_curve("IPv6 /48: acquire /64 child", lambda: ipam.acquire_child_prefix(parent, 64).cidr,
                      lambda child: ipam.release_child_prefix(child),  # type: ignore[arg-type]
                      total, window)


def store_memory(url: str, total: int) -> tuple[float, float]:
    """MiB the store holds for ``total`` IPs taken in a /16: as taken, and after every other one was released
    (the worst case: one stored free range per released address). Measured with tracemalloc, results
    dropped; only meaningful for memory://, whose state lives in this process."""
    gc.collect()
    tracemalloc.start()
    try:
        with open_storage(url) as store:
            ipam = Ipamer(storage=store)
            prefix = "10.128.0.0/16"
            before = tracemalloc.get_traced_memory()[0]
            ipam.new_prefix(prefix)
            taken = [str(ipam.acquire_ip(prefix)) for _ in range(total)]
            gc.collect()
            filled = tracemalloc.get_traced_memory()[0] - before - _size_of(taken)
            for address in taken[::2]:
                ipam.release_ip_from_prefix(prefix, address)
            gc.collect()
            fragmented = tracemalloc.get_traced_memory()[0] - before - _size_of(taken)
    finally:
        tracemalloc.stop()
    return filled / 2**20, fragmented / 2**20


def _size_of(texts: list[str]) -> int:
    return sys.getsizeof(texts) + sum(sys.getsizeof(text) for text in texts)
