"""`flask experts rules` and `flask experts add-rule`: the dated rule of expert draws (how long an
expert who served a purchaser stays out of that purchaser's draws). A change is a new row with a
later effective date; rows are never edited."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from core.errors import ServiceError, render_message
from procurement.profiles.cli import _city, _date

experts_cli = AppGroup("experts", help="Evaluation experts: the dated rule of their draws.")


@experts_cli.command("rules")
@click.option("--city", "city_code", help="City code: its own rows and the national ones.")
def rules_command(city_code):
    """List the stored rules, national first, newest first."""
    from procurement.evaluation import rules

    city = _city(city_code)
    for row in rules.rules(city.id if city else None):
        where = f"city {row.city_id}" if row.city_id else "national"
        click.echo(f"#{row.id} {where} from {row.effective_from.isoformat()}: recent_service_days="
                   f"{row.recent_service_days} {row.note}")


@experts_cli.command("add-rule")
@click.option("--from", "effective_from", callback=_date, required=True, help="Effective date, YYYY-MM-DD.")
@click.option("--recent-service-days", type=int, required=True,
              help="Days an expert who served a purchaser is left out of that purchaser's draws.")
@click.option("--city", "city_code", help="City code (default: the national rule).")
@click.option("--note", default="", help="Legal basis or reason.")
def add_rule_command(effective_from, recent_service_days, city_code, note):
    """Add a dated rule row."""
    from procurement.evaluation import rules

    city = _city(city_code)
    try:
        row = rules.add_rule(None, effective_from=effective_from, recent_service_days=recent_service_days,
                             city_id=city.id if city else None, note=note)
    except ServiceError as exc:
        click.echo(f"refused: {exc.message} {' '.join(render_message(m) for m in exc.fields.values())}", err=True)
        sys.exit(1)
    click.echo(f"added rule #{row.id} from {row.effective_from.isoformat()}")
