"""`flask records verify [PROJECT]`: check projects' record chains."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from procurement.records.integrity import missing_projects
from procurement.records.services import find_project, verify_all, verify_project

records_cli = AppGroup("records", help="Project closed-loop records.")


@records_cli.command("verify")
@click.argument("project", required=False)
def verify_command(project):
    """Verify PROJECT (code or id), or every project: its record chain, its links to the audit
    trail both ways, and that its records replay to its live rows; without PROJECT also the
    projects whose row is gone.

    Exits 1 naming each broken project's first problem.
    """
    if project:
        p = find_project(project)
        if p is not None:
            results = [verify_project(p)]
        else:
            results = [r for r in missing_projects() if project.strip() in (r.project_code, str(r.project_id))]
            if not results:
                raise click.ClickException(f"no project {project!r}")
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
