"""Code that runs in the writer processes of the history tests (importable under 'spawn')."""

from __future__ import annotations

import traceback
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Barrier

from metalnet.history import Actor, Principal, acting_as
from metalnet.history.recorder import History
from metalnet.network import IPAllocate, NetworkService
from metalnet.storage import open_storage


def churn(url: str, network: str, project: str, rounds: int, name: str, barrier: Barrier,
          results: Connection) -> None:
    """Allocate and free an IP ``rounds`` times (two events each); sends back the addresses or a traceback."""
    try:
        with open_storage(url) as storage:
            service = NetworkService(storage, history=History())
            barrier.wait(timeout=120)
            done = []
            with acting_as(Actor(Principal(name), "churn")):
                for _ in range(rounds):
                    ip = service.allocate_ip(IPAllocate(networkid=network, projectid=project))
                    service.free_ip(ip.ipaddress)
                    done.append(ip.ipaddress)
        results.send(done)
    except BaseException:
        results.send(("error", traceback.format_exc()))
    finally:
        results.close()
