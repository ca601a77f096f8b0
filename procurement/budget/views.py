"""The budget page: submit or resubmit (purchaser), approve or return (city finance office)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import roles as R
from core.errors import ServiceError
from core.forms import apply_form_errors, form_field
from core.policy import login_required, roles_required
from procurement.blueprints import bp
from procurement.budget import policy
from procurement.budget import services as budget_svc
from procurement.budget.forms import BudgetForm, ReviewForm
from procurement.budget.models import RETURNED, SUBMITTED
from procurement.web import flash_error, message_text, project_or_404

_FORM_FIELDS = {"total_fen": "total", "green_share_bp": "green_share", "funding_sources": "funding"}


def _show_form_errors(form, errors: dict) -> None:
    for key, message in errors.items():
        if hasattr(form, key):
            getattr(form, key).errors = list(getattr(form, key).errors) + [message_text(message)]
        else:
            flash(f"{_('Funding source')} {int(key.split('-')[1]) + 1}: {message_text(message)}", "danger")


@bp.route("/projects/<int:project_id>/budget", methods=["GET", "POST"])
@login_required
def budget(project_id):
    project = project_or_404(project_id)
    b = project.budget
    can_submit = policy.can_submit_budget(current_user, project) and (b is None or b.status == RETURNED)
    can_review = policy.can_review_budget(current_user, project) and b is not None and b.status == SUBMITTED
    form = BudgetForm() if can_submit else None
    review = ReviewForm() if can_review else None
    if form is not None and request.method == "GET" and b is not None:
        form.fill_from(b)
    if form is not None and request.method == "POST" and form.validate_on_submit():
        data, errors = form.to_data()
        if errors:
            _show_form_errors(form, errors)
        else:
            try:
                budget_svc.submit_budget(current_user, project.id, data)
            except ServiceError as exc:
                apply_form_errors(form, exc, lambda f, name: form_field(f, _FORM_FIELDS.get(name, name)))
            else:
                flash(_("Budget submitted to the finance office."), "success")
                return redirect(url_for("procurement.budget", project_id=project.id))
    return render_template("procurement/budget.html", project=project, budget=b, form=form, review=review)


@bp.post("/projects/<int:project_id>/budget/review")
@roles_required(R.FINANCE_REVIEWER)
def budget_review(project_id):
    project = project_or_404(project_id)
    review = ReviewForm()
    if not review.validate_on_submit():
        flash(_("The form expired or was incomplete; try again."), "danger")
        return redirect(url_for("procurement.budget", project_id=project.id))
    try:
        if review.approve.data:
            budget_svc.approve_budget(current_user, project.id, review.comment.data)
            flash(_("Budget approved."), "success")
        else:
            budget_svc.return_budget(current_user, project.id, review.comment.data)
            flash(_("Budget returned to the purchaser."), "success")
    except ServiceError as exc:
        flash_error(exc)
    return redirect(url_for("procurement.budget", project_id=project.id))
