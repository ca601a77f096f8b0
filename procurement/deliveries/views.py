"""Pages of deliveries (server-rendered, no JavaScript, CSRF on every form): recording a delivery
against an order line (the order's supplier or the project's site manager), sending a sample to
a testing lab and recording the lab's report (the site manager or the city's inspectors). Every
page calls the same service as the API; each automatic check's refusal shows on its field."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

import catalog.interface as catalog
from core.errors import ServiceError
from core.extensions import db
from core.forms import apply_form_errors
from core.i18n import translate_error, translate_message
from core.policy import login_required
from procurement.deliveries import policy, services
from procurement.deliveries.blueprints import bp
from procurement.deliveries.forms import DeliveryForm, LabReportForm, SampleForm
from procurement.deliveries.models import DeliverySample
from procurement.deliveries.states import FAILED, SENT
from procurement.orders.models import Order
from procurement.quantities import format_quantity
from procurement.web import choices


def _product_label(product_id: int) -> str:
    facts = catalog.product_facts(product_id) or {}
    name = facts.get("name_zh" if str(get_locale()).startswith("zh") else "name_en") or ""
    return f"{facts.get('sku', product_id)} {name}".strip()


def _site(project_id: int):
    return redirect(url_for("acceptance.site", project_id=project_id))


def _after(project, order):
    """Back to the site page for those who see the project, else to the order's delivery page."""
    from procurement.projects.policy import can_view_project

    if can_view_project(current_user, project):
        return _site(project.id)
    return redirect(url_for("deliveries.record_page", order_id=order.id))


@bp.route("/orders/<int:order_id>/deliveries/new", methods=["GET", "POST"])
@login_required
def record_page(order_id):
    order = db.session.get(Order, order_id)
    if order is None or not policy.can_view_delivery(current_user, order.project, order):
        abort(404)
    allowed = policy.can_record_delivery(current_user, order.project, order)
    form = DeliveryForm()
    lines = list(order.lines)
    form.order_line.choices = choices(
        (str(ln.id), f"{i}. {_product_label(ln.product_id)} · {format_quantity(ln.quantity_milli)} {ln.unit}")
        for i, ln in enumerate(lines, 1))
    form.product_id.choices = choices((str(pid), _product_label(pid))
                                      for pid in sorted({ln.product_id for ln in lines}))
    if request.method == "POST":
        if not allowed:
            abort(403)
        if form.validate_on_submit():
            upload = form.delivery_note.data
            data = {"product_id": form.product_id.data, "quantity": form.quantity.data,
                    "batch_number": form.batch_number.data, "delivered_on": form.delivered_on.data.isoformat(),
                    "evidence_kind": form.evidence_kind.data, "evidence_number": form.evidence_number.data}
            try:
                delivery = services.record_delivery(
                    current_user, form.order_line.data, data,
                    upload.stream if upload and upload.filename else None, getattr(upload, "filename", "") or "")
            except ServiceError as exc:
                apply_form_errors(form, exc)
            else:
                flash(_("Delivery %(reference)s is recorded: every automatic check passed.",
                        reference=delivery.reference), "success")
                return _after(order.project, order)
        else:
            flash(_("Please correct the marked fields."), "danger")
    deliveries = [d for d in services.project_deliveries(order.project_id) if d.order_id == order.id]
    return render_template("deliveries/record.html", order=order, form=form, allowed=allowed,
                           deliveries=deliveries), 400 if form.errors else 200


@bp.post("/deliveries/<int:delivery_id>/samples")
@login_required
def send_sample(delivery_id):
    delivery = services.get_delivery(delivery_id)
    if delivery is None:
        abort(404)
    form = SampleForm()
    if not form.validate_on_submit():
        flash(_("Give the testing lab and the sample code."), "danger")
        return _site(delivery.project_id)
    try:
        services.send_sample(current_user, delivery.id, {"lab_name": form.lab_name.data,
                                                         "sample_code": form.sample_code.data})
    except ServiceError as exc:
        flash(" ".join([translate_error(exc)] + [translate_message(v) for v in exc.fields.values()]), "danger")
    else:
        flash(_("The sample is sent to the lab: the delivery waits for its report."), "success")
    return _site(delivery.project_id)


@bp.route("/delivery-samples/<int:sample_id>/report", methods=["GET", "POST"])
@login_required
def lab_report_page(sample_id):
    sample = db.session.get(DeliverySample, sample_id)
    if sample is None:
        abort(404)
    delivery = services.get_delivery(sample.delivery_id)
    project = delivery.order.project
    if not policy.can_view_delivery(current_user, project, delivery.order):
        abort(404)
    if not policy.can_sample_delivery(current_user, project):
        abort(403)
    form = LabReportForm()
    if sample.status == SENT and request.method == "POST":
        if form.validate_on_submit():
            failed = form.result.data == FAILED
            data = {"result": form.result.data, "report_number": form.report_number.data,
                    "findings": form.findings.data or ""}
            if failed:
                data.update(required_actions=form.required_actions.data or "",
                            deadline=form.deadline.data.isoformat() if form.deadline.data else "")
            upload = form.report.data
            try:
                done = services.record_lab_report(current_user, sample.id, data,
                                                  upload.stream if upload and upload.filename else None,
                                                  getattr(upload, "filename", "") or "")
            except ServiceError as exc:
                apply_form_errors(form, exc)
            else:
                flash(_("The lab report is recorded: rectification notice %(reference)s is issued to the supplier.",
                        reference=done.rectification_ref) if failed else
                      _("The lab report is recorded: the site manager decides on the delivery again."), "success")
                return _site(project.id)
        else:
            flash(_("Please correct the marked fields."), "danger")
    code = 400 if form.errors else 200
    return render_template("deliveries/lab_report.html", sample=sample, delivery=delivery, project=project,
                           form=form), code


@bp.get("/delivery-samples/<int:sample_id>/rectification")
@login_required
def sample_rectification(sample_id):
    """The rectification notice a failed sample opened (its page checks who may see it)."""
    from procurement.inspections.models import Rectification

    rect = db.session.execute(db.select(Rectification.id).where(Rectification.delivery_sample_id == sample_id)
                              ).scalar_one_or_none()
    if rect is None:
        abort(404)
    return redirect(url_for("inspections.rectification_page", rectification_id=rect))
