"""Bulk against single allocation through the API on the embedded default (a script, not a test).

    .venv/bin/python -m tests.api.bench_bulk [COUNT] [ROUNDS]

One app over a fresh SQLite file (default durability), in process (``TestClient``: the whole Litestar
stack without sockets), its heap settled as the server settles it once the app is built
(:func:`metalnet.api.server.settle_heap`: frozen, the collector's young generation at 10,000). Each round
alternates: COUNT (default 10,000) IPs in one ``POST /v1/ip/allocate/bulk``, then 1,000 single
``POST /v1/ip/allocate``; the best round of each is printed, and their ratio, which holds better than either
figure on a shared machine.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from litestar.testing import TestClient

from metalnet.api.app import create_app
from metalnet.api.server import settle_heap
from metalnet.api.settings import Settings
from metalnet.storage import open_storage

SINGLES = 1000


def main(count: int, rounds: int) -> str:
    store = open_storage(f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}")
    app = create_app(store, Settings(request_log=False))
    settle_heap()
    with TestClient(app) as client:
        client.put("/v1/partition", json={"id": "p"}).raise_for_status()
        client.put("/v1/project", json={"meta": {"id": "x"}}).raise_for_status()
        client.put("/v1/network", json={"id": "n", "partitionid": "p", "prefixes": ["10.0.0.0/8"]}).raise_for_status()
        body = {"networkid": "n", "projectid": "x"}
        bulk = single = 0.0
        for _ in range(rounds):
            start = time.perf_counter()
            response = client.post("/v1/ip/allocate/bulk", json={**body, "count": count})
            elapsed = time.perf_counter() - start
            assert response.status_code == 201, response.text
            assert len(response.json()) == count
            bulk = max(bulk, count / elapsed)
            start = time.perf_counter()
            for _ in range(SINGLES):
                assert client.post("/v1/ip/allocate", json=body).status_code == 201
            single = max(single, SINGLES / (time.perf_counter() - start))
    store.close()
    return (f"bulk ({count:,} per request): {bulk:,.0f} IPs/s; single requests: {single:,.0f} IPs/s; "
            f"ratio {bulk / single:.1f}")


if __name__ == "__main__":
    print(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000, int(sys.argv[2]) if len(sys.argv) > 2 else 5))
