"""ASGI entry point for worker processes: ``uvicorn --factory metalnet.api.asgi:app_from_env``.

Reads ``METALNET_DB`` (default: ``./metalnet.db``), ``METALNET_HMAC_{VIEW,EDIT,ADMIN}_KEY``,
``METALNET_TOKENS`` and ``METALNET_MAX_BODY_BYTES``; the storage is closed when the app shuts down.
"""

from __future__ import annotations

import os

from litestar import Litestar

from metalnet.api.app import create_app
from metalnet.api.server import default_db_url
from metalnet.api.settings import Settings
from metalnet.storage import open_storage


def app_from_env() -> Litestar:
    """An app configured from the environment, owning its storage."""
    storage = open_storage(os.environ.get("METALNET_DB") or default_db_url())
    app = create_app(storage, Settings.from_env())
    app.on_shutdown.append(storage.close)
    return app
