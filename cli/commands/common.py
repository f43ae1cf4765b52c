"""What several commands share: ``<verb> ID`` commands, and applying ``-f`` documents one by one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from cli.client import segment
from cli.errors import ApiError
from cli.options import output_option
from cli.output import TableRenderer, emit
from cli.state import state

D = TypeVar("D")


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


def apply_documents(docs: Sequence[D], send: Callable[[D], Any], label: Callable[[D], str | None]) -> Any:
    """``send(doc)`` for every document, in order: the one answer, or the list of answers for several.

    Raises:
        ApiError: from the first document the API refuses, naming it (``label``) and what was done before;
            earlier documents stay applied (each one is a separate request and transaction on the server).
    """
    results = []
    for index, doc in enumerate(docs, start=1):
        try:
            results.append(send(doc))
        except ApiError as exc:
            if len(docs) == 1:
                raise
            done = f" after documents 1-{index - 1} were applied" if index > 1 else ""
            name = label(doc)
            raise exc.within(f"document {index} of {len(docs)}{f' ({name})' if name else ''}{done}: ") from None
    return results[0] if len(results) == 1 else results
