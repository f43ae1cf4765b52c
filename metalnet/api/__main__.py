"""``python -m metalnet.api``: run the server without the CLI package (the same flags as ``metalnet serve``)."""

from __future__ import annotations

import argparse
import os
import sys

from metalnet.api.config import CONFIG_FILE_OPTION, OPTIONS, ConfigError, load_config
from metalnet.api.server import run
from metalnet.storage import StorageError


def parser() -> argparse.ArgumentParser:
    """Flags from the one option table; every default is ``None`` (the loader fills in the rest)."""
    built = argparse.ArgumentParser(prog="python -m metalnet.api", description="Serve the metalnet API.")
    for option in (*OPTIONS, CONFIG_FILE_OPTION):
        helptext = option.describe()
        if option.switch:
            built.add_argument(option.flag, dest=option.field, action=argparse.BooleanOptionalAction,
                               default=None, help=helptext)
        else:
            built.add_argument(option.flag, *option.aliases, dest=option.field, metavar=option.metavar,
                               action="append" if option.multiple else "store", default=None, help=helptext)
    return built


def main(argv: list[str] | None = None) -> int:
    args = vars(parser().parse_args(argv))
    config_file = args.pop("config_file")
    try:
        run(load_config(args, os.environ, config_file))
    except (ConfigError, StorageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return 0


if __name__ == "__main__":
    sys.exit(main())
