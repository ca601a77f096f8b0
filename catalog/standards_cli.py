"""`flask catalog seed-standards` and the demo-seed registration for categories and standards."""
import click

from core.extensions import db

from catalog import bp
from catalog.standards_seed import register_demo, seed_standards

register_demo()


@bp.cli.command("seed-standards")
def seed_standards_command():
    """Create the 51 categories and the 2022/2025 demand standards if missing (idempotent)."""
    summary = seed_standards()
    db.session.commit()
    click.echo(", ".join(f"{k}: {v}" for k, v in summary.items()) + " created")
