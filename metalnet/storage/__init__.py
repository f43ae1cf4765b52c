"""One storage interface and its backends; :func:`open_storage` picks a backend by URL.

This package imports no database driver: each backend module imports its own, only when it is opened.
"""

from metalnet.storage.base import (
    CommitOutcomeUnknownError,
    DeadlineExceededError,
    Key,
    KeyExistsError,
    SchemaVersionError,
    Storage,
    StorageBusyError,
    StorageError,
    StorageUnavailableError,
    Transaction,
)
from metalnet.storage.factory import open_storage
from metalnet.storage.memory import MemoryStorage
from metalnet.storage.urls import redact_url

__all__ = [
    "CommitOutcomeUnknownError",
    "DeadlineExceededError",
    "Key",
    "KeyExistsError",
    "MemoryStorage",
    "SchemaVersionError",
    "Storage",
    "StorageBusyError",
    "StorageError",
    "StorageUnavailableError",
    "Transaction",
    "open_storage",
    "redact_url",
]
