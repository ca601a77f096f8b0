"""Pooling pages: the list of rounds, opening a round (centre), the round page (the centre's
overview with proposed lots, close and cancel; purchasers tick their projects' uncovered lines
and contribute them, or withdraw them)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

import catalog.interface as catalog
from core import roles as R
from core import scheduler
from core.errors import ServiceError
from core.forms import ConfirmForm, apply_form_errors
from core.policy import roles_required
from core.web import page_number
from procurement.pooling import queries, services
from procurement.pooling.forms import CancelRoundForm, ContributeForm, RoundForm
from procurement.pooling.models import ROUND_STATES
from procurement.tendering import policy
from procurement.tendering.blueprints import bp
from procurement.web import category_label, flash_error
from procurement.web import choices

PER_PAGE = 25
ROLES = (R.PROCUREMENT_OFFICER, R.PURCHASER, R.FINANCE_REVIEWER, R.INSPECTOR, R.PLATFORM_ADMIN, R.PLATFORM_REVIEWER)


def _round_or_404(round_id):
    scheduler.catch_up(services.OBJECT_TYPE, round_id)  # a round past its closing time is closed first
    try:
        return queries.get_round(current_user, round_id)
    except ServiceError:
        abort(404)


@bp.get("/pooling")
@roles_required(*ROLES)
def pooling_rounds():
    status = request.args.get("status") or None
    if status not in ROUND_STATES:
        status = None
    page = page_number(request.args)
    rows, total = queries.list_rounds(current_user, status=status, page=page, per_page=PER_PAGE)
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    return render_template("tendering/pooling/list.html", rounds=rows, total=total, page=page, pages=pages,
                           status=status, statuses=ROUND_STATES, args={"status": status} if status else {},
                           counts=queries.line_counts(r.id for r in rows), shown_status=queries.shown_status)


def _category_choices():
    return [(c.id, category_label(c)) for c in catalog.all_categories()]


@bp.route("/pooling/new", methods=["GET", "POST"])
@roles_required(R.PROCUREMENT_OFFICER)
def pooling_round_new():
    if not policy.can_open_round(current_user):
        abort(403)
    form = RoundForm()
    form.categories.choices = _category_choices()
    if form.validate_on_submit():
        try:
            pooling_round = services.open_round(current_user, form.to_data())
        except ServiceError as exc:
            apply_form_errors(form, exc)
        else:
            flash(_("Pooling round %(reference)s is open.", reference=pooling_round.reference), "success")
            return redirect(url_for("tendering.pooling_round", round_id=pooling_round.id))
    return render_template("tendering/pooling/new.html", form=form)


def _contribute_forms(pooling_round):
    """One form per project of the purchaser that may contribute now: its uncovered lines."""
    if not policy.can_contribute_to_round(current_user, pooling_round):
        return []
    out = []
    for project in queries.contributing_projects(current_user, pooling_round):
        lines = queries.eligible_lines(project, pooling_round)
        form = ContributeForm(prefix=f"p{project.id}", formdata=None)
        form.project_id.data = str(project.id)
        form.lines.choices = choices((ln.id, str(ln.line_no)) for ln in lines)
        out.append((project, {ln.id: ln for ln in lines}, form))
    return out


@bp.get("/pooling/<int:round_id>")
@roles_required(*ROLES)
def pooling_round(round_id):
    pooling_round = _round_or_404(round_id)
    see_all = policy.can_see_round_lines(current_user, pooling_round)
    summary = queries.round_summary(pooling_round, plans=see_all)
    return render_template(
        "tendering/pooling/round.html", round=pooling_round, status=queries.shown_status(pooling_round),
        summary=summary, see_all=see_all, contribute=_contribute_forms(pooling_round),
        own_lines=queries.own_lines(current_user, pooling_round), confirm=ConfirmForm(),
        cancel_form=CancelRoundForm())


def _round_step(round_id: int, form, refused: str, step, done: str):
    """A centre's step on a round from its page: the form checked (`refused` when it is not
    valid), ``step(round id, form)`` called, `done` or the service's error flashed; back to the
    round's page."""
    pooling_round = _round_or_404(round_id)
    if not form.validate_on_submit():
        flash(refused, "danger")
    else:
        try:
            step(pooling_round.id, form)
        except ServiceError as exc:
            flash_error(exc)
        else:
            flash(done, "success")
    return redirect(url_for("tendering.pooling_round", round_id=pooling_round.id))


@bp.post("/pooling/<int:round_id>/close")
@roles_required(R.PROCUREMENT_OFFICER)
def pooling_round_close(round_id):
    return _round_step(round_id, ConfirmForm(), _("The form expired or was incomplete; try again."),
                       lambda rid, _form: services.close_round(current_user, rid),
                       _("The round is closed; its lines are ready to be tendered."))


@bp.post("/pooling/<int:round_id>/cancel")
@roles_required(R.PROCUREMENT_OFFICER)
def pooling_round_cancel(round_id):
    return _round_step(round_id, CancelRoundForm(), _("Say why the round is cancelled."),
                       lambda rid, form: services.cancel_round(current_user, rid, form.reason.data),
                       _("The round is cancelled; its contributed lines were withdrawn."))


@bp.post("/pooling/<int:round_id>/contribute")
@roles_required(R.PURCHASER)
def pooling_contribute(round_id):
    pooling_round = _round_or_404(round_id)
    prefix = next((k.split("-", 1)[0] for k in request.form if k.endswith("-project_id")), "")
    form = ContributeForm(prefix=prefix)
    if not form.validate_on_submit():
        flash(_("The form expired or was incomplete; try again."), "danger")
        return redirect(url_for("tendering.pooling_round", round_id=pooling_round.id))
    try:
        project_id = int(form.project_id.data or 0)
        if not form.line_ids():
            flash(_("Tick at least one bill line to contribute."), "warning")
            return redirect(url_for("tendering.pooling_round", round_id=pooling_round.id))
        created = services.contribute_lines(current_user, pooling_round.id, project_id, form.line_ids())
    except ValueError:
        abort(404)
    except ServiceError as exc:
        flash_error(exc)
    else:
        flash(ngettext("%(num)s line contributed to the round.", "%(num)s lines contributed to the round.",
                       len(created)), "success")
    return redirect(url_for("tendering.pooling_round", round_id=pooling_round.id))


@bp.post("/pooling/<int:round_id>/lines/<int:line_id>/withdraw")
@roles_required(R.PURCHASER)
def pooling_withdraw(round_id, line_id):
    pooling_round = _round_or_404(round_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form expired or was incomplete; try again."), "danger")
        return redirect(url_for("tendering.pooling_round", round_id=pooling_round.id))
    try:
        line = services.get_line(current_user, line_id)
        if line.round_id != pooling_round.id:
            abort(404)
        services.withdraw_line(current_user, line.id)
    except ServiceError as exc:
        flash_error(exc)
    else:
        flash(_("The line was withdrawn from the round."), "success")
    return redirect(url_for("tendering.pooling_round", round_id=pooling_round.id))
