"""``metalnet partition …``: the partitions networks live in."""

from __future__ import annotations

import click

from cli.client import segment
from cli.options import labels_option, output_option
from cli.output import emit
from cli.state import state
from cli.tables import partitions_table


@click.group("partition")
def partition() -> None:
    """Partitions (a site or failure domain; one private super network each)."""


@partition.command("create")
@click.option("--id", "id_", required=True, help="Partition id, e.g. mini-lab.")
@click.option("-n", "--name", help="Name.")
@click.option("-d", "--description", help="Description.")
@labels_option("--labels")
@output_option
@click.pass_context
def create(ctx: click.Context, id_: str, name: str | None, description: str | None,
           labels: dict[str, str] | None) -> None:
    """Create a partition."""
    body = {k: v for k, v in {"id": id_, "name": name, "description": description, "labels": labels}.items()
            if v is not None}
    st = state(ctx)
    emit(st.api.put("/v1/partition", body), st.output, partitions_table)


@partition.command("list")
@output_option
@click.pass_context
def list_(ctx: click.Context) -> None:
    """List partitions."""
    st = state(ctx)
    emit(st.api.get("/v1/partition") or [], st.output, partitions_table)


@partition.command("describe")
@click.argument("partition_id", metavar="ID")
@output_option
@click.pass_context
def describe(ctx: click.Context, partition_id: str) -> None:
    """Show one partition."""
    st = state(ctx)
    emit(st.api.get(f"/v1/partition/{segment(partition_id)}"), st.output, partitions_table)


@partition.command("delete")
@click.argument("partition_id", metavar="ID")
@output_option
@click.pass_context
def delete(ctx: click.Context, partition_id: str) -> None:
    """Delete a partition."""
    st = state(ctx)
    emit(st.api.delete(f"/v1/partition/{segment(partition_id)}"), st.output, partitions_table)
