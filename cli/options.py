"""Option types and decorators shared by the commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from cli.state import OUTPUT_FORMATS, CliState

F = TypeVar("F", bound=Callable[..., Any])

ADDRESS_FAMILIES = ("IPv4", "IPv6")


def split_list(ctx: click.Context, param: click.Parameter, values: tuple[str, ...] | None) -> list[str] | None:
    """``--prefixes a,b --prefixes c`` → ``["a", "b", "c"]``; ``None`` when the option was not given."""
    if not values:
        return None
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def parse_labels(ctx: click.Context, param: click.Parameter, values: tuple[str, ...] | None) -> dict[str, str] | None:
    """``--labels a=1,b=2`` (repeatable) → ``{"a": "1", "b": "2"}``; ``None`` when not given.

    Raises:
        click.BadParameter: an item without ``=`` or with an empty key.
    """
    items = split_list(ctx, param, values)
    if items is None:
        return None
    labels: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", ctx=ctx, param=param)
        labels[key.strip()] = value.strip()
    return labels


def address_family(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``ipv6`` / ``IPV6`` / ``IPv6`` → ``IPv6`` (the API's spelling)."""
    if value is None:
        return None
    for family in ADDRESS_FAMILIES:
        if value.lower() == family.lower():
            return family
    raise click.BadParameter(f"{value!r} is not one of IPv4, IPv6", ctx=ctx, param=param)


class PrefixLength(click.ParamType[int]):
    """A prefix length between ``low`` and ``high``, read by the server's own parser (canonical ASCII decimal:
    ``024``, ``+24`` or ``٢٤`` are refused, where ``int()`` would read 24)."""

    name = "length"

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            text: int | str = value
        else:
            text = str(value)
        # imported here: the CLI stays light to import, and only a length option needs the parser
        from metalnet.ipam.addresses import parse_length

        try:
            length = parse_length(text, "prefix length", maximum=999)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        if not self.low <= length <= self.high:
            self.fail(f"invalid prefix length {value!r}: expected {self.low} to {self.high}", param, ctx)
        return length


def list_option(*names: str, help_text: str) -> Callable[[F], F]:
    """A repeatable, comma-separated list option (``None`` when absent)."""
    return click.option(*names, multiple=True, callback=split_list, metavar="A,B,...", help=help_text)


def labels_option(*names: str, help_text: str = "Labels KEY=VALUE, comma-separated (repeatable).") -> Callable[[F], F]:
    """A ``--labels k=v,...`` option."""
    return click.option(*names, multiple=True, callback=parse_labels, metavar="K=V,...", help=help_text)


def family_option(help_text: str) -> Callable[[F], F]:
    """An ``--addressfamily IPv4|IPv6`` option (any case)."""
    return click.option("--addressfamily", "addressfamily", callback=address_family, metavar="IPv4|IPv6",
                        help=help_text)


def _set_output(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(CliState).output = value


def output_option(func: F) -> F:
    """``-o/--output`` on a command (overrides the root group's ``-o``)."""
    option = click.option(
        "-o", "--output", type=click.Choice(OUTPUT_FORMATS), expose_value=False, callback=_set_output,
        is_eager=False, help="Output format (default: table).",
    )
    return option(func)


def file_option(help_text: str) -> Callable[[F], F]:
    """A ``-f/--file PATH`` option (``-`` reads stdin), opened in binary mode."""
    return click.option("-f", "--file", "file", type=click.File("rb"), metavar="FILE", help=help_text)


def _address(text: str) -> bool:
    import ipaddress  # imported here: only a --reserve option needs it

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def parse_range(text: str) -> dict[str, str] | None:
    """``FROM-TO[:DESCRIPTION]`` as the API's reserved range, ``None`` when it is not one.

    An IPv6 ``TO`` holds colons itself: it is the longest part before a colon that is an address, so a
    description that could be read as the address's last group is written after a bracketed ``[TO]``.
    """
    first, sep, rest = text.partition("-")
    first, rest = first.strip().removeprefix("[").removesuffix("]"), rest.lstrip()
    if not sep or not _address(first):
        return None
    if rest.startswith("["):
        last, closed, after = rest[1:].partition("]")
        if not closed or (after and not after.startswith(":")) or not _address(last):
            return None
        return {"from": first, "to": last, "description": after[1:]}
    cuts = [len(rest)] + [i for i in range(len(rest) - 1, -1, -1) if rest[i] == ":"]
    for cut in cuts:
        if _address(rest[:cut]):
            return {"from": first, "to": rest[:cut], "description": rest[cut + 1:]}
    return None


def parse_ranges(ctx: click.Context, param: click.Parameter,
                 values: tuple[str, ...] | None) -> list[dict[str, str]] | None:
    """``--reserve FROM-TO[:DESCRIPTION]`` (repeatable) → the API's ``reservedranges``; ``None`` when not given.

    Raises:
        click.BadParameter: a value that is not two addresses joined by ``-`` (naming it).
    """
    if not values:
        return None
    ranges = []
    for value in values:
        parsed = parse_range(value)
        if parsed is None:
            raise click.BadParameter(f"{value!r} is not FROM-TO[:DESCRIPTION] (two addresses joined by '-')",
                                     ctx=ctx, param=param)
        ranges.append(parsed)
    return ranges


def reserve_option(help_text: str) -> Callable[[F], F]:
    """A repeatable ``--reserve FROM-TO[:DESCRIPTION]`` option (``None`` when absent)."""
    return click.option("--reserve", "reserve", multiple=True, callback=parse_ranges,
                        metavar="FROM-TO[:DESCRIPTION]", help=help_text)
