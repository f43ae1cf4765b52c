"""The VRF id pool: ids ``low..high`` (metal-api: 1..131072), a random free one for each child network.

Each id in use is a key ("vrf", n) whose value counts the networks using it (more than one only when
networks were created with ``vrfshared``); ("netidx/vrfused",) counts the distinct ids in use, so an
exhausted pool is recognised without a scan. Callers hold the "networks" lock; ``insert`` still guards a
fresh id, so two writers can never both take it even without the lock.
"""

from __future__ import annotations

import random

from metalnet.network.errors import Reason, conflict, refused
from metalnet.network.records import index_key
from metalnet.storage.base import KeyExistsError, Transaction

DEFAULT_RANGE = (1, 131072)
_USED = index_key("vrfused")
#: random probes before walking from a random start; with the pool mostly free one probe suffices
_PROBES = 16


class VrfPool:
    """VRF ids of one store, used inside the caller's transaction."""

    def __init__(self, tx: Transaction, low: int = DEFAULT_RANGE[0], high: int = DEFAULT_RANGE[1]) -> None:
        self.tx = tx
        self.low = low
        self.high = high

    def acquire_any(self) -> int:
        """A free id chosen at random; a refusal when the pool is exhausted."""
        if self._used() >= self.high - self.low + 1:
            raise refused(f"could not acquire a vrf: the pool {self.low} - {self.high} is exhausted")
        for _ in range(_PROBES):
            candidate = random.randint(self.low, self.high)
            if self._take(candidate):
                return self._counted(candidate)
        return self._walk(random.randint(self.low, self.high))

    def acquire(self, vrf: int, *, shared: bool) -> None:
        """Take ``vrf``; when it is already in use, join it if ``shared`` else a conflict."""
        if not self.low <= vrf <= self.high:
            raise refused(
                f"could not acquire vrf: value '{vrf}' is outside of the allowed range "
                f"'{self.low} - {self.high}'"
            )
        if self._take(vrf):
            self._counted(vrf)
            return
        if not shared:
            raise conflict(
                f"cannot acquire a unique vrf id twice except vrfShared is set to true: vrf {vrf} "
                "is already acquired by another network", Reason.VRF_TAKEN, vrf=vrf,
            )
        users = self.tx.get(("vrf", vrf))
        assert isinstance(users, int)
        self.tx.put(("vrf", vrf), users + 1)

    def release(self, vrf: int) -> None:
        """One network stops using ``vrf``; the id is free again when no network uses it."""
        users = self.tx.get(("vrf", vrf))
        if not isinstance(users, int):
            return
        if users > 1:
            self.tx.put(("vrf", vrf), users - 1)
            return
        self.tx.delete(("vrf", vrf))
        used = self._used() - 1
        # an empty pool leaves no key behind, so that allocate + free restores the store exactly
        if used:
            self.tx.put(_USED, used)
        else:
            self.tx.delete(_USED)

    def _take(self, vrf: int) -> bool:
        try:
            self.tx.insert(("vrf", vrf), 1)
        except KeyExistsError:
            return False
        return True

    def _counted(self, vrf: int) -> int:
        self.tx.put(_USED, self._used() + 1)
        return vrf

    def _walk(self, start: int) -> int:
        # the pool is nearly full: the next gap at or after a random start (wrapping once) is free
        for low, high in ((start, self.high), (self.low, start - 1)):
            candidate = low
            while candidate <= high:
                found = self.tx.first(("vrf", candidate), ("vrf",))
                if (found is None or int(found[0][1]) != candidate) and self._take(candidate):
                    return self._counted(candidate)
                candidate += 1
        raise refused(f"could not acquire a vrf: the pool {self.low} - {self.high} is exhausted")

    def _used(self) -> int:
        used = self.tx.get(_USED)
        return used if isinstance(used, int) else 0
