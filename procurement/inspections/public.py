"""Public pages of inspection results ("one open"): `/public/inspections` (published results,
newest first, with each campaign's draw pages; filter by city) and
`/public/inspections/<id>` (one result: items, samples, findings, team draws, rectification
notices and their status). Anyone, signed in or not; nothing unpublished is shown."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy import select

from core.errors import NotFound
from core.extensions import db
from core.models import City
from procurement.blueprints import _ids_in_range
from procurement.inspections import results, teams

bp = Blueprint("inspections_public", __name__)
bp.url_value_preprocessor(_ids_in_range)


@bp.get("/public/inspections")
def public_list():
    cities = list(db.session.execute(select(City).order_by(City.id)).scalars())
    city = next((c for c in cities if c.code == (request.args.get("city") or "")), None)
    rows = results.published_results(city.id if city else None)
    return render_template("inspections/public_list.html", rows=rows, cities=cities, city=city,
                           state=results.publication_state)


@bp.get("/public/inspections/<int:inspection_id>")
def public_page(inspection_id):
    try:
        inspection = results.public_inspection(inspection_id)
    except NotFound:
        abort(404)
    names = {i["code"]: i["name"] for i in inspection.campaign.items}
    return render_template("inspections/public_page.html", inspection=inspection, names=names,
                           draws=teams.draws_of(inspection), state=results.publication_state(inspection))
