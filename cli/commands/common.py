"""Commands that differ only in their path: ``<verb> ID`` sends one request for the resource and prints it."""

from __future__ import annotations

import click

from cli.client import segment
from cli.options import output_option
from cli.output import TableRenderer, emit
from cli.state import state


def id_command(group: click.Group, name: str, method: str, path: str, help_text: str, table: TableRenderer,
               *, metavar: str = "ID") -> click.Command:
    """Add ``<group> <name> ID`` to ``group``: ``method path/ID`` (ID quoted as one segment), answer printed."""

    @group.command(name, help=help_text)
    @click.argument("ident", metavar=metavar)
    @output_option
    @click.pass_context
    def command(ctx: click.Context, ident: str) -> None:
        st = state(ctx)
        emit(st.api.call(method, f"{path}/{segment(ident)}"), st.output, table)

    return command
