"""The ``metalnet`` command: the root group, its connection options, and :func:`main`.

The root group only gathers the connection settings; the ``httpx.Client`` is built when a command first
talks to the API (see :class:`cli.state.CliState`). A test hands its own client in ``obj``::

    CliRunner().invoke(cli, ["network", "list"], obj=CliState(http=TestClient(app)))
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from pathlib import Path
from typing import Any

import click
import httpx

from cli.client import DEFAULT_TIMEOUT, build_http_client
from cli.commands.events import events
from cli.commands.ipam import ip, namespace, prefix
from cli.commands.network import network
from cli.commands.resources import partition, project
from cli.commands.serve import serve
from cli.config import Source, resolve
from cli.state import OUTPUT_FORMATS, CliState

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


def _version() -> str:
    """The installed distribution's version ("unknown" when run from a source tree)."""
    try:
        return importlib.metadata.version("metalnet")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    # looked up only when asked for: reading package metadata costs more than the rest of the start-up
    if value and not ctx.resilient_parsing:
        click.echo(f"metalnet, version {_version()}")
        ctx.exit()


class RootGroup(click.Group):
    """The root group; turns an unexpected exception into one line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a bug shows as one ``Error:`` line (the traceback with METALNET_DEBUG=1)."""
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if os.environ.get("METALNET_DEBUG"):
                raise
            raise click.ClickException(
                f"unexpected {type(exc).__name__}: {exc} (a bug; METALNET_DEBUG=1 shows the traceback)"
            ) from None


@click.group(cls=RootGroup, context_settings=CONTEXT_SETTINGS)
@click.option("--api-url", metavar="URL", help="API URL [env METALNET_URL; default http://127.0.0.1:8080].")
@click.option("--token", metavar="TOKEN", help="Bearer token [env METALNET_TOKEN].")
@click.option("--hmac", "hmac_key", metavar="KEY", help="HMAC key, wins over a token [env METALNET_HMAC].")
@click.option("--hmac-user", type=click.Choice(["Metal-View", "Metal-Edit", "Metal-Admin"]),
              help="HMAC user [env METALNET_HMAC_USER; default Metal-Admin].")
@click.option("--context", "context_name", metavar="NAME",
              help="Context of the config file [env METALNET_CONTEXT; default: its `current`].")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Config file [env METALNET_CONFIG; default ~/.metalnet/config.yaml].")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds to wait for the API.")
@click.option("-o", "--output", type=click.Choice(OUTPUT_FORMATS), help="Output format (default: table).")
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version and exit.")
@click.pass_context
def cli(ctx: click.Context, api_url: str | None, token: str | None, hmac_key: str | None, hmac_user: str | None,
        context_name: str | None, config_path: Path | None, timeout: float, output: str | None) -> None:
    """metalnet: dual-stack networks, IPs and IPAM prefixes, as a client of the metalnet API.

    Start the API with `metalnet serve`; every other command talks to it. Output is a table, or the
    API's objects with -o yaml / -o json.
    """
    st = ctx.ensure_object(CliState)
    if output is not None:
        st.output = output
    flags = Source(url=api_url, token=token, hmac=hmac_key, hmac_user=hmac_user)

    def connect() -> httpx.Client:
        return build_http_client(resolve(flags, config_path=config_path, context=context_name), timeout=timeout)

    if st.connect is None:
        st.connect = connect
    ctx.call_on_close(st.close)


for command in (network, partition, project, prefix, ip, namespace, serve, events):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    """The console script ``metalnet``."""
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="metalnet")


if __name__ == "__main__":
    main()
