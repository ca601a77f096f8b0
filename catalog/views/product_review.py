"""Reviewer pages: the review queue, decisions on submissions, suspension and reinstatement,
certificate decisions. Rules: `catalog.policy`; moves: `catalog.services.product_lifecycle`."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from core import roles as R
from core.errors import ServiceError
from core.extensions import db
from core.forms import ConfirmForm, apply_form_errors
from core.policy import roles_required
from core.web import page_number

from catalog import bp, policy
from catalog.forms.products import ReasonForm, ReviewBatchForm
from catalog.models.products import Certificate
from catalog.models.standards import Category
from catalog.product_states import CERTIFICATE_STATUSES, PRODUCT_STATUSES, SUBMITTED
from catalog.services import product_lifecycle
from catalog.services.product_access import MAX_ID
from catalog.services.product_queries import review_queue as queued_products
from catalog.views.common import batch_outcome, load_product, safe_next, selected_ids
from catalog.views.products import product_action

REVIEWERS = (R.PLATFORM_REVIEWER, R.PLATFORM_ADMIN)
PER_PAGE = 25


def _queue_filters(args) -> dict:
    """The queue's filters from the query string; anything unknown falls back to the default."""
    status = args.get("status") or SUBMITTED
    return {"status": status if status in PRODUCT_STATUSES else SUBMITTED,
            "category": (args.get("category") or "").strip()[:64] or None,
            "supplier": (args.get("supplier") or "").strip()[:100] or None}


@bp.route("/review/products")
@roles_required(*REVIEWERS)
def review_queue():
    filters = _queue_filters(request.args)
    queue = queued_products(**filters, page=page_number(request.args), per_page=PER_PAGE)
    categories = db.session.execute(select(Category).order_by(Category.code)).unique().scalars().all()
    return render_template("catalog/products/review_queue.html", queue=queue, products=queue.items,
                           flags=queue.flags, duplicates=queue.duplicates, filters=filters, statuses=PRODUCT_STATUSES,
                           categories=categories, action_form=ConfirmForm(), reason_form=ReasonForm(),
                           batch_form=ReviewBatchForm(),
                           filter_args={k: v for k, v in filters.items() if v and not (k == "status" and v == SUBMITTED)})


@bp.route("/review/products/batch", methods=["POST"])
@roles_required(*REVIEWERS)
def review_batch():
    """Verify or reject every ticked product; a page says which failed and why."""
    form = ReviewBatchForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        if form.reject.data:
            result = product_lifecycle.reject_many(current_user, selected_ids(), form.reason.data)
            title = _l("Rejected products")
        else:
            result = product_lifecycle.verify_many(current_user, selected_ids())
            title = _l("Verified products")
    except ServiceError as exc:
        apply_form_errors(None, exc)
        return redirect(safe_next() or url_for("catalog.review_queue"))
    return batch_outcome(result, title, url_for("catalog.review_queue"))


@bp.route("/review/products/<int:pid>/verify", methods=["POST"])
@roles_required(*REVIEWERS)
def product_verify(pid):
    product = load_product(pid, policy.can_review_product)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        product_lifecycle.verify_product(current_user, product.id)
    except ServiceError as exc:
        apply_form_errors(None, exc)
    else:
        flash(_("Verified: %(sku)s", sku=product.sku), "success")
    return redirect(url_for("catalog.review_queue"))


def _reason_action(pid, use_case, message, back):
    product = load_product(pid, policy.can_review_product)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Give a reason."), "danger")
    else:
        try:
            use_case(current_user, product.id, form.reason.data)
        except ServiceError as exc:
            apply_form_errors(None, exc)
        else:
            flash(message, "success")
    return redirect(back(product))


@bp.route("/review/products/<int:pid>/reject", methods=["POST"])
@roles_required(*REVIEWERS)
def product_reject(pid):
    return _reason_action(pid, product_lifecycle.reject_product, _("Rejected; the supplier was told why."),
                          lambda _product: url_for("catalog.review_queue"))


@bp.route("/review/products/<int:pid>/suspend", methods=["POST"])
@roles_required(*REVIEWERS)
def product_suspend(pid):
    return _reason_action(pid, product_lifecycle.suspend_product, _("Suspended; the supplier was notified."),
                          lambda product: url_for("catalog.product_page", pid=product.id))


@bp.route("/products/<int:pid>/reinstate", methods=["POST"])
@roles_required(R.SUPPLIER, *REVIEWERS)
def product_reinstate(pid):
    return product_action(pid, product_lifecycle.reinstate_product, _("The product is listed again."),
                          policy.can_reinstate_product, "catalog.product_page")


@bp.route("/review/certificates/<int:cid>/status", methods=["POST"])
@roles_required(*REVIEWERS)
def certificate_status(cid):
    cert = db.session.get(Certificate, cid) if cid <= MAX_ID else None
    if cert is None:
        abort(404)
    load_product(cert.product_id, policy.can_review_product)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        expected = request.form.get("expected")  # the status the reviewer saw: a stale page is a 409
        product_lifecycle.set_certificate_status(current_user, cid, request.form.get("status", ""),
                                                 expected=expected if expected in CERTIFICATE_STATUSES else None)
    except ServiceError as exc:
        apply_form_errors(None, exc)
    else:
        flash(_("Certificate status recorded."), "success")
    return redirect(url_for("catalog.product_page", pid=cert.product_id))
