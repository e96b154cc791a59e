"""`jaring projects list` and `jaring projects create NAME`: the projects on this server.

As a site administrator would see them through the API; the work is `server.domain.projects`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from server.cli.common import DEFAULT_DATA_DIR, DataDirOption, open_services
from server.cli.errors import refuse
from server.domain.access import SYSTEM
from server.domain.projects import MAX_NAME_LENGTH, create_project, project_stats
from server.store import projects as project_store

app = typer.Typer(
    help="Projects: each with its forms, phones and submissions.", no_args_is_help=True
)


@app.command("list")
def list_command(data_dir: DataDirOption = DEFAULT_DATA_DIR) -> None:
    """List the projects: id, name, and their forms, app users and submissions."""
    services = open_services(data_dir)
    with services.db.read() as session:
        projects = project_store.list_projects(session)
    if not projects:
        typer.echo("No projects yet: make one with jaring projects create NAME.")
        return
    typer.echo(f"{'id':>4}  {'forms':>5}  {'app users':>9}  {'submissions':>11}  name")
    for project in projects:
        assert project.id is not None
        stats = project_stats(services, project_id=project.id)
        archived = " (archived)" if project.archived else ""
        typer.echo(
            f"{project.id:>4}  {stats['forms']:>5}  {stats['appUsers']:>9}"
            f"  {stats['submissions']:>11}  {project.name}{archived}"
        )


@app.command("create")
def create_command(
    name: Annotated[str, typer.Argument(help='The project\'s name, e.g. "Pemetaan Aceh".')],
    description: Annotated[
        str | None, typer.Option(help="A sentence on what the project is for.")
    ] = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Create a project; prints its id, which `jaring app-users create` takes."""
    name = name.strip()
    if not name:
        refuse('Give the project a name, for example: jaring projects create "Pemetaan Aceh".')
    if len(name) > MAX_NAME_LENGTH:
        refuse(f"The name is too long: use at most {MAX_NAME_LENGTH} characters.")
    services = open_services(data_dir)
    project = create_project(services, SYSTEM, name=name, description=description)
    typer.echo(f"Project {project.id}: {project.name}")
    typer.echo(f'  next: jaring app-users create {project.id} "HP 1" --form FORM_ID')
