"""The project's site and acceptance page: deliveries with their automatic checks (the site
manager accepts or rejects), the acceptance checklist (generated, signed off by the inspector),
payments per order, and the links to the loop-closure report. Every action calls the same
service as the API; errors come back as a flashed message."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.errors import ServiceError
from core.forms import ConfirmForm
from core.i18n import translate_error, translate_message
from core.money import MoneyError, parse_yuan
from core.policy import login_required
from procurement.acceptance import checklist as checklist_svc
from procurement.acceptance import figures
from procurement.acceptance import payments as payment_svc
from procurement.acceptance.blueprints import bp
from procurement.acceptance.forms import PaymentForm, ReasonForm, SignOffForm
from procurement.deliveries import services as delivery_svc
from procurement.web import project_or_404


def _back(project_id):
    return redirect(url_for("acceptance.site", project_id=project_id))


def _run(project_id, step, success: str):
    try:
        step()
    except ServiceError as exc:
        flash(" ".join([translate_error(exc)] + [translate_message(v) for v in exc.fields.values()]), "danger")
    else:
        flash(success, "success")
    return _back(project_id)


@bp.get("/projects/<int:project_id>/site")
@login_required
def site(project_id):
    project = project_or_404(project_id)
    orders = figures.project_orders(project.id)
    accepted, paid = figures.accepted_by_order_line(project.id), figures.paid_by_order(project.id)
    rows = [{"order": o, "due_fen": figures.due_fen(o, accepted), "paid": paid.get(o.id, figures.Paid()),
             "payments": payment_svc.order_payments(o.id), "form": PaymentForm(prefix=f"pay{o.id}")} for o in orders]
    return render_template("acceptance/site.html", project=project,
                           deliveries=delivery_svc.project_deliveries(project.id),
                           checklist=checklist_svc.checklist_of(project.id), rows=rows, confirm_form=ConfirmForm(),
                           reason_form=ReasonForm(), sign_form=SignOffForm())


@bp.post("/deliveries/<int:delivery_id>/accept")
@login_required
def accept_delivery(delivery_id):
    delivery = delivery_svc.get_delivery(delivery_id)
    project_id = delivery.project_id if delivery else 0
    if delivery is None or not ConfirmForm().validate_on_submit():
        return _back(project_id) if delivery else redirect(url_for("procurement.project_list"))
    return _run(project_id, lambda: delivery_svc.decide(current_user, delivery_id, accept=True),
                _("The delivery is accepted."))


@bp.post("/deliveries/<int:delivery_id>/reject")
@login_required
def reject_delivery(delivery_id):
    delivery = delivery_svc.get_delivery(delivery_id)
    if delivery is None:
        return redirect(url_for("procurement.project_list"))
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for the rejection."), "danger")
        return _back(delivery.project_id)
    return _run(delivery.project_id,
                lambda: delivery_svc.decide(current_user, delivery_id, accept=False, reason=form.reason.data),
                _("The delivery is rejected."))


@bp.post("/projects/<int:project_id>/acceptance/checklist")
@login_required
def generate_checklist(project_id):
    if not ConfirmForm().validate_on_submit():
        return _back(project_id)
    return _run(project_id, lambda: checklist_svc.generate(current_user, project_id),
                _("The acceptance checklist was generated."))


@bp.post("/projects/<int:project_id>/acceptance/sign-off")
@login_required
def sign_off(project_id):
    form = SignOffForm()
    if not form.validate_on_submit():
        return _back(project_id)
    return _run(project_id, lambda: checklist_svc.sign_off(current_user, project_id, form.remarks.data or ""),
                _("The acceptance is signed off."))


@bp.post("/projects/<int:project_id>/orders/<int:order_id>/payments")
@login_required
def record_payment(project_id, order_id):
    form = PaymentForm(prefix=f"pay{order_id}")
    if not form.validate_on_submit():
        flash(_("Give the amount, the bank reference and the day paid."), "danger")
        return _back(project_id)
    try:
        amount = parse_yuan(form.amount.data, allow_zero=False)
    except MoneyError as exc:
        flash(translate_message((exc.template, exc.params) if exc.params else exc.template), "danger")
        return _back(project_id)
    return _run(project_id, lambda: payment_svc.record_payment(
        current_user, order_id, {"amount_fen": amount, "reference": form.reference.data,
                                 "paid_on": form.paid_on.data.isoformat()}), _("The payment is recorded."))
