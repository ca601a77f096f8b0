"""`flask draws verify DRAW` and `flask draws show DRAW` (`core.draws`)."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

draws_cli = AppGroup("draws", help="Random draws: verify and show.")


def _draw_or_exit(ref):
    from core import draws
    from core.errors import NotFound

    try:
        return draws.get(ref)
    except NotFound:
        click.echo(f"no such draw: {ref}", err=True)
        sys.exit(2)


@draws_cli.command("verify")
@click.argument("draw_id")
def verify_command(draw_id):
    """Recompute DRAW from its stored pool snapshot and seed, check the commitment and the audit
    trail. Prints OK, or each difference and exits 1."""
    from core import draws

    draw = _draw_or_exit(draw_id)
    report = draws.verify(draw)
    if report.ok:
        for line in report.checked:
            click.echo(f"  {line}")
        click.echo(f"OK draw {draw.id} ({draw.purpose} {draw.subject}, {draw.status})")
        return
    for line in report.problems:
        click.echo(f"DIFFERS: {line}", err=True)
    click.echo(f"DRAW {draw.id} DOES NOT VERIFY ({len(report.problems)} problem(s))", err=True)
    sys.exit(1)


@draws_cli.command("show")
@click.argument("draw_id")
def show_command(draw_id):
    """Print DRAW: purpose, subject, status, commitment, times, pool and result; the seed only
    once it is public (revealed or cancelled), so that it never lands in a terminal log early."""
    from core import draws

    draw = _draw_or_exit(draw_id)
    view = draws.public_view(draw)
    for key in ("id", "purpose", "subject", "status", "algorithm", "commitment", "parent_id", "committed_at",
                "drawn_at", "revealed_at", "pool_size", "excluded_count", "size", "strata", "pool_sha256"):
        click.echo(f"{key:15} {view[key] if view[key] is not None else '-'}")
    click.echo(f"{'seed':15} {view['seed'] or '(secret until revealed)'}")
    if draw.result is not None:
        click.echo(f"{'result':15} {' '.join(draw.result)}")
    kids = draws.children(draw)
    if kids:
        click.echo(f"{'replacements':15} {' '.join(str(k.id) for k in kids)}")
