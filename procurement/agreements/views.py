"""Pages of agreements and call-off orders:

- /agreements: the agreements a person works with, with the agreement's use as a progress bar;
  for a centre, its awarded lots waiting for an agreement (signing deadline, overdue flagged) and
  the form to prepare one;
- /agreements/<id>: facts, deadlines, suppliers and prices, quota use per project (progress bars),
  the orders; the centre signs, publishes, terminates; a purchaser orders within its quota;
- /orders, /orders/<id>: orders; the supplier confirms or refuses, the purchaser cancels or accepts.

Server-rendered, no JavaScript: progress bars are `<progress>` elements. Views parse, call the
same services as the API, and flash a refusal (nothing changes).
"""

from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.errors import NotFound, ServiceError
from core.forms import ConfirmForm
from core.i18n import translate_error, translate_message
from core.policy import login_required
from procurement.agreements import reading, services
from procurement.agreements.blueprints import bp
from procurement.agreements.forms import OrderForm, PrepareForm, ReasonForm
from procurement.orders import services as orders
from procurement.web import choices


def _flash_error(exc: ServiceError) -> None:
    flash(" ".join([translate_error(exc)] + [translate_message(v) for v in exc.fields.values()]), "danger")


def _run(step, success: str, back):
    try:
        step()
    except ServiceError as exc:
        _flash_error(exc)
    else:
        flash(success, "success")
    return redirect(back)


@bp.get("/agreements")
@login_required
def overview():
    rows = [{"agreement": a, "percent": reading.percent(a.ordered_quantity_milli, a.total_quantity_milli)}
            for a in reading.agreements_for(current_user)]
    waiting = reading.lots_awaiting_agreement(current_user)
    return render_template("agreements/overview.html", rows=rows, waiting=waiting,
                           forms={w["lot"].id: PrepareForm(prefix=f"lot{w['lot'].id}") for w in waiting})


@bp.post("/lots/<int:lot_id>/agreement")
@login_required
def prepare(lot_id):
    form = PrepareForm(prefix=f"lot{lot_id}")
    back = url_for("agreements.overview")
    if not form.validate_on_submit():
        flash(_("Please check the agreement's terms: the last day of validity is required."), "danger")
        return redirect(back)
    try:
        agreement = services.prepare(current_user, lot_id, form.data_for_service())
    except ServiceError as exc:
        _flash_error(exc)
        return redirect(back)
    flash(_("The agreement was prepared; sign it once the standstill period is over."), "success")
    return redirect(url_for("agreements.detail", agreement_id=agreement.id))


def _agreement_or_404(agreement_id):
    try:
        return services.visible_agreement(current_user, agreement_id)
    except NotFound:
        abort(404)


def _order_forms(view) -> dict:
    forms = {}
    agreement = view["agreement"]
    if not view["in_force"]:
        return forms
    for row in view["quotas"]:
        quota = row["quota"]
        from procurement.orders.policy import can_order

        if not can_order(current_user, agreement, quota.project):
            continue
        form = OrderForm(prefix=f"q{quota.id}")
        form.supplier_org_id.choices = choices((str(s.supplier_org_id), s.supplier.name_en if s.supplier else "")
                                               for s in view["suppliers"])
        if not form.request_id.data:
            form.request_id.data = secrets.token_hex(8)  # one per rendered form: a double submit orders once
        forms[quota.id] = form
    return forms


@bp.get("/agreements/<int:agreement_id>")
@login_required
def detail(agreement_id):
    agreement = _agreement_or_404(agreement_id)
    from core import scheduler

    scheduler.catch_up("agreement", agreement.id)
    agreement = _agreement_or_404(agreement_id)
    view = reading.agreement_view(current_user, agreement)
    return render_template("agreements/detail.html", v=view, a=agreement, confirm_form=ConfirmForm(),
                           reason_form=ReasonForm(), order_forms=_order_forms(view))


def _agreement_step(agreement_id, step, success):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _run(lambda: step(current_user, agreement_id), success,
                url_for("agreements.detail", agreement_id=agreement_id))


@bp.post("/agreements/<int:agreement_id>/sign")
@login_required
def sign(agreement_id):
    return _agreement_step(agreement_id, services.sign, _("The agreement is signed; publish it within the deadline."))


@bp.post("/agreements/<int:agreement_id>/publish")
@login_required
def publish(agreement_id):
    return _agreement_step(agreement_id, services.publish, _("The agreement is published."))


@bp.post("/agreements/<int:agreement_id>/end")
@login_required
def end(agreement_id):
    form = ReasonForm()
    back = url_for("agreements.detail", agreement_id=agreement_id)
    if not form.validate_on_submit():
        flash(_("Please give the reason (at least 5 characters)."), "danger")
        return redirect(back)
    step = services.cancel_draft if request.args.get("what") == "cancel" else services.terminate
    return _run(lambda: step(current_user, agreement_id, form.reason.data), _("The agreement was ended."), back)


@bp.post("/agreements/<int:agreement_id>/quotas/<int:quota_id>/order")
@login_required
def place(agreement_id, quota_id):
    agreement = _agreement_or_404(agreement_id)
    quota = next((q for q in agreement.quotas if q.id == quota_id), None)
    if quota is None:
        abort(404)
    form = OrderForm(prefix=f"q{quota_id}")
    form.supplier_org_id.choices = choices((str(s.supplier_org_id), "") for s in agreement.suppliers)
    back = url_for("agreements.detail", agreement_id=agreement_id)
    if not form.validate_on_submit():
        flash(_("Please give the quantity to order."), "danger")
        return redirect(back)
    body = {"request_id": form.request_id.data or secrets.token_hex(8),
            "supplier_org_id": form.supplier_org_id.data or None, "selection_method": form.selection_method.data,
            "selection_note": form.selection_note.data or "", "negotiation_id": form.negotiation_id.data,
            "lines": [{"bom_line_id": quota.bom_line_id, "quantity": form.quantity.data}]}
    try:
        order = orders.place_order(current_user, agreement_id, quota.project_id, body)
    except ServiceError as exc:
        _flash_error(exc)
        return redirect(back)
    flash(_("Order %(reference)s was placed.", reference=order.reference), "success")
    return redirect(url_for("agreements.order_page", order_id=order.id))


@bp.get("/orders")
@login_required
def order_list():
    return render_template("agreements/orders.html", orders=reading.orders_for(current_user))


@bp.get("/orders/<int:order_id>")
@login_required
def order_page(order_id):
    try:
        order = orders.visible_order(current_user, order_id)
    except NotFound:
        abort(404)
    return render_template("agreements/order.html", o=order, confirm_form=ConfirmForm(), reason_form=ReasonForm())


def _order_step(order_id, call):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _run(lambda: call(current_user, order_id), _("The order was updated."),
                url_for("agreements.order_page", order_id=order_id))


@bp.post("/orders/<int:order_id>/confirm")
@login_required
def order_confirm(order_id):
    return _order_step(order_id, orders.confirm_order)


@bp.post("/orders/<int:order_id>/accept")
@login_required
def order_accept(order_id):
    return _order_step(order_id, orders.accept_order)


@bp.post("/orders/<int:order_id>/cancel")
@login_required
def order_cancel(order_id):
    form = ReasonForm()
    back = url_for("agreements.order_page", order_id=order_id)
    if not form.validate_on_submit():
        flash(_("Please give the reason (at least 5 characters)."), "danger")
        return redirect(back)
    return _run(lambda: orders.cancel_order(current_user, order_id, form.reason.data), _("The order was cancelled."),
                back)
