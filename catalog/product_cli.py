"""`flask catalog expire`: the daily job suspending products whose certificate lapsed."""
from __future__ import annotations

import datetime as dt

import click

from catalog import bp


@bp.cli.command("expire")
@click.option("--today", default=None, help="Run as of this date (YYYY-MM-DD); default: today.")
def expire_command(today):
    """Suspend listed products without a valid certificate and notify their suppliers."""
    from catalog.services.product_expiry import suspend_expired_products

    try:
        day = dt.date.fromisoformat(today) if today else dt.date.today()
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--today") from None
    count = suspend_expired_products(day)
    click.echo(f"{count} product(s) suspended as of {day.isoformat()}.")


def _register_demo():
    from catalog import demo_products

    demo_products.register()


_register_demo()
