"""``metalnet partition …`` and ``metalnet project …``: the records networks and IPs refer to.

Both have the same ``list``, ``describe ID`` and ``delete ID`` (made by :func:`add_read_and_delete`); only
``create`` differs (a project's id travels in metal-api's ``meta.id``).
"""

from __future__ import annotations

import click

from cli.commands.common import id_command
from cli.options import labels_option, output_option
from cli.output import TableRenderer, emit
from cli.specs import given
from cli.state import state
from cli.tables import partitions_table, projects_table


def add_read_and_delete(group: click.Group, noun: str, table: TableRenderer) -> None:
    """Add ``list``, ``describe ID`` and ``delete ID`` of ``/v1/<noun>`` to ``group``."""
    path = f"/v1/{noun}"

    @group.command("list", help=f"List {noun}s.")
    @output_option
    @click.pass_context
    def list_(ctx: click.Context) -> None:
        st = state(ctx)
        emit(st.api.get(path) or [], st.output, table)

    id_command(group, "describe", "GET", path, f"Show one {noun}.", table)
    id_command(group, "delete", "DELETE", path, f"Delete a {noun}.", table)


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
def create_partition(ctx: click.Context, id_: str, name: str | None, description: str | None,
                     labels: dict[str, str] | None) -> None:
    """Create a partition."""
    st = state(ctx)
    body = given(id=id_, name=name, description=description, labels=labels)
    emit(st.api.put("/v1/partition", body), st.output, partitions_table)


@click.group("project")
def project() -> None:
    """Projects (owners of child networks and IPs)."""


@project.command("create")
@click.option("--id", "id_", help="Project id (default: a generated UUID).")
@click.option("-n", "--name", help="Name.")
@click.option("-d", "--description", help="Description.")
@click.option("--tenant", help="Tenant id.")
@output_option
@click.pass_context
def create_project(ctx: click.Context, id_: str | None, name: str | None, description: str | None,
                   tenant: str | None) -> None:
    """Create a project (metal-api keeps its id in meta.id)."""
    st = state(ctx)
    body = given(meta={"id": id_} if id_ is not None else None, name=name, description=description,
                 tenant_id=tenant)
    emit(st.api.put("/v1/project", body), st.output, projects_table)


add_read_and_delete(partition, "partition", partitions_table)
add_read_and_delete(project, "project", projects_table)
