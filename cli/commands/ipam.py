"""The IPAM verbs (``prefix``, ``ip``, ``namespace``): go-ipam's service, ``POST /api.v1.IpamService/<Rpc>``.

The service wraps each answer in a message (``{"prefix": {...}}``, ``{"ip": {...}}``); the commands print
the object inside it, so ``-o yaml`` shows a prefix as the service defines it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from cli.options import PrefixLength, output_option
from cli.output import TableRenderer, emit
from cli.state import state
from cli.tables import ipam_ips_table, namespaces_table, prefixes_table, usage_table

F = TypeVar("F", bound=Callable[..., Any])


def namespace_option(func: F) -> F:
    """``--namespace`` (default: the service's ``root``)."""
    return click.option("--namespace", help="IPAM namespace (default: root).")(func)


def call(ctx: click.Context, rpc: str, body: dict[str, Any], key: str | None, table: TableRenderer,
         *, many: bool = False) -> None:
    """Call ``rpc`` with the non-``None`` fields of ``body`` and print the answer's ``key`` member.

    ``many`` marks a repeated member, which protobuf JSON leaves out when it is empty.
    """
    st = state(ctx)
    answer = st.api.ipam(rpc, {k: v for k, v in body.items() if v is not None})
    if key is not None and isinstance(answer, dict):
        answer = answer.get(key, [] if many else answer)
    emit(answer, st.output, table)


@click.group("prefix")
def prefix() -> None:
    """IPAM prefixes: create, inspect, carve child prefixes (go-ipam's service)."""


def _cidr_command(name: str, rpc: str, help_text: str, key: str | None, table: TableRenderer,
                  *, metavar: str = "CIDR") -> None:
    """``prefix <name> CIDR [--namespace]``: call ``rpc`` with the prefix and print the answer's ``key``."""

    @prefix.command(name, help=help_text)
    @click.argument("cidr", metavar=metavar)
    @namespace_option
    @output_option
    @click.pass_context
    def command(ctx: click.Context, cidr: str, namespace: str | None) -> None:
        call(ctx, rpc, {"cidr": cidr, "namespace": namespace}, key, table)


_cidr_command("create", "CreatePrefix", "Create prefix CIDR (host bits are masked; overlaps are refused).", "prefix",
              prefixes_table)
_cidr_command("describe", "GetPrefix", "Show prefix CIDR.", "prefix", prefixes_table)
_cidr_command("delete", "DeletePrefix", "Delete prefix CIDR (refused while it has IPs or child prefixes).", "prefix",
              prefixes_table)
_cidr_command("usage", "PrefixUsage", "Show how much of prefix CIDR is used.", None, usage_table)
_cidr_command("release-child", "ReleaseChildPrefix", "Release child prefix CHILD back to its parent.", "prefix",
              prefixes_table, metavar="CHILD")


@prefix.command("list")
@namespace_option
@output_option
@click.pass_context
def prefix_list(ctx: click.Context, namespace: str | None) -> None:
    """List the prefixes of a namespace."""
    call(ctx, "ListPrefixes", {"namespace": namespace}, "prefixes", prefixes_table, many=True)


@prefix.command("acquire-child")
@click.argument("parent")
@click.option("--length", type=PrefixLength(1, 128), metavar="1-128", help="Length of the next free child prefix.")
@click.option("--cidr", "child", help="This child prefix.")
@namespace_option
@output_option
@click.pass_context
def acquire_child(ctx: click.Context, parent: str, length: int | None, child: str | None,
                  namespace: str | None) -> None:
    """Acquire a child prefix of PARENT: the next free one of --length, or exactly --cidr."""
    if (length is None) == (child is None):
        raise click.UsageError("give exactly one of --length L or --cidr C")
    body = {"cidr": parent, "length": length, "childCidr": child, "namespace": namespace}
    call(ctx, "AcquireChildPrefix", body, "prefix", prefixes_table)


@click.group("ip")
def ip() -> None:
    """IPAM addresses: acquire and release IPs in prefixes (go-ipam's service)."""


@ip.command("acquire")
@click.argument("prefix_cidr", metavar="PREFIX")
@click.option("--ip", "address", help="This address (default: the lowest free one).")
@namespace_option
@output_option
@click.pass_context
def ip_acquire(ctx: click.Context, prefix_cidr: str, address: str | None, namespace: str | None) -> None:
    """Acquire an IP address in PREFIX."""
    call(ctx, "AcquireIP", {"prefixCidr": prefix_cidr, "ip": address, "namespace": namespace}, "ip",
         ipam_ips_table)


@ip.command("release")
@click.argument("prefix_cidr", metavar="PREFIX")
@click.argument("address", metavar="A")
@namespace_option
@output_option
@click.pass_context
def ip_release(ctx: click.Context, prefix_cidr: str, address: str, namespace: str | None) -> None:
    """Release IP address A of PREFIX."""
    call(ctx, "ReleaseIP", {"prefixCidr": prefix_cidr, "ip": address, "namespace": namespace}, "ip",
         ipam_ips_table)


@click.group("namespace")
def namespace() -> None:
    """IPAM namespaces: independent address spaces (go-ipam's service)."""


@namespace.command("create")
@click.argument("name")
@output_option
@click.pass_context
def namespace_create(ctx: click.Context, name: str) -> None:
    """Create namespace NAME (creating an existing one is a no-op)."""
    call(ctx, "CreateNamespace", {"namespace": name}, None, lambda data, wide: f"namespace {name} created")


@namespace.command("list")
@output_option
@click.pass_context
def namespace_list(ctx: click.Context) -> None:
    """List namespaces."""
    call(ctx, "ListNamespaces", {}, "namespace", namespaces_table, many=True)


@namespace.command("delete")
@click.argument("name")
@output_option
@click.pass_context
def namespace_delete(ctx: click.Context, name: str) -> None:
    """Delete namespace NAME (refused while it holds prefixes)."""
    call(ctx, "DeleteNamespace", {"namespace": name}, None, lambda data, wide: f"namespace {name} deleted")
