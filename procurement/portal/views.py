"""The public portal's pages and Atom feeds (no login; English or Chinese by the visitor's
choice). Every list reads `queries`, which returns published records only."""

from __future__ import annotations

from flask import Response, abort, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from core import atom
from core.extensions import db
from core.models import City
from core.money import format_fen
from core.timeutil import today_cn
from procurement.portal import queries
from procurement.portal.blueprints import bp

ATOM_TYPE = "application/atom+xml; charset=utf-8"


def _city_arg() -> City | None:
    """The `city` filter (a code); an unknown one is a 404 (a typo is noticed, not read as "none")."""
    code = (request.args.get("city") or "").strip()
    if not code:
        return None
    if len(code) > 40:
        abort(404)
    city = db.session.execute(select(City).where(City.code == code)).scalar_one_or_none()
    if city is None:
        abort(404)
    return city


def _cities():
    return list(db.session.execute(select(City).order_by(City.code)).scalars())


def _endpoint_exists(name: str) -> bool:
    from flask import current_app

    return name in current_app.view_functions


def _zh() -> bool:
    return str(get_locale() or "").startswith("zh")


def _name(obj) -> str:
    zh, en = getattr(obj, "name_zh", None), getattr(obj, "name_en", None)
    return (zh or en) if _zh() else (en or zh)


@bp.get("/")
def index():
    raw_year = request.args.get("year", "")
    year = int(raw_year) if raw_year.isdigit() and 2000 <= int(raw_year) <= 2100 else today_cn().year
    return render_template("portal/index.html", figures=queries.city_figures(year), year=year)


def inspections_url() -> str:
    """The public inspection results (INS's pages), by endpoint when registered."""
    for endpoint in ("inspections.public_list", "inspections_public.public_list", "inspections.public_results"):
        if _endpoint_exists(endpoint):
            return url_for(endpoint)
    return "/public/inspections"


@bp.get("/tenders")
def tenders():
    city = _city_arg()
    city_id = city.id if city else None
    return render_template("portal/tenders.html", open=queries.open_tenders(city_id),
                           closed=queries.closed_tenders(city_id), city=city, cities=_cities())


@bp.get("/openings")
def openings():
    return render_template("portal/openings.html", rows=queries.opened_tenders())


@bp.get("/tenders/<int:tender_id>/opening")
def opening_record(tender_id):
    from procurement.opening.reading import opening_record as record_of

    tender = queries.public_tender(tender_id)
    record = record_of(tender) if tender is not None else None
    if record is None:  # no such tender, or its bids are still sealed
        abort(404)
    return render_template("portal/opening.html", tender=tender, record=record)


@bp.get("/awards")
def awards():
    city = _city_arg()
    return render_template("portal/awards.html", awards=queries.public_awards(city.id if city else None),
                           city=city, cities=_cities())


@bp.get("/contracts")
def contracts():
    city = _city_arg()
    return render_template("portal/contracts.html", contracts=queries.public_contracts(city.id if city else None),
                           city=city, cities=_cities())


# --- feeds -----------------------------------------------------------------------------------------

def _feed(entries, title: str, endpoint: str, alternate: str) -> Response:
    args = {"city": request.args["city"]} if request.args.get("city") else {}
    body = atom.render(entries, title=title, self_url=url_for(endpoint, _external=True, **args),
                       alternate_url=url_for(alternate, _external=True, **args),
                       language="zh-Hans" if _zh() else "en")
    return Response(body, mimetype="application/atom+xml", headers={"Content-Type": ATOM_TYPE})


@bp.get("/feeds/awards.atom")
def awards_feed():
    city = _city_arg()
    entries = [atom.Entry(url=url_for("awards.notice", award_id=a.id, _external=True),
                          title=_("Award notice: %(reference)s lot %(lot)s", reference=a.tender.reference,
                                  lot=a.lot.number),
                          summary=_("%(firm)s, %(amount)s.", firm=_name(a.winner) if a.winner else "–",
                                    amount=format_fen(a.total_fen) if a.total_fen is not None else "–"),
                          updated=a.notice_at, published=a.notice_at)
               for a in queries.public_awards(city.id if city else None)]
    return _feed(entries, _("Award notices"), "portal.awards_feed", "portal.awards")


@bp.get("/feeds/contracts.atom")
def contracts_feed():
    city = _city_arg()
    entries = [atom.Entry(url=url_for("portal.contracts", _external=True) + f"#contract-{c.id}",
                          title=_("Contract %(reference)s: %(title)s", reference=c.reference, title=c.title),
                          summary=_("Valid %(start)s to %(end)s.", start=c.valid_from.isoformat(),
                                    end=c.valid_until.isoformat()),
                          updated=c.published_at, published=c.published_at)
               for c in queries.public_contracts(city.id if city else None)]
    return _feed(entries, _("Published contracts"), "portal.contracts_feed", "portal.contracts")


@bp.get("/feeds/closed-tenders.atom")
def closed_feed():
    city = _city_arg()
    entries = [atom.Entry(url=url_for("tendering.tender_page", ref=t.id, _external=True),
                          title=f"{t.reference} {t.title}",
                          summary=_("Closed for bids on %(deadline)s.", deadline=t.bid_deadline_at.date().isoformat()
                                    if t.bid_deadline_at else "–"),
                          updated=t.updated_at or t.published_at, published=t.published_at)
               for t in queries.closed_tenders(city.id if city else None)]
    return _feed(entries, _("Closed tenders"), "portal.closed_feed", "portal.tenders")
