"""``metalnet network …``: create, allocate, free, list, describe, update and delete networks."""

from __future__ import annotations

from typing import IO

import click

from cli.client import segment
from cli.commands.common import apply_documents, id_command
from cli.commands.network_ip import ip_group
from cli.documents import load_documents
from cli.errors import InputError
from cli.options import (
    PrefixLength,
    family_option,
    file_option,
    labels_option,
    list_option,
    output_option,
    reserve_option,
)
from cli.output import emit
from cli.specs import NetworkSpec, given
from cli.state import state
from cli.tables import networks_table


@click.group("network")
def network() -> None:
    """Networks: super networks, child networks allocated from them, and their IPs."""


network.add_command(ip_group)


def _id_label(doc: NetworkSpec) -> str | None:
    return f"id {doc.id}" if doc.id else None


def read_networks(file: IO[bytes]) -> list[NetworkSpec]:
    """The network documents of ``file``."""
    return load_documents(file.read(), getattr(file, "name", "-"), NetworkSpec)


@network.command("create")
@file_option("Network document(s), YAML or JSON; '-' reads stdin. Excludes the field flags.")
@click.option("--id", "id_", help="Network id (default: a generated UUID).")
@click.option("-n", "--name", help="Name.")
@click.option("-d", "--description", help="Description.")
@click.option("-p", "--partition", help="Partition id.")
@click.option("--project", help="Project id.")
@list_option("--prefixes", help_text="Prefixes (CIDRs), comma-separated (repeatable).")
@list_option("--destination-prefixes", help_text="Destination prefixes (CIDRs), comma-separated.")
@click.option("--privatesuper", is_flag=True, help="A private super network (child networks are allocated from it).")
@click.option("--nat", is_flag=True, help="Traffic to this network is NATed.")
@click.option("--underlay", is_flag=True, help="An underlay network.")
@click.option("--vrf", type=click.IntRange(min=1), help="VRF id to take from the pool.")
@click.option("--vrfshared", is_flag=True, help="Allow a VRF id another network holds already.")
@click.option("--default-ipv4-child-prefix-length", type=PrefixLength(1, 32), metavar="1-32",
              help="Length of IPv4 child prefixes (private super networks).")
@click.option("--default-ipv6-child-prefix-length", type=PrefixLength(1, 128), metavar="1-128",
              help="Length of IPv6 child prefixes (private super networks).")
@list_option("--additional-announcable-cidrs", help_text="Additional announcable CIDRs (private super networks).")
@labels_option("--labels")
@reserve_option("Keep addresses FROM to TO of a prefix out of next-free allocation (repeatable).")
@output_option
@click.pass_context
def create(ctx: click.Context, file: IO[bytes] | None, id_: str | None, name: str | None,
           description: str | None, partition: str | None, project: str | None, prefixes: list[str] | None,
           destination_prefixes: list[str] | None, privatesuper: bool, nat: bool, underlay: bool,
           vrf: int | None, vrfshared: bool, default_ipv4_child_prefix_length: int | None,
           default_ipv6_child_prefix_length: int | None, additional_announcable_cidrs: list[str] | None,
           labels: dict[str, str] | None, reserve: list[dict[str, str]] | None) -> None:
    """Create networks from -f FILE (one document, a list or a YAML stream) or from flags."""
    lengths = given(IPv4=default_ipv4_child_prefix_length, IPv6=default_ipv6_child_prefix_length)
    body = given(id=id_, name=name, description=description, partitionid=partition, projectid=project,
                 labels=labels, prefixes=prefixes, destinationprefixes=destination_prefixes,
                 defaultchildprefixlength=lengths or None, privatesuper=privatesuper, nat=nat, underlay=underlay,
                 vrf=vrf, vrfshared=vrfshared, additionalAnnouncableCIDRs=additional_announcable_cidrs,
                 reservedranges=reserve)
    st = state(ctx)
    if file is not None:
        if body:
            raise click.UsageError(f"give either -f FILE or field flags, not both (got {', '.join(body)})")
        docs = read_networks(file)
        created = apply_documents(docs, lambda doc: st.api.put("/v1/network", doc.create_body()), _id_label)
        emit(created, st.output, networks_table)
        return
    if not prefixes:
        raise click.UsageError("give -f FILE, or the network's fields with at least --prefixes")
    emit(st.api.put("/v1/network", body), st.output, networks_table)


