"""`flask oversight refresh`: recompute the monthly figures now (what the chronograph does
periodically), printing the rows written per source."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from core.services import unit_of_work
from procurement.oversight import refresh

oversight_cli = AppGroup("oversight", help="Oversight dashboards: monthly figures.")


@oversight_cli.command("refresh")
def refresh_command():
    """Rewrite the monthly fact table from every source and arm the next scheduled refresh."""
    with unit_of_work():
        written = refresh.refresh()
        refresh.arm()
    for name, rows in written.items():
        click.echo(f"{name}: {rows} rows")
