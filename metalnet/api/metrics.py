"""Prometheus metrics of one app, in a registry of its own (several apps in one process stay apart).

- ``metalnet_http_requests_total{method,route,status}`` and ``metalnet_http_request_duration_seconds{method,route}``
  (``route`` is the route template, e.g. ``/v1/ip/{id}``, or ``unmatched``, so label values stay few);
- ``metalnet_allocations_total{kind,family}`` / ``metalnet_frees_total{kind,family}`` (kind ``ip`` or ``network``);
- ``metalnet_v2_calls_total{service,method,code}``: calls of the metal-stack v2 API by Connect code;
- ``metalnet_ip_allocation_batch_size`` (histogram): how many IP allocations shared one transaction;
- ``metalnet_pool_{available,used}_ips{family}``, read from the store at scrape time by a collector the app
  registers (:meth:`Metrics.add_pool_collector`), summed over the private super networks;
- ``metalnet_history_{newest,oldest}_seq`` and ``metalnet_history_streams`` (metalnet/api/v1_events.py).

With several worker processes (``serve(workers=N)``) every process writes its counters to files in
``PROMETHEUS_MULTIPROC_DIR``, which ``serve`` creates for the run, and a scrape of any worker sums them
all (prometheus_client's multiprocess mode), so ``/metrics`` reports the whole server whichever process
answers; pool gauges come from the shared store.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: prometheus_client's switch to multiprocess mode (read when it is imported, so set before workers start)
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

#: family -> {"available_ips": n, "used_ips": n, ...}
PoolReader = Callable[[], Mapping[str, Mapping[str, int]]]


class _PoolCollector(Collector):
    def __init__(self, read: PoolReader) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        try:
            pools = self._read()
        except Exception:  # a scrape must not fail because the store is briefly unavailable
            pools = {}
        names = ("available_ips", "used_ips", "available_prefixes", "used_prefixes")
        for name in names:
            gauge = GaugeMetricFamily(
                f"metalnet_pool_{name}", f"{name.replace('_', ' ')} of the private super networks", labels=["family"]
            )
            for family, usage in sorted(pools.items()):
                gauge.add_metric([family], usage.get(name, 0))
            yield gauge

    def describe(self) -> Iterator[Metric]:
        return iter(())


class Metrics:
    """The counters and histograms the request middleware and the handlers update."""

    def __init__(self) -> None:
        #: where the worker processes of one server keep their counters (None: a single process)
        self.shared_dir = os.environ.get(MULTIPROCESS_ENV) or None
        self._collectors: list[Collector] = []
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter(
            "metalnet_http_requests", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "metalnet_http_request_duration_seconds", "HTTP request latency", ["method", "route"],
            buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.allocations = Counter(
            "metalnet_allocations", "successful allocations", ["kind", "family"], registry=self.registry
        )
        self.frees = Counter("metalnet_frees", "successful frees", ["kind", "family"], registry=self.registry)
        self.batch_sizes = Histogram(
            "metalnet_ip_allocation_batch_size", "IP allocations committed together in one transaction",
            buckets=(1, 2, 4, 8, 16, 32, 64), registry=self.registry,
        )
        self.v2_calls = Counter(
            "metalnet_v2_calls", "metal-stack v2 API calls", ["service", "method", "code"], registry=self.registry
        )
        # labelled children looked up once: ``labels()`` costs more than the increment (hot path)
        self._request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._counter_children: dict[tuple[Counter, str, str], Any] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        children = self._request_children.get((method, route, status))
        if children is None:
            children = (self.requests.labels(method, route, str(status)), self.latency.labels(method, route))
            self._request_children[(method, route, status)] = children
        children[0].inc()
        children[1].observe(seconds)

    def _inc(self, counter: Counter, kind: str, family: str, amount: int = 1) -> None:
        child = self._counter_children.get((counter, kind, family))
        if child is None:
            child = self._counter_children[(counter, kind, family)] = counter.labels(kind, family)
        child.inc(amount)

    def v2_call(self, service: str, method: str, code: str) -> None:
        child = self._counter_children.get((self.v2_calls, f"{service}/{method}", code))
        if child is None:
            child = self.v2_calls.labels(service, method, code)
            self._counter_children[(self.v2_calls, f"{service}/{method}", code)] = child
        child.inc()

    def allocated(self, kind: str, family: str, count: int = 1) -> None:
        """``count`` allocations of ``kind`` in ``family`` (a bulk request counts each with one call)."""
        self._inc(self.allocations, kind, family, count)

    def freed(self, kind: str, family: str) -> None:
        self._inc(self.frees, kind, family)

    def add_pool_collector(self, read: PoolReader) -> None:
        self.add_collector(_PoolCollector(read))

    def add_collector(self, collector: Collector) -> None:
        """A collector that reads the shared store at scrape time (reported once, whichever worker answers)."""
        self._collectors.append(collector)
        self.registry.register(collector)

    def render(self) -> bytes:
        if self.shared_dir is None:
            return generate_latest(self.registry)
        # every worker's counters, summed, and this process's collectors (they read the shared store)
        registry = CollectorRegistry(auto_describe=False)
        MultiProcessCollector(registry, path=self.shared_dir)  # type: ignore[no-untyped-call]
        for collector in self._collectors:
            registry.register(collector)
        return generate_latest(registry)