@network.command("allocate")
@click.option("-n", "--name", required=True, help="Name of the new network.")
@click.option("-p", "--partition", required=True, help="Partition whose private super network is the parent.")
@click.option("--project", required=True, help="Project owning the new network.")
@click.option("-d", "--description", help="Description.")
@labels_option("--labels")
@family_option("Allocate a prefix of this family only (default: every family of the parent).")
@click.option("--ipv4-prefix-length", type=PrefixLength(1, 32), metavar="1-32",
              help="Length of the IPv4 child prefix.")
@click.option("--ipv6-prefix-length", type=PrefixLength(1, 128), metavar="1-128",
              help="Length of the IPv6 child prefix.")
@click.option("--shared", is_flag=True, help="Other projects may allocate IPs in it.")
@click.option("--count", type=click.IntRange(1), metavar="N",
              help="Allocate N child networks in one request, all or nothing (at most 10000).")
@reserve_option("Keep addresses FROM to TO of the child's prefixes out of next-free allocation (repeatable; "
                "refused, allocating nothing, when they are not in the prefixes the child gets).")
@output_option
@click.pass_context
def allocate(ctx: click.Context, name: str, partition: str, project: str, description: str | None,
             labels: dict[str, str] | None, addressfamily: str | None, ipv4_prefix_length: int | None,
             ipv6_prefix_length: int | None, shared: bool, count: int | None,
             reserve: list[dict[str, str]] | None) -> None:
    """Allocate a child network (one child prefix per family and a VRF) from a partition's super network."""
    length = given(IPv4=ipv4_prefix_length, IPv6=ipv6_prefix_length)
    body: dict[str, object] = {"partitionid": partition, "projectid": project, "name": name}
    body |= given(description=description, labels=labels, addressfamily=addressfamily, length=length or None,
                  shared=shared, reservedranges=reserve)
    st = state(ctx)
    if count is not None:
        emit(st.api.post("/v1/network/allocate/bulk", {**body, "count": count}), st.output, networks_table)
        return
    emit(st.api.post("/v1/network/allocate", body), st.output, networks_table)


@network.command("list")
@click.option("--id", "id_", help="Only the network with this id.")
@click.option("--name", help="Only networks with this name.")
@click.option("--partition", help="Only networks in this partition.")
@click.option("--project", help="Only networks of this project.")
@list_option("--prefix", "--prefixes", help_text="Only networks with these prefixes.")
@list_option("--destination-prefixes", help_text="Only networks with these destination prefixes.")
@click.option("--privatesuper/--no-privatesuper", default=None, help="Only (not) private super networks.")
@click.option("--nat/--no-nat", default=None, help="Only networks with (without) NAT.")
@click.option("--underlay/--no-underlay", default=None, help="Only (not) underlay networks.")
@click.option("--parent", help="Only children of this network.")
@click.option("--vrf", type=int, help="Only networks with this VRF.")
@labels_option("--labels", help_text="Only networks with these labels.")
@family_option("Only networks with a prefix of this family.")
@output_option
@click.pass_context
def list_(ctx: click.Context, id_: str | None, name: str | None, partition: str | None, project: str | None,
          prefix: list[str] | None, destination_prefixes: list[str] | None, privatesuper: bool | None,
          nat: bool | None, underlay: bool | None, parent: str | None, vrf: int | None,
          labels: dict[str, str] | None, addressfamily: str | None) -> None:
    """List networks: super networks with their children indented below them."""
    query = {k: v for k, v in {
        "id": id_, "name": name, "partitionid": partition, "projectid": project, "prefixes": prefix,
        "destinationprefixes": destination_prefixes, "privatesuper": privatesuper, "nat": nat,
        "underlay": underlay, "parentnetworkid": parent, "vrf": vrf, "labels": labels,
        "addressfamily": addressfamily,
    }.items() if v is not None}
    st = state(ctx)
    found = st.api.post("/v1/network/find", query) if query else st.api.get("/v1/network")
    emit(found if found is not None else [], st.output, networks_table)


def changed_list(current: list[str], add: list[str] | None, remove: list[str] | None, what: str) -> list[str] | None:
    """``current`` with ``add`` appended and ``remove`` taken out; ``None`` when nothing changes.

    Raises:
        click.UsageError: adding one that is present, or removing one that is not.
    """
    if not add and not remove:
        return None
    present = [p for p in (add or []) if p in current]
    absent = [p for p in (remove or []) if p not in current]
    if present:
        raise click.UsageError(f"{what} {', '.join(present)} already present")
    if absent:
        raise click.UsageError(f"{what} {', '.join(absent)} not present (present: {', '.join(current) or 'none'})")
    return [p for p in current if p not in (remove or [])] + list(add or [])


