"""`flask profiles list|add`: read the procedure rules in force and add a dated rule row.

A rule change is a new row with a later effective date (rows are never edited), so `add` is
the only write: the numbers not given are copied from the row in force on the new row's
effective date (the city's own, else the national one).
"""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup
from sqlalchemy import select

from core.errors import ServiceError, render_message
from core.extensions import db
from core.models import City
from core.timeutil import today_cn
from procurement.profiles.models import METHODS, RULE_FIELDS, TRACKS
from procurement.profiles.services import NoProfile, add_profile, profile_for, profiles

profiles_cli = AppGroup("profiles", help="Procedure profiles: the dated rules of each procurement method.")


def _date(_ctx, _param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except (AttributeError, ValueError):
        raise click.BadParameter(f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2027-01-01") from None


def _city(code: str | None) -> City | None:
    if not code:
        return None
    city = db.session.execute(select(City).where(City.code == code.strip().lower())).scalar_one_or_none()
    if city is None:
        known = ", ".join(db.session.execute(select(City.code).order_by(City.code)).scalars()) or "none"
        raise click.BadParameter(f"no city {code!r} (known cities: {known})", param_hint="--city")
    return city


def _numbers(row) -> str:
    return " ".join(f"{name}={getattr(row, name)}" for name in RULE_FIELDS)


def _describe(row) -> str:
    where = row.city.code if row.city_id else "national"
    return f"#{row.id} {row.method}/{row.track} {where} from {row.effective_from.isoformat()}"


@profiles_cli.command("list")
@click.option("--method", type=click.Choice(METHODS), help="Only this procurement method.")
@click.option("--track", type=click.Choice(TRACKS), help="Only this legal track.")
@click.option("--city", "city_code", help="City code (e.g. qingdao): its own rows win over the national ones.")
@click.option("--on", "on", callback=_date, help="The date (YYYY-MM-DD, China calendar); default today.")
@click.option("--history", is_flag=True, help="Every stored row, not only those in force.")
def list_command(method, track, city_code, on, history):
    """The rules in force (per method and track) for a city or nationally, or every row."""
    city = _city(city_code)
    city_id = city.id if city else None
    if history:
        rows = [r for r in profiles(method, city_id) if track in (None, r.track)
                and (city_id is not None or r.city_id is None)]
        for row in rows:
            click.echo(f"{_describe(row)}: {_numbers(row)}")
        click.echo(f"rows: {len(rows)}")
        return
    on = on or today_cn()
    shown = 0
    for m in ([method] if method else METHODS):
        for t in ([track] if track else TRACKS):
            try:
                row = profile_for(m, t, city_id, on)
            except NoProfile:
                continue
            shown += 1
            click.echo(f"{_describe(row)}: {_numbers(row)}")
    where = city.code if city else "national"
    click.echo(f"profiles in force on {on.isoformat()} ({where}): {shown}")


def _assignments(values: tuple[str, ...]) -> dict:
    out = {}
    for item in values:
        name, sep, number = item.partition("=")
        name = name.strip()
        if not sep or name not in RULE_FIELDS:
            raise click.BadParameter(f"{item!r}: write FIELD=NUMBER with FIELD one of {', '.join(RULE_FIELDS)}",
                                     param_hint="--set")
        if name in out:
            raise click.BadParameter(f"{name} is given twice", param_hint="--set")
        out[name] = number.strip()
    return out


@profiles_cli.command("add")
@click.argument("method", type=click.Choice(METHODS))
@click.argument("track", type=click.Choice(TRACKS))
@click.argument("effective_from", metavar="EFFECTIVE_FROM", callback=_date)
@click.option("--city", "city_code", help="City code for a city's own rule (default: a national rule).")
@click.option("--set", "assignments", multiple=True, metavar="FIELD=NUMBER",
              help="A number of the rule, e.g. --set min_tender_days=25 (repeatable). Numbers not given "
                   "are copied from the row in force on EFFECTIVE_FROM.")
@click.option("--legal-basis", default="", help="The law or notice the row comes from.")
@click.option("--note", default="", help="Free text shown with the rule.")
def add_command(method, track, effective_from, city_code, assignments, legal_basis, note):
    """Add the rules of METHOD on TRACK in force from EFFECTIVE_FROM (YYYY-MM-DD).

    Stored rows never change: a new row with a later date replaces the old one from that date.
    """
    city = _city(city_code)
    numbers = _assignments(assignments)
    try:
        base = profile_for(method, track, city.id if city else None, effective_from)
    except NoProfile:
        base = None
    missing = [name for name in RULE_FIELDS if name not in numbers]
    if base is None and missing:
        raise click.UsageError(f"no {method}/{track} rules are in force on {effective_from.isoformat()} to copy "
                               f"from; give every number with --set (missing: {', '.join(missing)})")
    data = {"method": method, "track": track, "effective_from": effective_from.isoformat(),
            "city_id": city.id if city else None, "legal_basis": legal_basis, "note": note, **numbers}
    try:
        row = add_profile(None, data, base=base)
    except ServiceError as exc:
        lines = [exc.message] + [f"  {field}: {render_message(msg)}" for field, msg in exc.fields.items()]
        raise click.ClickException("\n".join(lines)) from None
    copied = f" (other numbers copied from #{base.id})" if base is not None and missing else ""
    click.echo(f"added {_describe(row)}{copied}: {_numbers(row)}")
