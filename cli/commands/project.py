"""``metalnet project …``: the projects that own networks and IPs."""

from __future__ import annotations

from typing import Any

import click

from cli.client import segment
from cli.options import output_option
from cli.output import emit
from cli.state import state
from cli.tables import projects_table


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
def create(ctx: click.Context, id_: str | None, name: str | None, description: str | None,
           tenant: str | None) -> None:
    """Create a project (metal-api keeps its id in meta.id)."""
    body: dict[str, Any] = {k: v for k, v in {"name": name, "description": description,
                                              "tenant_id": tenant}.items() if v is not None}
    if id_ is not None:
        body["meta"] = {"id": id_}
    st = state(ctx)
    emit(st.api.put("/v1/project", body), st.output, projects_table)


@project.command("list")
@output_option
@click.pass_context
def list_(ctx: click.Context) -> None:
    """List projects."""
    st = state(ctx)
    emit(st.api.get("/v1/project") or [], st.output, projects_table)


@project.command("describe")
@click.argument("project_id", metavar="ID")
@output_option
@click.pass_context
def describe(ctx: click.Context, project_id: str) -> None:
    """Show one project."""
    st = state(ctx)
    emit(st.api.get(f"/v1/project/{segment(project_id)}"), st.output, projects_table)


@project.command("delete")
@click.argument("project_id", metavar="ID")
@output_option
@click.pass_context
def delete(ctx: click.Context, project_id: str) -> None:
    """Delete a project."""
    st = state(ctx)
    emit(st.api.delete(f"/v1/project/{segment(project_id)}"), st.output, projects_table)
