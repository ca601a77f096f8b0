"""Pages of challenges and complaints: /award-challenges/<id> shows a challenge with its answer
and complaint to the challenger's firm, the centre, the city's finance office and platform staff,
with the form each may use (the centre answers; the challenger withdraws or complains; the
finance office decides the complaint). A form with an error is shown again with the message."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.errors import ServiceError
from core.extensions import db
from core.forms import ConfirmForm, apply_form_errors
from core.policy import login_required
from procurement.awards import challenges, policy, services
from procurement.awards.blueprints import bp
from procurement.awards.forms import AnswerForm, ComplaintForm, DecisionForm
from procurement.awards.models import Challenge, Complaint


def _challenge_or_404(challenge_id: int) -> Challenge:
    found = db.session.get(Challenge, challenge_id)
    if found is None:
        abort(404)
    services.catch_up(found.award)
    found = db.session.get(Challenge, challenge_id)
    if not policy.can_see_challenge(current_user, found):
        abort(404)
    return found


def _page(challenge, **forms):
    complaint = challenge.complaint
    shown = {
        "answer_form": AnswerForm() if policy.can_answer_challenge(current_user, challenge) else None,
        "complaint_form": ComplaintForm() if policy.can_complain(current_user, challenge) else None,
        "decision_form": DecisionForm() if complaint is not None and policy.can_decide_complaint(current_user,
                                                                                                 complaint) else None,
    }
    shown.update({k: v for k, v in forms.items() if v is not None})
    return render_template("awards/challenge.html", challenge=challenge, award=challenge.award, complaint=complaint,
                           mine=policy.owns_challenge(current_user, challenge), confirm_form=ConfirmForm(), **shown)


def _again(challenge_id):
    return redirect(url_for("awards.challenge_page", challenge_id=challenge_id))


@bp.get("/award-challenges/<int:challenge_id>")
@login_required
def challenge_page(challenge_id):
    return _page(_challenge_or_404(challenge_id))


def _form_step(challenge_id, form, name: str, step, success: str):
    challenge = _challenge_or_404(challenge_id)
    if form.validate_on_submit():
        try:
            step()
        except ServiceError as exc:
            apply_form_errors(form, exc)
        else:
            flash(success, "success")
            return _again(challenge_id)
    return _page(_challenge_or_404(challenge.id), **{name: form})


@bp.post("/award-challenges/<int:challenge_id>/answer")
@login_required
def answer(challenge_id):
    form = AnswerForm()
    return _form_step(challenge_id, form, "answer_form",
                      lambda: challenges.answer(current_user, challenge_id, form.answer.data),
                      _("Your answer was sent to the challenger."))


@bp.post("/award-challenges/<int:challenge_id>/complaint")
@login_required
def complain(challenge_id):
    form = ComplaintForm()
    return _form_step(challenge_id, form, "complaint_form",
                      lambda: challenges.complain(current_user, challenge_id, form.text.data),
                      _("Your complaint was lodged with the finance office."))


@bp.post("/award-challenges/<int:challenge_id>/withdraw")
@login_required
def withdraw_challenge(challenge_id):
    _challenge_or_404(challenge_id)
    if ConfirmForm().validate_on_submit():
        try:
            challenges.withdraw_challenge(current_user, challenge_id)
        except ServiceError as exc:
            apply_form_errors(None, exc)
        else:
            flash(_("The challenge is withdrawn."), "success")
    return _again(challenge_id)


def _complaint_or_404(complaint_id: int) -> Complaint:
    found = db.session.get(Complaint, complaint_id)
    if found is None:
        abort(404)
    return found


@bp.post("/award-complaints/<int:complaint_id>/decide")
@login_required
def decide(complaint_id):
    complaint = _complaint_or_404(complaint_id)
    form = DecisionForm()
    return _form_step(complaint.challenge_id, form, "decision_form",
                      lambda: challenges.decide(current_user, complaint_id, form.outcome.data, form.reason.data),
                      _("The decision is recorded and sent."))


@bp.post("/award-complaints/<int:complaint_id>/withdraw")
@login_required
def withdraw_complaint(complaint_id):
    complaint = _complaint_or_404(complaint_id)
    challenge_id = complaint.challenge_id
    _challenge_or_404(challenge_id)
    if ConfirmForm().validate_on_submit():
        try:
            challenges.withdraw_complaint(current_user, complaint_id)
        except ServiceError as exc:
            apply_form_errors(None, exc)
        else:
            flash(_("The complaint is withdrawn."), "success")
    return _again(challenge_id)
