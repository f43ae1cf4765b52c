"""Shared pieces of the v2 tests: JWT-looking tokens, a server process with them, metal-stack's clients."""

from __future__ import annotations

import base64
import json
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from connectrpc.codec import proto_json_codec
from connectrpc.errors import ConnectError

from tests.servers.metalnet import Running, free_port, server_process

REPO = Path(__file__).resolve().parents[2]
P = "00000000-0000-0000-0000-000000000001"
Q = "00000000-0000-0000-0000-000000000002"
PARTITION = "partition-one"


def jwt(subject: str) -> str:
    """A token shaped like a JWT (metal-stack's Go client parses it; nobody checks the signature)."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part({'sub': subject, 'type': 'TOKEN_TYPE_API'})}."


#: admin editor, admin viewer, editor of P, viewer of P, editor of Q
TOKENS = {name: jwt(name) for name in ("admin", "viewer", "edit-p", "view-p", "edit-q")}
TOKEN_SPECS = [
    f"admin:{TOKENS['admin']}", f"view:{TOKENS['viewer']}", f"edit@{P}:{TOKENS['edit-p']}",
    f"view@{P}:{TOKENS['view-p']}", f"edit@{Q}:{TOKENS['edit-q']}",
]


def bearer(name: str) -> dict[str, str]:
    return {"authorization": f"Bearer {TOKENS[name]}"}


def _env(db: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "METALNET_DB": f"sqlite:///{db}",
            "METALNET_TOKENS": ",".join(TOKEN_SPECS)}


@contextmanager
def metalnet_server(cwd: Path) -> Iterator[Running]:
    """``python -m metalnet.api`` (what ``metalnet serve`` runs) with the test tokens, on SQLite."""
    port = free_port()
    command = [sys.executable, "-m", "metalnet.api", "--host", "127.0.0.1", "--port", str(port),
               "--db", f"sqlite:///{cwd / 'metalnet.db'}", "--log-level", "warning"]
    for spec in TOKEN_SPECS:
        command += ["--token", spec]
    with server_process(command, port=port, cwd=cwd, env=_env(cwd / "metalnet.db")) as running:
        yield running


def codec_kwargs(codec: str) -> Mapping[str, Any]:
    return {"codec": proto_json_codec()} if codec == "json" else {}


def refusal(call: Any) -> ConnectError:
    """The ConnectError ``call()`` raises (the test fails if it returns)."""
    try:
        result = call()
    except ConnectError as exc:
        return exc
    raise AssertionError(f"expected a refusal, got {result}")
