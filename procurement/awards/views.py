"""Pages of awards (challenge pages: `challenge_views`):

- /tenders/<id>/awards: the centre's and the finance office's page: per lot the recommendation
  and the ranking kept with it, the review (approve / return), the notice, withdrawals and
  offers, the next step of a failed award, and whether the contract may be signed;
- /awards/<id>: the award notice (public once published): winner, amount, dates, the status of
  every challenge (no content); a bidder's challenge form within the window; an offered firm's
  accept / decline forms;
- the public tender page's section (`templates/awards/_tender_section.html`, helper
  `award_section(tender)`).

Views parse, call a service, render; a refused step is flashed and nothing changes.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.errors import NotFound, ServiceError
from core.extensions import db
from core.forms import ConfirmForm, apply_form_errors
from core.i18n import translate_error, translate_message
from core.labels import label
from core.policy import login_required
from core.timeutil import china_time
from procurement.awards import challenges, policy, reading, services, succession
from procurement.awards.blueprints import bp
from procurement.awards.forms import (
    ChallengeForm,
    DeclineForm,
    NextStepForm,
    ReviewForm,
    WithdrawalForm,
)
from procurement.awards.models import AwardOffer
from procurement.opening.reading import lot_outcome
from procurement.opening.states import NEXT_STEPS
from procurement.tendering import services as tender_services
from procurement.tendering.clarifications import visible_tender
from procurement.web import choices


def _flash_error(exc: ServiceError) -> None:
    flash(" ".join([translate_error(exc)] + [translate_message(v) for v in exc.fields.values()]), "danger")


def _tender_or_404(tender_id: int):
    tender_services.catch_up(tender_id)
    try:
        tender = visible_tender(current_user, tender_id)
    except NotFound:
        abort(404)
    if not policy.is_staff(current_user, tender):
        abort(404)
    return tender


def _award_or_404(award_id: int):
    award = services.get_award(award_id)
    if award is None:
        abort(404)
    services.catch_up(award)
    try:
        return services.visible_award(current_user, award_id)
    except NotFound:
        abort(404)


def _step_form(award) -> NextStepForm:
    form = NextStepForm(prefix=f"step{award.id}")
    form.choice.choices = choices((c, label(c, "award_step")) for c in NEXT_STEPS.get(award.tender.method, ()))
    return form


# ------------------------------------------------------------------ the centre's and the finance office's page

@bp.get("/tenders/<int:tender_id>/awards")
@login_required
def manage(tender_id):
    tender = _tender_or_404(tender_id)
    rows = []
    for row in reading.tender_awards(current_user, tender):
        if row["award"] is not None:
            services.catch_up(row["award"])
    for row in reading.tender_awards(current_user, tender):
        award = row["award"]
        rows.append({**row, "outcome": lot_outcome(row["lot"].id),
                     "view": reading.award_view(current_user, award) if award is not None else None,
                     "review_form": ReviewForm(prefix=f"review{award.id}") if award is not None else None,
                     "withdrawal_form": WithdrawalForm(prefix=f"w{award.id}") if award is not None else None,
                     "step_form": _step_form(award) if award is not None else None})
    return render_template("awards/manage.html", tender=tender, rows=rows, confirm_form=ConfirmForm())


def _back(tender_id):
    return redirect(url_for("awards.manage", tender_id=tender_id))


def _run(tender_id, step, success: str):
    try:
        step()
    except ServiceError as exc:
        _flash_error(exc)
    else:
        flash(success, "success")
    return _back(tender_id)


@bp.post("/tenders/<int:tender_id>/lots/<int:lot_id>/award")
@login_required
def submit(tender_id, lot_id):
    if not ConfirmForm().validate_on_submit():
        return _back(tender_id)
    return _run(tender_id, lambda: services.submit(current_user, tender_id, lot_id),
                _("The recommendation was sent to the finance office."))


def _award_tender(award_id) -> int:
    award = services.get_award(award_id)
    if award is None:
        abort(404)
    return award.tender_id


@bp.post("/awards/<int:award_id>/review")
@login_required
def review(award_id):
    tender_id = _award_tender(award_id)
    form = ReviewForm(prefix=f"review{award_id}")
    if not form.validate_on_submit():
        flash(_("Choose a decision."), "danger")
        return _back(tender_id)
    if form.decision.data == "approve":
        return _run(tender_id, lambda: services.approve(current_user, award_id, form.comment.data),
                    _("The recommendation is approved."))
    return _run(tender_id, lambda: services.return_recommendation(current_user, award_id, form.comment.data),
                _("The recommendation was returned to the centre."))


@bp.post("/awards/<int:award_id>/resubmit")
@login_required
def resubmit(award_id):
    tender_id = _award_tender(award_id)
    if not ConfirmForm().validate_on_submit():
        return _back(tender_id)
    return _run(tender_id, lambda: services.resubmit(current_user, award_id),
                _("The recommendation was sent to the finance office."))


@bp.post("/awards/<int:award_id>/publish")
@login_required
def publish(award_id):
    tender_id = _award_tender(award_id)
    if not ConfirmForm().validate_on_submit():
        return _back(tender_id)
    return _run(tender_id, lambda: services.publish(current_user, award_id), _("The award notice is published."))


@bp.post("/awards/<int:award_id>/withdrawal")
@login_required
def withdrawal(award_id):
    tender_id = _award_tender(award_id)
    form = WithdrawalForm(prefix=f"w{award_id}")
    if not form.validate_on_submit():
        flash(_("Choose what happened and give the reason."), "danger")
        return _back(tender_id)
    return _run(tender_id, lambda: succession.record_withdrawal(current_user, award_id, form.kind.data,
                                                                form.reason.data),
                _("The withdrawal is recorded; the bid bond is forfeited where one was held."))


@bp.post("/awards/<int:award_id>/next-step")
@login_required
def next_step(award_id):
    tender_id = _award_tender(award_id)
    form = NextStepForm(prefix=f"step{award_id}")
    form.choice.choices = choices((c, c) for steps in NEXT_STEPS.values() for c in steps)
    if not form.validate_on_submit():
        flash(_("Choose the next step and give a reason."), "danger")
        return _back(tender_id)
    return _run(tender_id, lambda: succession.choose_next_step(current_user, award_id, form.choice.data,
                                                               form.reason.data),
                _("The next step is recorded."))


# ------------------------------------------------------------------ the award notice

def _notice_page(award, challenge_form=None):
    view = reading.award_view(current_user, award)
    return render_template("awards/notice.html", v=view, award=award,
                           challenge_form=challenge_form or (ChallengeForm() if view["can_challenge"] else None),
                           decline_form=DeclineForm(), confirm_form=ConfirmForm())


@bp.get("/awards/<int:award_id>")
def notice(award_id):
    return _notice_page(_award_or_404(award_id))


@bp.post("/awards/<int:award_id>/challenges")
@login_required
def lodge_challenge(award_id):
    award = _award_or_404(award_id)
    form = ChallengeForm()
    if form.validate_on_submit():
        try:
            challenge = challenges.lodge(current_user, award.id, form.text.data)
        except ServiceError as exc:
            apply_form_errors(form, exc)
        else:
            flash(_("Your challenge is lodged; the centre answers by %(deadline)s.",
                    deadline=china_time(challenge.answer_due_at)), "success")
            return redirect(url_for("awards.challenge_page", challenge_id=challenge.id))
    return _notice_page(_award_or_404(award_id), form)


def _offer_award(offer_id) -> int:
    found = db.session.get(AwardOffer, offer_id)
    if found is None:
        abort(404)
    return found.award_id


@bp.post("/award-offers/<int:offer_id>/accept")
@login_required
def accept_offer(offer_id):
    award_id = _offer_award(offer_id)
    if ConfirmForm().validate_on_submit():
        try:
            succession.accept_offer(current_user, offer_id)
        except ServiceError as exc:
            _flash_error(exc)
        else:
            flash(_("You accepted the award; the finance office reviews it before a new award notice."), "success")
    return redirect(url_for("awards.notice", award_id=award_id))


@bp.post("/award-offers/<int:offer_id>/decline")
@login_required
def decline_offer(offer_id):
    award_id = _offer_award(offer_id)
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            succession.decline_offer(current_user, offer_id, form.reason.data)
        except ServiceError as exc:
            _flash_error(exc)
        else:
            flash(_("You declined the offer."), "success")
    return redirect(url_for("awards.notice", award_id=award_id))


def award_section(tender) -> dict:
    """For the public tender page: each lot's award as the reader may see it."""
    rows = reading.tender_awards(current_user, tender)
    return {"rows": rows, "any": any(r["award"] is not None for r in rows),
            "staff": policy.is_staff(current_user, tender)}


def template_globals() -> dict:
    return {"award_section": award_section}


def template_filters() -> dict:
    return {"score_text": reading.score_text}
