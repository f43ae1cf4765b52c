"""The RethinkDB backend: a log of committed transactions in RethinkDB, applied to an in-memory state.

- :mod:`.storage`: :class:`RethinkStorage`, the store (``run``, group commit, catching up);
- :mod:`.config`: the ``rethinkdb://`` URL and its options;
- :mod:`.conn`: one connection that fails over between hosts and maps driver errors to storage errors;
- :mod:`.log`: the log entries, their encoding, the commit insert and compaction marks;
- :mod:`.group`: group commit of the threads of one process;
- :mod:`.schema`: the database, its tables and the format version;
- :mod:`.snapshot`: snapshots that let a process start without reading the whole log.

The package shares its name with the driver (``rethinkdb`` on PyPI): every import here is absolute, so
``import rethinkdb`` always means the driver. Importing this package imports no driver; its modules do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from metalnet.storage.rethinkdb.storage import RethinkStorage

__all__ = ["RethinkStorage"]


def __getattr__(name: str) -> object:
    # the driver loads only when the backend is used (the factory checks it is installed)
    if name == "RethinkStorage":
        from metalnet.storage.rethinkdb.storage import RethinkStorage

        return RethinkStorage
    raise AttributeError(name)
