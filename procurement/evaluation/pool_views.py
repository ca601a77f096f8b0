"""Pages of the expert pool (the city's finance office): the list, adding an expert, changing
one (profile, active flag). Forms post to the same services as the API."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from catalog.interface import all_categories
from core import roles as R
from core.errors import NotFound, ServiceError
from core.forms import apply_form_errors
from core.policy import roles_required
from core.web import page_number
from procurement.evaluation import experts as expert_svc
from procurement.evaluation import policy
from procurement.evaluation.forms import ActiveForm, ExpertForm
from procurement.evaluation.views import bp
from procurement.web import category_name


def _category_choices():
    return [(c.code, c.name_zh or c.name_en) for c in all_categories()]


@bp.get("/evaluation/experts")
@roles_required(R.FINANCE_REVIEWER)
def expert_list():
    if not policy.can_manage_pool(current_user):
        abort(403)
    raw = request.args.get("active")
    active = True if raw == "1" else False if raw == "0" else None
    page = page_number(request.args)
    rows, total = expert_svc.list_pool(current_user, active=active, page=page)
    pages = max(1, (total + expert_svc.PER_PAGE - 1) // expert_svc.PER_PAGE)
    counts = expert_svc.pool_counts(policy.finance_city_of(current_user))
    return render_template("evaluation/experts.html", experts=rows, total=total, page=page, pages=pages,
                           counts=counts, active=raw, args={"active": raw} if raw in ("0", "1") else {})


@bp.route("/evaluation/experts/new", methods=["GET", "POST"])
@roles_required(R.FINANCE_REVIEWER)
def expert_new():
    if not policy.can_manage_pool(current_user):
        abort(403)
    form = ExpertForm()
    form.specialities.choices = _category_choices()
    if form.validate_on_submit():
        try:
            expert = expert_svc.add_expert(current_user, form.to_data(with_account=True))
        except ServiceError as exc:
            apply_form_errors(form, exc)
        else:
            flash(_("%(name)s was added to the pool and invited by e-mail.", name=expert.user.name), "success")
            return redirect(url_for("evaluation.expert_page", expert_id=expert.id))
    elif request.method == "POST":
        flash(_("Please correct the marked fields."), "danger")
    return render_template("evaluation/expert_form.html", form=form, expert=None)


@bp.route("/evaluation/experts/<int:expert_id>", methods=["GET", "POST"])
@roles_required(R.FINANCE_REVIEWER, R.PLATFORM_ADMIN, R.PLATFORM_REVIEWER, R.EXPERT)
def expert_page(expert_id):
    try:
        expert = expert_svc.get_expert(current_user, expert_id)
    except NotFound:
        abort(404)
    editable = policy.can_manage_pool(current_user, expert.city_id)
    form = ExpertForm(obj=expert if request.method == "GET" else None)
    form.specialities.choices = _category_choices()
    if request.method == "POST":
        if not editable:
            abort(403)
        if form.validate_on_submit():
            try:
                expert_svc.update_expert(current_user, expert.id, form.to_data(with_account=False))
            except ServiceError as exc:
                apply_form_errors(form, exc)
            else:
                flash(_("Saved."), "success")
                return redirect(url_for("evaluation.expert_page", expert_id=expert.id))
        else:
            flash(_("Please correct the marked fields."), "danger")
    return render_template("evaluation/expert_form.html", form=form if editable else None, expert=expert,
                           active_form=ActiveForm(active=expert.active) if editable else None,
                           specialities=[category_name(code) for code in expert.specialities or []])


@bp.post("/evaluation/experts/<int:expert_id>/active")
@roles_required(R.FINANCE_REVIEWER)
def expert_active(expert_id):
    form = ActiveForm()
    if not form.validate_on_submit():
        flash(_("The form expired or was incomplete; try again."), "danger")
    else:
        try:
            expert_svc.update_expert(current_user, expert_id, {"active": bool(form.active.data)})
        except NotFound:
            abort(404)
        except ServiceError as exc:
            apply_form_errors(None, exc)
        else:
            flash(_("Saved."), "success")
    return redirect(url_for("evaluation.expert_page", expert_id=expert_id))
