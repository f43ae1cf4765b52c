"""The dual-stack walk through the API on every storage backend (PostgreSQL and RethinkDB included).

Networked backends run their calls in worker threads (``ApiContext.offload``), so this also covers that
path; the other API tests run on memory and SQLite only, the backends' own suites go deeper.
"""

from __future__ import annotations

import asyncio

from litestar.testing import AsyncTestClient, TestClient

from metalnet.api.app import create_app
from metalnet.api.settings import Settings
from metalnet.storage import Storage
from tests.api.conftest import PARTITION, PROJECT, SUPER, example_documents, setup_mini_lab


def test_walk_on_every_backend(storage: Storage) -> None:
    _, expected = example_documents()
    with TestClient(create_app(storage, Settings(request_log=False))) as client:
        setup_mini_lab(client)
        child = client.post("/v1/network/allocate", json={"partitionid": PARTITION, "projectid": PROJECT})
        assert child.status_code == 201, child.text
        assert child.json()["prefixes"] == expected["prefixes"]
        assert child.json()["consumption"] == expected["consumption"]
        network = child.json()["id"]
        v4 = client.post("/v1/ip/allocate", json={"networkid": network, "projectid": PROJECT})
        v6 = client.post("/v1/ip/allocate", json={"networkid": network, "projectid": PROJECT,
                                                  "addressfamily": "IPv6"})
        assert (v4.json()["ipaddress"], v6.json()["ipaddress"]) == ("10.0.0.1", "2001:db8:0:10::1")
        assert client.post("/v1/ip/allocate/10.0.0.1", json={"networkid": network,
                                                             "projectid": PROJECT}).status_code == 409
        for address in ("10.0.0.1", "2001:db8:0:10::1"):
            assert client.delete(f"/v1/ip/free/{address}").status_code == 200
        assert client.delete(f"/v1/network/free/{network}").status_code == 200
        assert client.get(f"/v1/network/{SUPER}").json()["consumption"]["ipv4"]["used_prefixes"] == 0
        usage = client.post("/api.v1.IpamService/PrefixUsage", json={"cidr": "10.0.0.0/16"}).json()
        assert "acquiredPrefixes" not in usage


def test_concurrent_allocations_on_every_backend(storage: Storage) -> None:
    with TestClient(create_app(storage, Settings(request_log=False))) as client:
        setup_mini_lab(client)
        network = client.post("/v1/network/allocate",
                              json={"partitionid": PARTITION, "projectid": PROJECT}).json()["id"]

    async def main() -> list[str]:
        async with AsyncTestClient(create_app(storage, Settings(request_log=False))) as client:
            responses = await asyncio.gather(*(
                client.post("/v1/ip/allocate", json={"networkid": network, "projectid": PROJECT})
                for _ in range(24)
            ))
        assert {r.status_code for r in responses} == {201}
        return [r.json()["ipaddress"] for r in responses]

    addresses = asyncio.run(main())
    assert len(set(addresses)) == 24
