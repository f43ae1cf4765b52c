"""ASGI entry point of worker processes: ``metalnet.api.asgi:app_from_env`` (a factory).

A worker builds its app from the configuration ``serve`` validated and handed over in its environment
(:func:`metalnet.api.config.config_from_env`); started by hand (``uvicorn --factory metalnet.api.asgi:app_from_env``)
it loads the ``METALNET_*`` variables through the same loader. The storage is closed when the app shuts down.
"""

from __future__ import annotations

import os

from litestar import Litestar

from metalnet.api.app import create_app
from metalnet.api.config import config_from_env
from metalnet.api.server import default_db_url, lean_log_records, settle_heap
from metalnet.storage import open_storage


def app_from_env() -> Litestar:
    """An app configured from the environment, owning its storage."""
    lean_log_records()
    config = config_from_env(os.environ)
    storage = open_storage(config.db or default_db_url())
    app = create_app(storage, config.app_settings())
    app.on_shutdown.append(storage.close)
    settle_heap()
    return app
