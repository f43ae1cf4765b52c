"""What reserved ranges cost a network read (a script, not a test).

    .venv/bin/python -m tests.network.bench_reads sqlite:////tmp/bench.db

Two dual-stack child networks (/16 + /64) of one super network, one without reserved ranges and one with a
range in each prefix; ``get_network`` of each, 5,000 per round, alternating, best of five rounds. A network
without reservations reads no reservation (its record counts them); one with reservations reads them from
each prefix. A SQLite file named in the URL is removed first.
"""

from __future__ import annotations

import sys
import time

from metalnet.network import NetworkAllocate, NetworkService, NetworkUpdate, ReservedRange
from tests.network.bench_service import lab

ROUNDS = 5
GETS = 5000


def _rate(service: NetworkService, ident: str) -> float:
    start = time.perf_counter()
    for _ in range(GETS):
        service.get_network(ident)
    return GETS / (time.perf_counter() - start)


def main(url: str) -> str:
    service = lab(url)
    plain = service.allocate_network(NetworkAllocate(partitionid="p", projectid="x", name="plain"))
    reserved = service.allocate_network(NetworkAllocate(partitionid="p", projectid="x", name="reserved"))
    ranges = []
    for cidr in reserved.prefixes:
        base = cidr.partition("/")[0].rstrip(":").removesuffix(".0")
        ranges.append(ReservedRange(first=f"{base}::1" if ":" in cidr else f"{base}.1",
                                    last=f"{base}::9" if ":" in cidr else f"{base}.9", description="gateways"))
    service.update_network(NetworkUpdate(id=reserved.id, reservedranges=ranges))
    best = {"without": 0.0, "with": 0.0}
    for _ in range(ROUNDS):
        best["without"] = max(best["without"], _rate(service, plain.id))
        best["with"] = max(best["with"], _rate(service, reserved.id))
    return (f"{url}: get_network without reserved ranges {best['without']:,.0f}/s, with one per prefix "
            f"{best['with']:,.0f}/s ({best['with'] / best['without']:.2f})")


if __name__ == "__main__":
    print(main(sys.argv[1] if len(sys.argv) > 1 else "memory://"))
