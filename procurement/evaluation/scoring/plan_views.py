"""Pages of a tender's evaluation method and criteria:

- /scoring/tenders/<id>/plan: the method of the tender and of each lot (read by anyone who may
  read the tender); while the tender is a draft its centre edits it (``?lot=<id>``: one lot's
  own method), and removes a lot's own method (it follows the tender's again);
- the section on the tender pages (`templates/evaluation/scoring/_tender_section.html`, helper
  `scoring_section(tender)`).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.errors import NotFound, ServiceError
from core.forms import ConfirmForm, apply_form_errors, form_field
from procurement.evaluation.scoring import arithmetic, criteria, policy, reading
from procurement.evaluation.scoring.blueprints import bp
from procurement.evaluation.scoring.forms import SPARE_ROWS, PlanForm
from procurement.quantities import format_bp
from procurement.tendering.clarifications import visible_tender


def _tender_or_404(tender_id):
    try:
        return visible_tender(current_user, tender_id)
    except NotFound:
        abort(404)


def _lot_or_404(tender, raw):
    if raw in (None, ""):
        return None
    lot = next((x for x in tender.lots if str(x.id) == str(raw)), None)
    if lot is None:
        abort(404)
    return lot


def _fill(form: PlanForm, plan) -> None:
    """Put the stored plan (or the default) into an unsubmitted form, plus spare rows."""
    values = criteria.effective(plan)
    form.method.data, form.subject.data = values["method"], values["subject"]
    form.price_weight.data = format_bp(values["price_weight_bp"]) if values["method"] == "comprehensive" else ""
    while len(form.criteria.entries):
        form.criteria.pop_entry()
    for c in values["criteria"]:
        form.criteria.append_entry({"name": c["name"], "description": c["description"],
                                    "weight": format_bp(c["weight_bp"]),
                                    "max_score": arithmetic.format_points(c["max_score_cp"])})
    for _i in range(SPARE_ROWS):
        form.criteria.append_entry()


def _field_for(form: PlanForm):
    """Service field names ("criteria.1.weight") to the form's rows (blank rows were skipped)."""
    filled = [entry.form for entry in form.criteria if not entry.form.is_blank()]

    def find(_form, name):
        parts = name.split(".")
        if parts[0] == "criteria" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(filled):
            return getattr(filled[int(parts[1])], parts[2], None)
        if parts[0] == "criteria":
            return None
        return form_field(form, name)
    return find


@bp.route("/scoring/tenders/<int:tender_id>/plan", methods=["GET", "POST"])
def plan_page(tender_id):
    tender = _tender_or_404(tender_id)
    lot = _lot_or_404(tender, request.args.get("lot"))
    editable = policy.can_edit_criteria(current_user, tender)
    form = None
    if editable:
        form = PlanForm()
        if request.method == "POST" and form.validate_on_submit():
            try:
                criteria.set_plan(current_user, tender.id, form.to_data(lot.id if lot else None))
            except ServiceError as exc:
                apply_form_errors(form, exc, _field_for(form))
            else:
                flash(_("The evaluation method is saved."), "success")
                return redirect(url_for("scoring.plan_page", tender_id=tender.id))
        elif request.method == "GET":
            plans = criteria.plans_of(tender)
            _fill(form, plans.get(lot.id) if lot else plans.get(None))
    elif request.method == "POST":
        abort(403)
    return render_template("evaluation/scoring/plan.html", tender=tender, lot=lot, form=form,
                           section=reading.tender_view(current_user, tender), confirm=ConfirmForm(),
                           profile=_profile(tender))


@bp.post("/scoring/tenders/<int:tender_id>/plan/clear")
def plan_clear(tender_id):
    tender = _tender_or_404(tender_id)
    lot = _lot_or_404(tender, request.args.get("lot"))
    if not ConfirmForm().validate_on_submit():
        flash(_("The form expired or was incomplete; try again."), "danger")
    else:
        try:
            criteria.clear_plan(current_user, tender.id, lot.id if lot else None)
        except ServiceError as exc:
            apply_form_errors(None, exc)
        else:
            flash(_("Removed: the lot follows the tender's evaluation method.") if lot
                  else _("Removed: the tender is evaluated at the lowest price."), "success")
    return redirect(url_for("scoring.plan_page", tender_id=tender.id))


def _profile(tender):
    from core.timeutil import utcnow
    from procurement.tendering.checks import find_profile

    return tender.profile or find_profile(tender, utcnow())


def scoring_section(tender) -> dict:
    """For the tender pages: each lot's evaluation method, and links for those who may act."""
    return reading.tender_view(current_user, tender)
