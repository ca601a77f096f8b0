"""`flask records verify [PROJECT]`: check projects' record chains."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from procurement.records.services import find_project, verify_all, verify_project

records_cli = AppGroup("records", help="Project closed-loop records.")


@records_cli.command("verify")
@click.argument("project", required=False)
def verify_command(project):
    """Verify the record chain of PROJECT (code or id), or of every project.

    Exits 1 naming the first broken record when anything was altered, removed or reordered.
    """
    if project:
        p = find_project(project)
        if p is None:
            raise click.ClickException(f"no project {project!r}")
        results = [verify_project(p)]
    else:
        results = verify_all()
    broken = [r for r in results if not r.ok]
    for r in results:
        if r.ok:
            click.echo(f"{r.project_code}: intact ({r.count} records)")
        else:
            click.echo(f"{r.project_code}: BROKEN at {r.problem}", err=True)
    if broken:
        raise SystemExit(1)
    click.echo(f"{len(results)} project record chain(s) intact.")
