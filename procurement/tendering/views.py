"""Pages of the procurement centre and the finance office: the tenders they work on, a draft
built from a closed pooling round, the draft's edit page (header, lots, bonds, documents), the
review with each named check, publication and cancellation. Every button posts a form with a
CSRF token to the same service the API calls; buttons whose checks fail are shown disabled
with the reasons."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.errors import ServiceError
from core.forms import ConfirmForm, apply_form_errors, form_field
from core.i18n import translate_message
from core import roles as R
from core.policy import is_platform, login_required, roles_required
from core.web import page_number
from procurement.tendering import checks as tender_checks
from procurement.tendering import documents as tender_documents
from procurement.tendering import drafts as tender_drafts
from procurement.tendering import policy
from procurement.tendering import queries as tender_queries
from procurement.tendering import services as tender_svc
from procurement.tendering.blueprints import bp
from procurement.tendering.forms import (CancelForm, DraftForm, NewTenderForm, ReviewForm, TenderDocumentForm,
                                         local_deadline)
from procurement.tendering.public_views import lot_requirements
from procurement.tendering.states import CANCELLED, FAILED, TENDER_STATES
from procurement.web import flash_error

PER_PAGE = 20


def _managed_or_404(tender_id: int):
    """The tender for its centre, its finance office or platform staff (404 for anyone else)."""
    try:
        tender = tender_queries.get_tender(current_user, tender_id)
    except ServiceError:
        abort(404)
    if not (policy.can_manage_tender(current_user, tender) or policy.is_tender_reviewer(current_user, tender)
            or is_platform(current_user)):
        abort(404)
    tender_svc.catch_up(tender.id)
    return tender_queries.get_tender(current_user, tender.id)


def _back(tender):
    return redirect(url_for("tendering.tender_manage", tender_id=tender.id))


@bp.get("/tenders/manage")
@roles_required(R.PROCUREMENT_OFFICER, R.FINANCE_REVIEWER, R.PLATFORM_ADMIN, R.PLATFORM_REVIEWER)
def tender_manage_list():
    if tender_queries.managed_query(current_user) is None:
        abort(403)
    status = request.args.get("status") or None
    if status not in TENDER_STATES:
        status = None
    page = page_number(request.args)
    rows, total = tender_queries.list_managed(current_user, status=status, page=page, per_page=PER_PAGE)
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    return render_template("tendering/manage_list.html", tenders=rows, total=total, page=page, pages=pages,
                           status=status, statuses=TENDER_STATES, args={"status": status} if status else {},
                           can_create=policy.can_open_round(current_user))


@bp.route("/tenders/new", methods=["GET", "POST"])
@roles_required(R.PROCUREMENT_OFFICER)
def tender_new():
    if not policy.can_open_round(current_user):
        abort(403)
    rounds = tender_queries.closed_rounds(current_user)
    form = NewTenderForm()
    form.round_id.choices = [(r.id, f"{r.reference} · {r.title}") for r in rounds]
    if request.method == "GET" and request.args.get("round", "").isdigit():
        form.round_id.data = int(request.args["round"])
    if rounds and form.validate_on_submit():
        try:
            tender = tender_drafts.create_tender_from_round(current_user, form.round_id.data, form.to_data())
        except ServiceError as exc:
            apply_form_errors(form, exc, lambda f, name: f.bid_deadline if name == "bid_deadline_at"
                              else form_field(f, name))
        else:
            flash(_("Draft tender %(reference)s created from the pooling round.", reference=tender.reference),
                  "success")
            return redirect(url_for("tendering.tender_manage", tender_id=tender.id))
    return render_template("tendering/new.html", form=form, rounds=rounds)


@bp.get("/tenders/<int:tender_id>/manage")
@login_required
def tender_manage(tender_id):
    tender = _managed_or_404(tender_id)
    live = tender.status not in (CANCELLED, FAILED)
    checks = tender_svc.current_checks(tender) if tender.status in ("draft", "finance_review", "approved") else None
    review = ReviewForm() if policy.can_review_tender(current_user, tender) else None
    cancel = CancelForm() if policy.can_manage_tender(current_user, tender) and live else None
    upload = TenderDocumentForm() if policy.can_edit_draft(current_user, tender) else None
    return render_template("tendering/manage.html", tender=tender, checks=checks,
                           checks_pass=checks is not None and tender_checks.all_pass(checks),
                           review=review, cancel=cancel, upload=upload, confirm=ConfirmForm(),
                           requirements={lot.id: lot_requirements(lot) for lot in tender.lots},
                           documents=tender_documents.documents_of(tender))


@bp.route("/tenders/<int:tender_id>/edit", methods=["GET", "POST"])
@login_required
def tender_edit(tender_id):
    tender = _managed_or_404(tender_id)
    if not policy.can_edit_draft(current_user, tender):
        flash(_("Only a draft tender can be changed, by its procurement centre."), "warning")
        return _back(tender)
    form = DraftForm()
    if request.method == "GET":
        form.fill_from(tender)
    elif form.validate_on_submit():
        data, errors = form.to_data()
        for field, message in errors:
            field.errors = list(field.errors or []) + [translate_message(message)]
        if errors:
            flash(_("Please correct the marked fields."), "danger")
        else:
            try:
                tender_drafts.update_draft(current_user, tender.id, data)
            except ServiceError as exc:
                apply_form_errors(form, exc, lambda f, name: f.field_for(name))
            else:
                flash(_("Draft saved."), "success")
                return _back(tender)
    lots = {lot.number: lot for lot in tender.lots}
    return render_template("tendering/edit.html", tender=tender, form=form, lots=lots,
                           deadline=local_deadline(tender.bid_deadline_at))


def _act(tender_id, action, success: str):
    tender = _managed_or_404(tender_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form expired or was incomplete; try again."), "danger")
        return _back(tender)
    try:
        action(current_user, tender.id)
    except ServiceError as exc:
        flash_error(exc)
    else:
        flash(success, "success")
    return _back(tender)


@bp.post("/tenders/<int:tender_id>/submit")
@login_required
def tender_submit(tender_id):
    return _act(tender_id, tender_svc.submit, _("Tender sent to the finance office for review."))


@bp.post("/tenders/<int:tender_id>/publish")
@login_required
def tender_publish(tender_id):
    return _act(tender_id, tender_svc.publish, _("Tender published."))


@bp.post("/tenders/<int:tender_id>/withdraw-approval")
@login_required
def tender_withdraw_approval(tender_id):
    return _act(tender_id, tender_svc.withdraw_approval, _("The tender is a draft again; it needs a new review."))


@bp.post("/tenders/<int:tender_id>/review")
@login_required
def tender_review(tender_id):
    tender = _managed_or_404(tender_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        flash(_("The form expired or was incomplete; try again."), "danger")
        return _back(tender)
    try:
        if form.approve.data:
            tender_svc.approve(current_user, tender.id, form.comment.data)
            flash(_("Tender approved."), "success")
        else:
            tender_svc.return_(current_user, tender.id, form.comment.data)
            flash(_("Tender returned to the procurement centre."), "success")
    except ServiceError as exc:
        flash_error(exc)
    return _back(tender)


@bp.post("/tenders/<int:tender_id>/cancel")
@login_required
def tender_cancel(tender_id):
    tender = _managed_or_404(tender_id)
    form = CancelForm()
    if not form.validate_on_submit():
        for err in form.reason.errors:
            flash(f"{form.reason.label.text}: {err}", "danger")
        if not form.errors:
            flash(_("The form expired or was incomplete; try again."), "danger")
        return _back(tender)
    try:
        tender_svc.cancel(current_user, tender.id, form.reason_type.data, form.reason.data)
    except ServiceError as exc:
        flash_error(exc)
    else:
        flash(_("Tender cancelled."), "success")
    return _back(tender)


@bp.post("/tenders/<int:tender_id>/documents")
@login_required
def tender_document_attach(tender_id):
    tender = _managed_or_404(tender_id)
    form = TenderDocumentForm()
    if not form.validate_on_submit() or not form.file.data:
        for field in (form.title, form.file):
            for err in field.errors:
                flash(f"{field.label.text}: {err}", "danger")
        if not form.errors:
            flash(_("Choose a file to attach."), "danger")
        return _back(tender)
    upload = form.file.data
    try:
        tender_documents.attach(current_user, tender.id, upload.stream, upload.filename or "", form.title.data)
    except ServiceError as exc:
        flash_error(exc)
    else:
        flash(_("Document attached."), "success")
    return _back(tender)


@bp.post("/tenders/<int:tender_id>/documents/<int:link_id>/remove")
@login_required
def tender_document_remove(tender_id, link_id):
    tender = _managed_or_404(tender_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form expired or was incomplete; try again."), "danger")
        return _back(tender)
    try:
        tender_documents.remove(current_user, tender.id, link_id)
    except ServiceError as exc:
        flash_error(exc)
    else:
        flash(_("Document removed."), "success")
    return _back(tender)


# ------------------------------------------------------------------ home-page worklists

def tenders_to_review(user) -> list:
    """Finance offices: their city's tenders waiting for review (one query)."""
    from types import SimpleNamespace

    from flask_babel import lazy_gettext as _l

    from core.worklists import WorkItem
    from procurement.blueprints import page_path

    city_id = getattr(getattr(user, "organisation", None), "city_id", None)
    if city_id is None or not policy.is_tender_reviewer(user, SimpleNamespace(city_id=city_id)):
        return []
    return [WorkItem(_l("Tenders waiting for your review"), tender_queries.count_awaiting_review(city_id),
                     page_path("tendering.tender_manage_list", status="finance_review"))]


def tenders_to_publish(user) -> list:
    """Procurement centres: their approved tenders waiting to be published (one query)."""
    from flask_babel import lazy_gettext as _l

    from core.worklists import WorkItem
    from procurement.blueprints import page_path

    centre = policy.centre_of(user)
    if centre is None:
        return []
    return [WorkItem(_l("Approved tenders to publish"), tender_queries.count_to_publish(centre.id),
                     page_path("tendering.tender_manage_list", status="approved"))]


WORKLISTS = (tenders_to_review, tenders_to_publish)
