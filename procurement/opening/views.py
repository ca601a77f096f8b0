"""Pages of bid opening:

- /tenders/<id>/opening: the opening session (k of n, who unlocked) with the unlock form for a
  named key holder after the deadline; once opened, per lot the opened bids with every
  qualification check and its reason, the override form, the confirmation of a lot's
  qualification and the next-step choice of a failed lot (the tender's centre);
- /opening/documents/<id>: a technical document opened from a bid (centre, finance, platform);
- the public tender page's section (`templates/opening/_tender_section.html`, helper
  `opening_section(tender)`): the opening record once the bids are opened.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core import scheduler
from core.errors import NotFound, ServiceError
from core.extensions import db
from core.forms import ConfirmForm, apply_form_errors
from core.i18n import translate_error, translate_message
from core.labels import label
from core.policy import login_required
from procurement.opening import policy, qualification, reading, services
from procurement.opening.blueprints import bp
from procurement.opening.forms import NextStepForm, OverrideForm, UnlockForm
from procurement.opening.models import OpenedBid, OpenedBidDocument, QualificationResult
from procurement.opening.states import NEGOTIATION_STEP, NEXT_STEPS
from procurement.tendering.clarifications import OBJECT_TYPE, visible_tender
from procurement.web import choices

LABELS = {
    "check": {"supplier": _l("Supplier verified"), "product": _l("Product listed and certified"),
              "compliance": _l("Compliant with the lot"), "price": _l("Price within the ceiling"),
              "bond": _l("Bid bond held")},
    "session": {"not_started": _l("Waiting for the first key holder"), "collecting": _l("Collecting shares"),
                "opened": _l("Opened"), "expired": _l("Expired: shares wiped, unlock again")},
    "outcome": {"qualifying": _l("Qualification in progress"), "qualified": _l("Qualified: ready for evaluation"),
                "failed": _l("Failed"), "retender": _l("Failed: to be re-tendered"),
                "negotiation": _l("Failed: to continue by competitive negotiation")},
    "step": {"retender": _l("Re-tender the lot"),
             "competitive_negotiation": _l("Switch to competitive negotiation (with approval)")},
    "bid": {"valid": _l("Valid"), "void": _l("Void")},
}


def _tender_or_404(tender_id: int, check=None):
    scheduler.catch_up(OBJECT_TYPE, tender_id)
    try:
        tender = visible_tender(current_user, tender_id)
    except NotFound:
        abort(404)
    if check is not None and not check(current_user, tender):
        abort(404)
    return tender


def _page(tender, unlock_form=None):
    view = reading.session_view(tender)
    mine = any(h["user"].id == current_user.id and h["unlocked_at"] for h in view["holders"])
    can_unlock = policy.can_unlock_share(current_user, tender) and view["status"] != "opened" and not mine
    lots = reading.qualification_view(tender) if policy.can_view_qualification(current_user, tender) else []
    forms = {}
    for row in lots:
        if row["outcome"] is not None and row["outcome"].status == "failed":
            form = NextStepForm(prefix=f"step{row['lot'].id}")
            form.choice.choices = choices((c, label(c, "opening_step")) for c in NEXT_STEPS.get(tender.method, ()))
            forms[row["lot"].id] = form
    return render_template("opening/session.html", tender=tender, view=view, lots=lots,
                           unlock_form=unlock_form or (UnlockForm() if can_unlock else None),
                           override_form=lambda result_id: OverrideForm(prefix=f"r{result_id}", formdata=None),
                           step_forms=forms, confirm_form=ConfirmForm())


@bp.route("/tenders/<int:tender_id>/opening", methods=["GET", "POST"])
@login_required
def opening_page(tender_id):
    tender = _tender_or_404(tender_id, policy.can_view_opening)
    form = None
    if request.method == "POST":
        form = UnlockForm()
        if form.validate_on_submit():
            try:
                done = services.unlock(current_user, tender.id, form.passphrase.data)
            except ServiceError as exc:
                apply_form_errors(form, exc)
            else:
                if done.opened:
                    flash(_("Your share completed the key: the bids are opened."), "success")
                else:
                    flash(_("Your share is unlocked (%(n)s of %(k)s).", n=done.shares, k=done.k), "success")
                return redirect(url_for("opening.opening_page", tender_id=tender.id))
    return _page(tender, form)


def _back(tender_id):
    return redirect(url_for("opening.opening_page", tender_id=tender_id) + "#qualification")


@bp.post("/opening/results/<int:result_id>/override")
@login_required
def override_result(result_id):
    found = db.session.get(QualificationResult, result_id)
    if found is None:
        abort(404)
    tender = _tender_or_404(found.opened_bid.tender_id, policy.can_view_qualification)
    form = OverrideForm(prefix=f"r{result_id}")
    if form.validate_on_submit():
        try:
            qualification.override(current_user, result_id, form.passed.data == "pass", form.reason.data)
        except ServiceError as exc:
            flash(" ".join([translate_error(exc)] + [translate_message(v) for v in exc.fields.values()]), "danger")
        else:
            flash(_("The result was overridden; the reason is recorded."), "success")
    else:
        flash(_("The override was not sent: choose a result and give a reason."), "danger")
    return _back(tender.id)


@bp.post("/tenders/<int:tender_id>/lots/<int:lot_id>/qualification/confirm")
@login_required
def confirm_lot(tender_id, lot_id):
    if ConfirmForm().validate_on_submit():
        try:
            outcome = qualification.confirm(current_user, tender_id, lot_id)
        except ServiceError as exc:
            flash(translate_error(exc), "danger")
        else:
            flash(_("Qualification of the lot is closed: %(status)s.",
                    status=label(outcome.status, "opening_outcome")), "success")
    return _back(tender_id)


@bp.post("/tenders/<int:tender_id>/lots/<int:lot_id>/next-step")
@login_required
def next_step(tender_id, lot_id):
    form = NextStepForm(prefix=f"step{lot_id}")
    form.choice.choices = choices((c, c) for steps in NEXT_STEPS.values() for c in steps)
    if form.validate_on_submit():
        try:
            qualification.choose_next_step(current_user, tender_id, lot_id, form.choice.data, form.reason.data)
        except ServiceError as exc:
            flash(translate_error(exc), "danger")
        else:
            flash(_("The next step is recorded."), "success")
            if form.choice.data == NEGOTIATION_STEP:  # continue on the negotiation's start form, lot chosen
                return redirect(url_for("negotiation.start", lot=lot_id))
    else:
        flash(_("Choose the next step and give a reason."), "danger")
    return _back(tender_id)


@bp.get("/opening/documents/<int:document_id>")
@login_required
def opened_document(document_id):
    doc = db.session.get(OpenedBidDocument, document_id)
    if doc is None:
        abort(404)
    opened = db.session.get(OpenedBid, doc.opened_bid_id)
    _tender_or_404(opened.tender_id, policy.can_view_qualification)
    return Response(doc.content, mimetype="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="bid-{opened.bid_id}-doc-{doc.position}"',
                             "X-Content-Type-Options": "nosniff"})


def opening_section(tender) -> dict:
    """For the public tender page: the opening record once opened, the session's progress after
    the deadline, and whether the reader may go to the opening page."""
    view = reading.session_view(tender)
    return {"view": view, "record": reading.opening_record(tender),
            "staff": policy.can_view_opening(current_user, tender)}


def template_globals() -> dict:
    return {"opening_section": opening_section}


def template_filters() -> dict:
    return {}