@network.command("update")
@click.argument("network_id", metavar="[ID]", required=False)
@file_option("Network document(s) to apply (fields as in `describe -o yaml`). Excludes the flags.")
@click.option("-n", "--name", help="New name.")
@click.option("-d", "--description", help="New description.")
@list_option("--add-prefixes", help_text="Prefixes to add.")
@list_option("--remove-prefixes", help_text="Prefixes to remove.")
@list_option("--add-destination-prefixes", help_text="Destination prefixes to add.")
@list_option("--remove-destination-prefixes", help_text="Destination prefixes to remove.")
@labels_option("--labels", help_text="Replace the labels (KEY=VALUE, comma-separated).")
@click.option("--shared", is_flag=True, help="Mark the network shared (cannot be undone).")
@click.option("--force", is_flag=True, help="Allow removing additional announcable CIDRs.")
@reserve_option("The reserved ranges from now on: they replace the current ones (repeatable).")
@click.option("--unreserve-all", is_flag=True, help="Remove every reserved range.")
@output_option
@click.pass_context
def update(ctx: click.Context, network_id: str | None, file: IO[bytes] | None, name: str | None,
           description: str | None, add_prefixes: list[str] | None, remove_prefixes: list[str] | None,
           add_destination_prefixes: list[str] | None, remove_destination_prefixes: list[str] | None,
           labels: dict[str, str] | None, shared: bool, force: bool, reserve: list[dict[str, str]] | None,
           unreserve_all: bool) -> None:
    """Update network ID from flags, or apply -f FILE (then ID, if given, must match the document)."""
    st = state(ctx)
    params = {"force": "true"} if force else None
    if reserve and unreserve_all:
        raise click.UsageError("give either --reserve or --unreserve-all, not both")
    ranges = [] if unreserve_all else reserve
    flags = given(name=name, description=description, add_prefixes=add_prefixes,
                  remove_prefixes=remove_prefixes, add_destination_prefixes=add_destination_prefixes,
                  remove_destination_prefixes=remove_destination_prefixes, labels=labels, shared=shared,
                  reserve=ranges)
    if file is not None:
        if flags:
            raise click.UsageError(f"give either -f FILE or flags, not both (got {', '.join(flags)})")
        docs = _documents_with_id(read_networks(file), network_id)
        updated = apply_documents(docs, lambda doc: st.api.post("/v1/network", doc.update_body(), params=params),
                                  _id_label)
        emit(updated, st.output, networks_table)
        return
    if network_id is None:
        raise click.UsageError("give the network ID, or -f FILE")
    if not flags:
        raise click.UsageError("nothing to update: give at least one flag, or -f FILE")
    current = st.api.get(f"/v1/network/{segment(network_id)}")
    prefixes = changed_list(current.get("prefixes") or [], add_prefixes, remove_prefixes, "prefixes")
    destinations = changed_list(current.get("destinationprefixes") or [], add_destination_prefixes,
                                remove_destination_prefixes, "destination prefixes")
    body = {"id": network_id} | given(name=name, description=description, labels=labels, shared=shared,
                                      prefixes=prefixes, destinationprefixes=destinations, reservedranges=ranges)
    if current.get("additionalAnnouncableCIDRs"):
        # the API removes CIDRs left out of an update; send the current ones so a rename keeps them
        body["additionalAnnouncableCIDRs"] = current["additionalAnnouncableCIDRs"]
    emit(st.api.post("/v1/network", body, params=params), st.output, networks_table)


def _documents_with_id(docs: list[NetworkSpec], network_id: str | None) -> list[NetworkSpec]:
    """The documents, each with an id: ``network_id`` fills a missing one and must match a given one.

    Raises:
        InputError: a document without id (and no ID argument), or one whose id differs from ID.
    """
    if network_id is not None and len(docs) > 1:
        raise InputError(f"ID {network_id} given, but the file holds {len(docs)} documents")
    for doc in docs:
        if network_id is not None:
            if doc.id not in (None, network_id):
                raise InputError(f"the document's id {doc.id} differs from ID {network_id}")
            doc.id = network_id
        elif not doc.id:
            raise InputError("a document has no id (give it in the file or as the ID argument)")
    return docs


id_command(network, "describe", "GET", "/v1/network", "Show one network.", networks_table)
id_command(network, "free", "DELETE", "/v1/network/free", "Free a child network: release its prefixes and its VRF.",
           networks_table)
id_command(network, "delete", "DELETE", "/v1/network",
           "Delete a network (refused while it has children or allocated IPs).", networks_table)
