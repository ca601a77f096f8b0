"""Public tender pages, readable without signing in: the list of published tenders (filters by
city, category and status), a tender's page (lots, quantities, requirements as indicator rules,
ceilings, bonds, timeline in China time, documents with SHA-256, clarifications, amendments),
its printable tender documents and file downloads.

Before a tender is shown its due deadlines run (`services.catch_up`), and lists read the clock
too (`effective_status`), so no page shows a tender open after its deadline.
"""

from __future__ import annotations

import datetime as dt

from flask import abort, render_template, request, send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from core.documents import document_path
from core.errors import ServiceError
from core.extensions import db
from core.labels import label
from core.models import City
from core.timeutil import china_time, utcnow
from core.web import page_number
from procurement.tendering import documents as tender_documents
from procurement.tendering import policy
from procurement.tendering import queries as tender_queries
from procurement.tendering import services as tender_svc
from procurement.tendering.blueprints import bp
from procurement.tendering.checks import CHECK_TITLES
from procurement.tendering.forms import CANCEL_REASON_LABELS
from procurement.tendering.lots import rule_from_dict
from procurement.tendering.models import Lot, Tender
from procurement.tendering.states import CLOSED, PUBLIC_STATES, PUBLISHED

PER_PAGE = 20

STATUS_LABELS = {
    "draft": _l("Draft"), "finance_review": _l("Under finance review"), "approved": _l("Approved for publication"),
    "published": _l("Open for bids"), "closed": _l("Tendering closed"), "cancelled": _l("Cancelled"),
    "failed": _l("Failed"),
}
#: Added to the one label registry (`core.labels`) by the tendering wiring (the tender checks
#: join the gate checks' ``check`` group).
LABELS = {"tender_status": STATUS_LABELS, "cancel_reason": CANCEL_REASON_LABELS, "check": CHECK_TITLES}


def effective_status(tender, now=None) -> str:
    """The status the clock says: a published tender past its deadline is closed, even before
    the chronograph has run."""
    if tender.status == PUBLISHED and not policy.is_open_for_bids(tender, now):
        return CLOSED
    return tender.status


def rule_kind(kind) -> str:
    return label(kind, "kind")


def lot_requirements(lot) -> list:
    """The lot's requirements as catalogue rules (for `rule_name`, `limit_text`)."""
    return [rule_from_dict(r) for r in (lot.requirements or [])]


def shown_tender(ref):
    """The tender of the URL (id or reference) once its due deadlines have run, or 404."""
    try:
        tender = tender_queries.find_tender(current_user, ref)
    except ServiceError:
        abort(404)
    tender_id = tender.id
    tender_svc.catch_up(tender_id)
    return tender_queries.get_tender(current_user, tender_id)


@bp.get("/tenders")
def tender_list():
    cities = list(db.session.execute(select(City).order_by(City.id)).scalars())
    code = (request.args.get("city") or "").strip().lower()
    city = next((c for c in cities if c.code == code), None)
    status = request.args.get("status") or None
    if status not in PUBLIC_STATES:
        status = None
    category_ids = sorted(set(db.session.execute(
        select(Lot.category_id).join(Tender, Tender.id == Lot.tender_id).where(Tender.status.in_(PUBLIC_STATES))
    ).scalars()))
    raw_category = (request.args.get("category") or "").strip()
    category_id = int(raw_category) if raw_category.isdigit() and int(raw_category) in category_ids else None
    page = page_number(request.args)
    if code and city is None:  # a city the platform does not know has no tenders
        rows, total = [], 0
    else:
        rows, total = tender_queries.list_public(status=status, city_id=city.id if city else None,
                                             category_id=category_id, page=page, per_page=PER_PAGE, now=utcnow())
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    args = {k: v for k, v in (("city", city.code if city else None), ("status", status),
                              ("category", category_id)) if v}
    return render_template("tendering/public_list.html", tenders=rows, total=total, page=page, pages=pages,
                           cities=cities, city=city, status=status, statuses=PUBLIC_STATES,
                           category_ids=category_ids, category_id=category_id, args=args, now=utcnow())


@bp.get("/tenders/<ref>")
def tender_page(ref):
    tender = shown_tender(ref)
    return render_template("tendering/public_tender.html", tender=tender,
                           requirements={lot.id: lot_requirements(lot) for lot in tender.lots},
                           documents=tender_documents.documents_of(tender), now=utcnow())


@bp.get("/tenders/<ref>/documents/print")
def tender_documents_print(ref):
    tender = shown_tender(ref)
    return render_template("tendering/documents_print.html", tender=tender,
                           requirements={lot.id: lot_requirements(lot) for lot in tender.lots},
                           documents=tender_documents.documents_of(tender), profile=tender.profile,
                           printed_at=utcnow())


@bp.get("/tenders/<ref>/documents/<int:link_id>")
def tender_document_download(ref, link_id):
    tender = shown_tender(ref)
    if policy.is_public(tender) and not policy.documents_available(tender):
        abort(404)
    try:
        link = tender_documents.get_document(tender, link_id)
    except ServiceError:
        abort(404)
    path = document_path(link.document)
    if not path.exists():
        abort(404)
    return send_file(path, mimetype=link.document.content_type, as_attachment=True,
                     download_name=link.display_name or f"document-{link.id}")


# ------------------------------------------------------------------ records on the projects' pages

def _time(value) -> str:
    try:
        return china_time(dt.datetime.fromisoformat(value)) if value else ""
    except (TypeError, ValueError):
        return str(value or "")


def _tender(p: dict) -> str:
    return _("Tender %(reference)s", reference=p.get("reference", ""))


def _record_submitted(record, p):
    return [_tender(p), _("Sent to the city's finance office for review.")]


def _record_reviewed(record, p):
    return [_tender(p)] + ([_("Comment: %(comment)s", comment=p["comment"])] if p.get("comment") else [])


def _record_published(record, p):
    return [_tender(p), _("Published %(published)s; bids due %(deadline)s.", published=_time(p.get("published_at")),
                          deadline=_time(p.get("bid_deadline_at")))]


def _record_closed(record, p):
    return [_tender(p), _("Tendering closed at the bid deadline, %(time)s.", time=_time(p.get("closed_at")))]


def _record_cancelled(record, p):
    return [_tender(p), _("Reason: %(reason)s", reason=f"{label(p.get('reason_type'), 'cancel_reason')}: "
                                                      f"{p.get('reason', '')}")]


def _record_withdrawn(record, p):
    return [_tender(p), _("Back to draft to be changed; it will be reviewed again.")]


#: Sentences for the tender records on a project's records page (`procurement.timeline`).
RECORD_DETAILS = {
    "tender_submitted": _record_submitted, "tender_approved": _record_reviewed, "tender_returned": _record_reviewed,
    "tender_published": _record_published, "tender_closed": _record_closed, "tender_cancelled": _record_cancelled,
    "tender_approval_withdrawn": _record_withdrawn,
}
