"""``metalnet serve``: run the API server (the one command that is not an API client).

Its flags come from the server's option table (:data:`metalnet.api.config.OPTIONS`), the same one
``python -m metalnet.api`` uses; the values are resolved — flags over ``METALNET_*`` variables over the config
file over defaults — and validated by :func:`metalnet.api.config.load_config` alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import click

from cli.errors import ConfigError
from metalnet.api.config import CONFIG_FILE_OPTION, OPTIONS, Option


def _click_option(option: Option) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    helptext = option.describe()
    if option.switch:
        name = option.flag.removeprefix("--")
        return click.option(f"{option.flag}/--no-{name}", option.field, default=None, help=helptext)
    return click.option(option.flag, *option.aliases, option.field, metavar=option.metavar,
                        multiple=option.multiple, default=None, help=helptext)


def _with_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed((*OPTIONS, CONFIG_FILE_OPTION)):
        command = _click_option(option)(command)
    return command


@click.command("serve")
@_with_options
def serve(config_file: str | None, **flags: Any) -> None:
    """Run the metalnet API server (until SIGTERM or Ctrl-C)."""
    # imported here: every other command is a light HTTP client and must not load the server stack
    from metalnet.api.config import ConfigError as ServerConfigError
    from metalnet.api.config import load_config
    from metalnet.api.server import run
    from metalnet.storage import StorageError

    try:
        config = load_config(flags, os.environ, config_file)
        run(config)
    except (ServerConfigError, StorageError) as exc:
        raise ConfigError(str(exc)) from None
    except SystemExit as exc:
        # uvicorn exits (code 3) when it cannot bind; it has logged why on the line above
        if exc.code not in (0, None):
            where = f"{config.host}:{config.port}"
            raise click.ClickException(f"the server could not start on {where} (see the log above)") from None
