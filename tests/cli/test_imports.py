"""The CLI stays a light HTTP client: importing it loads no server, storage or allocation code."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("litestar", "uvicorn", "psycopg", "rethinkdb", "metalnet.storage", "metalnet.ipam", "metalnet.network")


def test_importing_the_cli_loads_no_server_storage_or_allocation_code() -> None:
    # a fresh interpreter: this test process has imported all of them already
    probe = f"import sys, cli.main; print(sorted(m for m in sys.modules if m.startswith({HEAVY!r})))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stdout
