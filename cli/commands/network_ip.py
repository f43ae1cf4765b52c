"""``metalnet network ip …``: allocate, list, describe, update and free IP addresses of networks."""

from __future__ import annotations

import ipaddress
from typing import IO, Any

import click

from cli.client import segment
from cli.commands.common import apply_documents, id_command
from cli.commands.events import fetch_events, ip_history_table
from cli.documents import load_documents
from cli.errors import InputError
from cli.options import family_option, file_option, list_option, output_option
from cli.output import emit
from cli.specs import IpSpec, given
from cli.state import state
from cli.tables import ips_table

IP_TYPES = ("static", "ephemeral")


@click.group("ip")
def ip_group() -> None:
    """IP addresses allocated from networks."""



@ip_group.command("create")
@click.option("--network", required=True, help="Network to allocate from.")
@click.option("--project", required=True, help="Project owning the IP.")
@click.option("--ipaddress", help="This address (default: the next free one).")
@family_option("Family of the next free address (default IPv4, or the network's only family).")
@click.option("-n", "--name", help="Name.")
@click.option("-d", "--description", help="Description.")
@click.option("--type", "type_", type=click.Choice(IP_TYPES), default="ephemeral", show_default=True,
              help="static IPs outlive the machine using them.")
@list_option("--tags", help_text="Tags, comma-separated (repeatable).")
@click.option("--count", type=click.IntRange(1), metavar="N",
              help="Allocate the N next free addresses in one request, all or nothing (at most 10000).")
@click.option("--reserved", is_flag=True,
              help="The --ipaddress lies in a reserved range and is meant (refused otherwise, naming the range).")
@output_option
@click.pass_context
def create(ctx: click.Context, network: str, project: str, ipaddress: str | None, addressfamily: str | None,
           name: str | None, description: str | None, type_: str, tags: list[str] | None,
           count: int | None, reserved: bool) -> None:
    """Allocate an IP address in a network (or --count of them)."""
    body: dict[str, object] = {"networkid": network, "projectid": project, "type": type_}
    body |= given(name=name, description=description, tags=tags, addressfamily=addressfamily, reserved=reserved)
    if count is not None and ipaddress:
        raise click.UsageError("--count allocates the next free addresses: it cannot be combined with --ipaddress")
    if count is not None:
        path = "/v1/ip/allocate/bulk"
        body["count"] = count
    else:
        path = f"/v1/ip/allocate/{segment(ipaddress)}" if ipaddress else "/v1/ip/allocate"
    st = state(ctx)
    emit(st.api.post(path, body), st.output, ips_table)


@ip_group.command("list")
@click.option("--ipaddress", help="Only this address.")
@click.option("--project", help="Only IPs of this project.")
@click.option("--network", help="Only IPs of this network.")
@click.option("--prefix", help="Only IPs in this prefix of their network.")
@click.option("--name", help="Only IPs with this name.")
@click.option("--type", "type_", type=click.Choice(IP_TYPES), help="Only IPs of this type.")
@click.option("--machineid", help="Only IPs of this machine.")
@list_option("--tags", help_text="Only IPs carrying all these tags.")
@family_option("Only IPs of this family.")
@output_option
@click.pass_context
def list_(ctx: click.Context, ipaddress: str | None, project: str | None, network: str | None,
          prefix: str | None, name: str | None, type_: str | None, machineid: str | None,
          tags: list[str] | None, addressfamily: str | None) -> None:
    """List IP addresses."""
    query = given(ipaddress=ipaddress, projectid=project, networkid=network, networkprefix=prefix, name=name,
                  type=type_, machineid=machineid, tags=tags, addressfamily=addressfamily)
    st = state(ctx)
    found = st.api.post("/v1/ip/find", query) if query else st.api.get("/v1/ip")
    emit(found if found is not None else [], st.output, ips_table)


@ip_group.command("update")
@click.argument("address", metavar="[A]", required=False)
@file_option("IP document(s) to apply (fields as in `describe -o yaml`). Excludes the flags.")
@click.option("-n", "--name", help="New name.")
@click.option("-d", "--description", help="New description.")
@click.option("--type", "type_", type=click.Choice(IP_TYPES), help="New type (static cannot become ephemeral).")
@list_option("--tags", help_text="Replace the tags.")
@output_option
@click.pass_context
def update(ctx: click.Context, address: str | None, file: IO[bytes] | None, name: str | None,
           description: str | None, type_: str | None, tags: list[str] | None) -> None:
    """Update IP address A from flags, or apply -f FILE."""
    st = state(ctx)
    flags = given(name=name, description=description, type=type_, tags=tags)
    if file is not None:
        if flags:
            raise click.UsageError(f"give either -f FILE or flags, not both (got {', '.join(flags)})")
        docs = load_documents(file.read(), getattr(file, "name", "-"), IpSpec)
        updated = apply_documents(_bodies_with_address(docs, address), lambda body: st.api.post("/v1/ip", body),
                                  lambda body: f"ip {body['ipaddress']}")
        emit(updated, st.output, ips_table)
        return
    if address is None:
        raise click.UsageError("give the address A, or -f FILE")
    if not flags:
        raise click.UsageError("nothing to update: give at least one flag, or -f FILE")
    if type_ is None:
        # the update request carries the type; keep the current one
        flags["type"] = st.api.get(f"/v1/ip/{segment(address)}").get("type")
    emit(st.api.post("/v1/ip", {"ipaddress": address, **flags}), st.output, ips_table)


def _bodies_with_address(docs: list[IpSpec], address: str | None) -> list[dict[str, Any]]:
    """Update bodies; ``address`` fills a missing ``ipaddress`` and must match a given one.

    Raises:
        InputError: a document without address, or one that differs from A.
    """
    if address is not None and len(docs) > 1:
        raise InputError(f"address {address} given, but the file holds {len(docs)} documents")
    bodies = []
    for doc in docs:
        body = doc.update_body()
        if address is not None:
            if body.get("ipaddress") not in (None, address):
                raise InputError(f"the document's ipaddress {body['ipaddress']} differs from {address}")
            body["ipaddress"] = address
        elif not body.get("ipaddress"):
            raise InputError("a document has no ipaddress (give it in the file or as the argument A)")
        bodies.append(body)
    return bodies


id_command(ip_group, "describe", "GET", "/v1/ip", "Show one IP address.", ips_table, metavar="A")
# metal-api calls freeing an IP deleting it; both names work
ip_group.add_command(id_command(ip_group, "delete", "DELETE", "/v1/ip/free", "Free IP address A.", ips_table,
                                metavar="A"), "free")


@ip_group.command("history")
@click.argument("address")
@output_option
@click.pass_context
def history(ctx: click.Context, address: str) -> None:
    """Who held ADDRESS, and when: its allocations, updates and frees, oldest first."""
    try:
        canonical = str(ipaddress.ip_address(address.strip()))  # events name addresses as the API prints them
    except ValueError:
        raise InputError(f"{address!r} is not an IP address") from None
    st = state(ctx)
    found, _ = fetch_events(st.api, {"kind": "ip", "id": canonical})
    emit(found, st.output, ip_history_table)
