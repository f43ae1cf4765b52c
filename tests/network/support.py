"""Helpers of the network-layer tests: example files, error assertions, store snapshots."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml

from metalnet.ipam.rows import PrefixRow
from metalnet.network import ErrorKind, NetworkCreate, NetworkError
from metalnet.storage import Storage

REPO = Path(__file__).resolve().parents[2]
PROJECT = "4b9b17c4-2d7c-4190-ae95-dda44e430fa6"
PARTITION = "mini-lab"
SUPER_ID = "tenant-super-network-mini-lab"


def example(name: str) -> Path:
    """An example file of the repository's ``examples/``."""
    return REPO / "examples" / name


def load_yaml(name: str) -> dict[str, Any]:
    document = yaml.safe_load(example(name).read_text())
    assert isinstance(document, dict)
    return document


def tenant_super() -> NetworkCreate:
    return msgspec.convert(load_yaml("tenant-super.yaml"), NetworkCreate)


@contextmanager
def refused(kind: ErrorKind, *fragments: str) -> Iterator[None]:
    """Expect a :class:`NetworkError` of ``kind`` whose message holds every fragment."""
    with pytest.raises(NetworkError) as caught:
        yield
    assert caught.value.kind is kind, caught.value
    for fragment in fragments:
        assert fragment in caught.value.message, caught.value.message


def snapshot(storage: Storage) -> list[tuple[Any, Any]]:
    """Every key and value in the store (the whole state, IPAM core included).

    A prefix row's ``free_lengths`` is left out: the core keeps it as a superset hint that it clears lazily,
    so it may differ after an allocate/release round trip while the state it describes is the same.
    """
    entries = storage.run(lambda tx: tx.scan(()), readonly=True)
    return [
        (key, msgspec.structs.replace(value, free_lengths=0) if isinstance(value, PrefixRow) else value)
        for key, value in entries
    ]


def unchanged(storage: Storage, kind: ErrorKind, fragment: str, call: Callable[[], object]) -> None:
    """``call`` is refused with ``kind`` (message holding ``fragment``) and leaves the store as it was."""
    before = snapshot(storage)
    with refused(kind, fragment):
        call()
    assert snapshot(storage) == before
