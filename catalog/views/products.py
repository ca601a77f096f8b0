"""Supplier pages: product list, editor, evidence uploads, submit and list.

Views are thin: parse the form, call the use case (`catalog.services.product_edit`,
`product_lifecycle`), render; who may do what is `catalog.policy`.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from core import roles as R
from core.errors import ServiceError
from core.extensions import db
from core.forms import ConfirmForm, apply_form_errors, form_field
from core.policy import roles_required
from core.timeutil import today_cn
from core.web import page_number

from catalog import bp, policy
from catalog.forms.products import DocumentForm, ProductForm, SubmitBatchForm, TestReportForm, product_form_field
from catalog.models.standards import Category
from catalog.product_states import PRODUCT_STATUSES
from catalog.services import product_edit, product_lifecycle
from catalog.services.product_expiry import effective_status, suspension_message
from catalog.services.product_queries import supplier_products as list_supplier_products
from catalog.services.verdicts import rule_hints, rule_units
from catalog.views.common import batch_outcome, is_zh, load_product, moves_from, safe_next, selected_ids


def _category_choices():
    cats = db.session.execute(select(Category).order_by(Category.code)).unique().scalars().all()
    zh = is_zh()
    return [SelectChoice("", _("Choose a category"))] + [
        SelectChoice(c.code, f"{(c.name_zh if zh else c.name_en) or c.name_en} ({c.code})") for c in cats
    ]


def _category_by_code(code):
    if not code:
        return None
    return db.session.execute(select(Category).filter_by(code=code)).unique().scalar_one_or_none()


def _rule_keys(category):
    return sorted(rule_units(category).items()) if category is not None else []


def _hints(category):
    return rule_hints(category) if category is not None else {}


def _editor_form(product=None):
    form = ProductForm(formdata=None) if product is not None else ProductForm()
    form.category.choices = _category_choices()
    if product is not None:
        form.fill_from(product, _rule_keys(product.category))
    return form


def _render_editor(product, form, doc_form=None, report_form=None):
    return render_template("catalog/products/edit.html", form=form, product=product, zh=is_zh(),
                           hints=_hints(product.category),
                           doc_form=doc_form or DocumentForm(), report_form=report_form or TestReportForm(),
                           action_form=ConfirmForm(), today=today_cn(), moves=moves_from(product),
                           effective_status=effective_status(product),
                           suspension=suspension_message(product))


@bp.route("/supplier/products")
@roles_required(R.SUPPLIER)
def supplier_products():
    status = request.args.get("status") or None
    if status not in PRODUCT_STATUSES:
        status = None
    page = page_number(request.args)
    items, total = list_supplier_products(current_user.organisation_id, status=status, page=page, per_page=50)
    return render_template("catalog/products/supplier_list.html", products=items, total=total, page=page,
                           per_page=50, status=status, today=today_cn(), effective_status=effective_status,
                           moves_from=moves_from, action_form=ConfirmForm(), batch_form=SubmitBatchForm(),
                           submittable=[p for p in items if "submit" in moves_from(p)])


@bp.route("/supplier/products/submit", methods=["POST"])
@roles_required(R.SUPPLIER)
def products_submit_batch():
    """Submit many drafts at once (e.g. just imported): each is checked on its own, and a page
    says which were submitted and which not, and why."""
    form = SubmitBatchForm()
    if not form.validate_on_submit():
        abort(400)
    ids = selected_ids("page_ids") if form.submit_page.data else selected_ids()
    try:
        result = product_lifecycle.submit_many(current_user, ids)
    except ServiceError as exc:
        apply_form_errors(None, exc)
        return redirect(safe_next() or url_for("catalog.supplier_products"))
    return batch_outcome(result, _("Submitted for review"), url_for("catalog.supplier_products"))


@bp.route("/supplier/products/new", methods=["GET", "POST"])
@roles_required(R.SUPPLIER)
def product_new():
    if not policy.is_supplier(current_user):
        abort(403)
    form = ProductForm()
    form.category.choices = _category_choices()
    status = 200
    if request.method == "GET":
        form.set_indicator_rows([], _rule_keys(_category_by_code(request.args.get("category"))))
        form.category.data = request.args.get("category") or ""
    elif form.validate_on_submit():
        try:
            product = product_edit.create_product(current_user, form.to_data())
        except ServiceError as exc:
            apply_form_errors(form, exc, product_form_field)
            status = 400
        else:
            flash(_("Draft saved."), "success")
            return redirect(url_for("catalog.product_edit", pid=product.id))
    else:
        status = 400
    return render_template("catalog/products/edit.html", form=form, product=None, zh=is_zh(),
                           hints=_hints(_category_by_code(form.category.data))), status


@bp.route("/supplier/products/<int:pid>/edit", methods=["GET", "POST"], endpoint="product_edit")
@roles_required(R.SUPPLIER)
def product_edit_page(pid):
    product = load_product(pid, policy.can_edit_product)
    form = ProductForm()
    form.category.choices = _category_choices()
    status = 200
    if request.method == "GET":
        form.fill_from(product, _rule_keys(product.category))
    elif form.validate_on_submit():
        try:
            product_edit.update_product(current_user, product.id, form.to_data())
        except ServiceError as exc:
            apply_form_errors(form, exc, product_form_field)
            status = 400
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("catalog.product_edit", pid=product.id))
    else:
        status = 400
    return _render_editor(product, form), status


@bp.route("/supplier/products/<int:pid>/documents", methods=["POST"])
@roles_required(R.SUPPLIER)
def product_upload(pid):
    product = load_product(pid, policy.can_edit_product)
    doc_form = DocumentForm()
    if doc_form.validate_on_submit():
        upload = doc_form.file.data
        try:
            product_edit.attach_document(current_user, product.id, upload.stream, upload.filename or "",
                                         doc_form.kind.data)
        except ServiceError as exc:
            apply_form_errors(doc_form, exc)
        else:
            flash(_("Document uploaded."), "success")
            return redirect(url_for("catalog.product_edit", pid=product.id) + "#documents")
    return _render_editor(product, _editor_form(product), doc_form=doc_form), 400


@bp.route("/supplier/products/<int:pid>/test-reports", methods=["POST"])
@roles_required(R.SUPPLIER)
def product_add_report(pid):
    product = load_product(pid, policy.can_edit_product)
    report_form = TestReportForm()
    if report_form.validate_on_submit():
        try:
            product_edit.add_test_report(current_user, product.id, {
                "number": report_form.number.data, "lab": report_form.lab.data,
                "issued_on": report_form.issued_on.data, "covers": report_form.covers.data or ""})
        except ServiceError as exc:
            apply_form_errors(report_form, exc, form_field)
        else:
            flash(_("Test report added."), "success")
            return redirect(url_for("catalog.product_edit", pid=product.id) + "#evidence")
    return _render_editor(product, _editor_form(product), report_form=report_form), 400


def product_action(pid, use_case, message, rule, target):
    """A button that runs one use case on a product, then back to `next` or `target`."""
    product = load_product(pid, rule)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        use_case(current_user, product.id)
    except ServiceError as exc:
        apply_form_errors(None, exc)
    else:
        flash(message, "success")
    return redirect(safe_next() or url_for(target, pid=product.id))


@bp.route("/supplier/products/<int:pid>/submit", methods=["POST"])
@roles_required(R.SUPPLIER)
def product_submit(pid):
    return product_action(pid, product_lifecycle.submit_product, _("Submitted for review."),
                          policy.can_edit_product, "catalog.product_edit")


@bp.route("/supplier/products/<int:pid>/list", methods=["POST"])
@roles_required(R.SUPPLIER)
def product_list(pid):
    return product_action(pid, product_lifecycle.list_product, _("The product is listed."),
                          policy.can_edit_product, "catalog.product_edit")
