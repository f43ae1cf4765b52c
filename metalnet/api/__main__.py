"""``python -m metalnet.api``: run the server without the CLI package (flags mirror ``metalnet serve``)."""

from __future__ import annotations

import argparse
import os
import sys

from metalnet.api.server import ServeConfigError, serve
from metalnet.storage import StorageError


def main(argv: list[str] | None = None) -> int:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m metalnet.api", description="Serve the metalnet API.")
    parser.add_argument("--host", default=env("METALNET_HOST", "127.0.0.1"))
    # string defaults: argparse converts them with ``type`` too, so a bad environment value is a usage error
    parser.add_argument("--port", type=int, default=env("METALNET_PORT", "8080"))
    parser.add_argument("--db", default=env("METALNET_DB"), help="storage URL (default: sqlite ./metalnet.db)")
    parser.add_argument("--workers", type=int, default=env("METALNET_WORKERS", "1"))
    for role in ("view", "edit", "admin"):
        parser.add_argument(f"--hmac-{role}-key", default=env(f"METALNET_HMAC_{role.upper()}_KEY"))
    parser.add_argument("--token", action="append", default=None, help="ROLE[@PROJECT]:TOKEN (repeatable)")
    parser.add_argument("--log-level", default=env("METALNET_LOG_LEVEL", "info"))
    args = parser.parse_args(argv)
    tokens = args.token if args.token is not None else [t for t in env("METALNET_TOKENS", "").split(",") if t]
    try:
        serve(
            args.host, args.port, args.db, args.workers,
            hmac_keys={"view": args.hmac_view_key, "edit": args.hmac_edit_key, "admin": args.hmac_admin_key},
            tokens=tokens, log_level=args.log_level,
        )
    except (ServeConfigError, StorageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
