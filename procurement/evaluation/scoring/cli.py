"""`flask abnormal-prices list` and `flask abnormal-prices add`: the dated rules that flag
abnormally low prices. A change is a new row with a later effective date; rows are never edited."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from core.errors import ServiceError, render_message
from procurement.profiles.cli import _city, _date

abnormal_prices_cli = AppGroup("abnormal-prices", help="The dated rules that flag abnormally low prices.")


def _percent(_ctx, _param, value):
    if value is None:
        return None
    from procurement.quantities import QuantityError, parse_percent_bp

    try:
        return parse_percent_bp(value)
    except QuantityError as exc:
        raise click.BadParameter(str(exc)) from None


def _describe(row) -> str:
    from procurement.quantities import format_bp

    where = row.city.code if row.city_id else "national"
    average = f"{format_bp(row.below_average_bp)} %" if row.below_average_bp else "off"
    ceiling = f"{format_bp(row.below_ceiling_bp)} %" if row.below_ceiling_bp else "off"
    return (f"#{row.id} {where} from {row.effective_from.isoformat()}: below the others' average: {average}; "
            f"below the ceiling: {ceiling}; {row.justification_working_days} working days to justify {row.note}")


@abnormal_prices_cli.command("list")
@click.option("--city", "city_code", help="City code: its own rows and the national ones.")
@click.option("--on", "on", callback=_date, help="Show only the rule in force on this date (YYYY-MM-DD).")
def list_command(city_code, on):
    """List the stored rules (national first, newest first), or the one in force on a date."""
    from procurement.evaluation.scoring import rules

    city = _city(city_code)
    if on is not None:
        row = rules.rule_for(city.id if city else None, on)
        click.echo(_describe(row) if row else "no rule in force: nothing is flagged")
        return
    for row in rules.rules(city.id if city else None):
        click.echo(_describe(row))


@abnormal_prices_cli.command("add")
@click.argument("effective_from", callback=_date)
@click.option("--city", "city_code", help="City code (default: a national row).")
@click.option("--below-average", callback=_percent,
              help="Flag a total below this percentage of the average of the other valid bids (omit: off).")
@click.option("--below-ceiling", callback=_percent,
              help="Flag a total below this percentage of the lot's ceiling (omit: off).")
@click.option("--days", type=int, default=2, show_default=True, help="Working days the bidder has to justify.")
@click.option("--note", default="", help="Legal basis or reason.")
def add_command(effective_from, city_code, below_average, below_ceiling, days, note):
    """Add a dated rule row."""
    from procurement.evaluation.scoring import rules

    city = _city(city_code)
    try:
        row = rules.add_rule(None, effective_from=effective_from, city_id=city.id if city else None,
                             below_average_bp=below_average, below_ceiling_bp=below_ceiling,
                             justification_working_days=days, note=note)
    except ServiceError as exc:
        click.echo(f"refused: {exc.message} {' '.join(render_message(m) for m in exc.fields.values())}", err=True)
        sys.exit(1)
    click.echo(f"added {_describe(row)}")
