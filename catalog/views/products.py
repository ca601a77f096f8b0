"""Product pages: supplier list and editor, reviewer queue, public product page.

Views are thin: parse the form, call `catalog.services.products`, render.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core import roles as R
from core.errors import NotFound, ServiceError
from core.extensions import db
from core.policy import roles_required

from catalog import bp, policy
from catalog.forms.products import (
    ActionForm,
    DocumentForm,
    ProductForm,
    ReasonForm,
    TestReportForm,
    apply_service_errors,
)
from catalog.models.products import Certificate, ProductDocument
from catalog.services import products as svc
from catalog.services.documents import document_path
from catalog.services.standards import today_cn
from catalog.services.verdicts import (
    carbon_chart,
    carbon_comparison,
    evaluate_for_city,
    pilot_cities,
    rule_hints,
    rule_units,
    verdicts_by_city,
)

REVIEWERS = (R.PLATFORM_REVIEWER, R.PLATFORM_ADMIN)



def _zh() -> bool:
    return str(get_locale() or "").startswith("zh")


def _category_choices():
    from catalog.models import Category

    cats = db.session.execute(select(Category).order_by(Category.code)).scalars().all()
    zh = _zh()
    return [("", _("Choose a category"))] + [
        (c.code, f"{(c.name_zh if zh else c.name_en) or c.name_en} ({c.code})") for c in cats
    ]


def _category_by_code(code):
    from catalog.models import Category

    if not code:
        return None
    return db.session.execute(select(Category).filter_by(code=code)).scalar_one_or_none()


def _rule_keys(category):
    if category is None:
        return []
    return sorted(rule_units(category).items())


def _load(pid, check):
    try:
        product = svc.get_product(pid)
    except NotFound:
        abort(404)
    if not check(current_user, product):
        abort(403)
    return product


def _flash_error(exc: ServiceError):
    flash(_(exc.message), "danger")
    for name, message in exc.fields.items():
        flash(f"{name}: {message}", "danger")


# --- supplier -------------------------------------------------------------------------------

@bp.route("/supplier/products")
@roles_required(R.SUPPLIER)
def supplier_products():
    status = request.args.get("status") or None
    page = request.args.get("page", 1, type=int)
    items, total = svc.supplier_products(current_user.organisation_id, status=status, page=page, per_page=50)
    today = today_cn()
    return render_template("catalog/products/supplier_list.html", products=items, total=total, page=page,
                           per_page=50, status=status, today=today, effective_status=svc.effective_status,
                           action_form=ActionForm())


@bp.route("/supplier/products/new", methods=["GET", "POST"])
@roles_required(R.SUPPLIER)
def product_new():
    form = ProductForm()
    form.category.choices = _category_choices()
    status = 200
    if request.method == "GET":
        form.set_indicator_rows([], _rule_keys(_category_by_code(request.args.get("category"))))
        form.category.data = request.args.get("category") or ""
    elif form.validate_on_submit():
        try:
            product = svc.create_product(current_user, form.to_data())
        except ServiceError as exc:
            _show_service_error(form, exc)
            status = 400
        else:
            flash(_("Draft saved."), "success")
            return redirect(url_for("catalog.product_edit", pid=product.id))
    else:
        status = 400
    return render_template("catalog/products/edit.html", form=form, product=None, zh=_zh(),
                           hints=_hints(_category_by_code(form.category.data))), status


@bp.route("/supplier/products/<int:pid>/edit", methods=["GET", "POST"])
@roles_required(R.SUPPLIER)
def product_edit(pid):
    product = _load(pid, policy.can_edit_product)
    form = ProductForm()
    form.category.choices = _category_choices()
    status = 200
    if request.method == "GET":
        form.fill_from(product, _rule_keys(product.category))
    elif form.validate_on_submit():
        try:
            svc.update_product(current_user, product.id, form.to_data())
        except ServiceError as exc:
            _show_service_error(form, exc)
            status = 400
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("catalog.product_edit", pid=product.id))
    else:
        status = 400
    return _render_editor(product, form), status


def _show_service_error(form, exc):
    """Field messages inline on the form; the summary and any unplaced messages as flashes."""
    leftover = apply_service_errors(form, exc.fields)
    flash(_(exc.message), "danger")
    for message in leftover:
        flash(message, "danger")


def _hints(category):
    return rule_hints(category) if category is not None else {}


def _render_editor(product, form, doc_form=None, report_form=None):
    return render_template("catalog/products/edit.html", form=form, product=product, zh=_zh(),
                           hints=_hints(product.category),
                           doc_form=doc_form or DocumentForm(), report_form=report_form or TestReportForm(),
                           action_form=ActionForm(), today=today_cn(),
                           effective_status=svc.effective_status(product))


@bp.route("/supplier/products/<int:pid>/documents", methods=["POST"])
@roles_required(R.SUPPLIER)
def product_upload(pid):
    product = _load(pid, policy.can_edit_product)
    doc_form = DocumentForm()
    if doc_form.validate_on_submit():
        upload = doc_form.file.data
        try:
            svc.attach_document(current_user, product.id, upload.stream, upload.filename or "", doc_form.kind.data)
        except ServiceError as exc:
            doc_form.file.errors = list(doc_form.file.errors or []) + list(exc.fields.values() or [exc.message])
        else:
            flash(_("Document uploaded."), "success")
            return redirect(url_for("catalog.product_edit", pid=product.id) + "#documents")
    form = ProductForm(formdata=None)
    form.category.choices = _category_choices()
    form.fill_from(product, _rule_keys(product.category))
    return _render_editor(product, form, doc_form=doc_form), 400


@bp.route("/supplier/products/<int:pid>/test-reports", methods=["POST"])
@roles_required(R.SUPPLIER)
def product_add_report(pid):
    product = _load(pid, policy.can_edit_product)
    report_form = TestReportForm()
    if report_form.validate_on_submit():
        try:
            svc.add_test_report(current_user, product.id, {
                "number": report_form.number.data, "lab": report_form.lab.data,
                "issued_on": report_form.issued_on.data, "covers": report_form.covers.data or ""})
        except ServiceError as exc:
            for name, message in exc.fields.items():
                field = getattr(report_form, name.split(".")[-1], None)
                if field is not None:
                    field.errors = list(field.errors or []) + [message]
                else:
                    flash(message, "danger")
        else:
            flash(_("Test report added."), "success")
            return redirect(url_for("catalog.product_edit", pid=product.id) + "#evidence")
    form = ProductForm(formdata=None)
    form.category.choices = _category_choices()
    form.fill_from(product, _rule_keys(product.category))
    return _render_editor(product, form, report_form=report_form), 400


def _simple_action(pid, func, message, check=policy.can_edit_product, target="catalog.product_edit"):
    product = _load(pid, check)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        func(current_user, product.id)
    except ServiceError as exc:
        _flash_error(exc)
    else:
        flash(message, "success")
    return redirect(request.form.get("next") if _safe_next() else url_for(target, pid=product.id))


def _safe_next():
    nxt = request.form.get("next") or ""
    return nxt.startswith("/") and not nxt.startswith("//")


@bp.route("/supplier/products/<int:pid>/submit", methods=["POST"])
@roles_required(R.SUPPLIER)
def product_submit(pid):
    return _simple_action(pid, svc.submit_product, _("Submitted for review."))


@bp.route("/supplier/products/<int:pid>/list", methods=["POST"])
@roles_required(R.SUPPLIER)
def product_list(pid):
    return _simple_action(pid, svc.list_product, _("The product is listed."))


@bp.route("/products/<int:pid>/reinstate", methods=["POST"])
@roles_required(R.SUPPLIER, *REVIEWERS)
def product_reinstate(pid):
    return _simple_action(pid, svc.reinstate_product, _("The product is listed again."),
                          check=lambda u, p: policy.can_edit_product(u, p) or policy.is_reviewer(u),
                          target="catalog.product_page")


# --- reviewer -------------------------------------------------------------------------------

@bp.route("/review/products")
@roles_required(*REVIEWERS)
def review_queue():
    products, flags, dups = svc.review_queue()
    return render_template("catalog/products/review_queue.html", products=products, flags=flags, duplicates=dups,
                           action_form=ActionForm(), reason_form=ReasonForm())


@bp.route("/review/products/<int:pid>/verify", methods=["POST"])
@roles_required(*REVIEWERS)
def product_verify(pid):
    product = _load(pid, policy.can_review_product)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        svc.verify_product(current_user, product.id)
    except ServiceError as exc:
        _flash_error(exc)
    else:
        flash(_("Verified: %(sku)s", sku=product.sku), "success")
    return redirect(url_for("catalog.review_queue"))


def _reason_action(pid, func, message, target):
    product = _load(pid, policy.can_review_product)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Give a reason."), "danger")
        return redirect(url_for(target, pid=product.id) if target != "catalog.review_queue"
                        else url_for(target))
    try:
        func(current_user, product.id, form.reason.data)
    except ServiceError as exc:
        _flash_error(exc)
    else:
        flash(message, "success")
    return redirect(url_for(target, pid=product.id) if target != "catalog.review_queue" else url_for(target))


@bp.route("/review/products/<int:pid>/reject", methods=["POST"])
@roles_required(*REVIEWERS)
def product_reject(pid):
    return _reason_action(pid, svc.reject_product, _("Rejected; the supplier was told why."), "catalog.review_queue")


@bp.route("/review/products/<int:pid>/suspend", methods=["POST"])
@roles_required(*REVIEWERS)
def product_suspend(pid):
    return _reason_action(pid, svc.suspend_product, _("Suspended; the supplier was notified."),
                          "catalog.product_page")


@bp.route("/review/certificates/<int:cid>/status", methods=["POST"])
@roles_required(*REVIEWERS)
def certificate_status(cid):
    cert = db.session.get(Certificate, cid)
    if cert is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        svc.set_certificate_status(current_user, cid, request.form.get("status", ""))
    except ServiceError as exc:
        _flash_error(exc)
    else:
        flash(_("Certificate status recorded."), "success")
    return redirect(url_for("catalog.product_page", pid=cert.product_id))


# --- public ---------------------------------------------------------------------------------

def fmt(value):
    """Numbers without float noise (7.0 -> 7, 0.30000000000000004 -> 0.3); lists joined; rest as text."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt(v) for v in value)
    return "" if value is None else str(value)


def compliance_matrix(product):
    """Rows per indicator, a cell per pilot city: the stored verdicts (computed if missing)."""
    cities = pilot_cities()
    stored = verdicts_by_city(product)
    per_city = {}
    verdict = {}
    for city in cities:
        row = stored.get(city.code)
        if row is not None:
            per_city[city.code] = {r["key"]: r for r in (row.details or {}).get("results", [])}
            verdict[city.code] = row.verdict
        else:
            ev = evaluate_for_city(product, city)
            per_city[city.code] = {r.key: r.to_dict() for r in ev.results}
            verdict[city.code] = ev.verdict if ev.results else "incomplete"
    keys = []
    for city in cities:
        for key in per_city[city.code]:
            if key not in keys:
                keys.append(key)
    rows = []
    for key in keys:
        sample = next(per_city[c.code][key] for c in cities if key in per_city[c.code])
        rows.append({"key": key, "name_en": sample.get("name_en") or key, "name_zh": sample.get("name_zh") or key,
                     "kind": sample.get("kind"),
                     "cells": {c.code: per_city[c.code].get(key) for c in cities}})
    return {"cities": cities, "rows": rows, "verdicts": verdict}


@bp.route("/products/<int:pid>")
def product_page(pid):
    product = _load(pid, policy.can_view_product)
    svc.enforce_expiry_on_read(product)
    today = today_cn()
    cmp = carbon_comparison(product)
    return render_template(
        "catalog/products/show.html", product=product, today=today, matrix=compliance_matrix(product),
        carbon=cmp, chart=carbon_chart(cmp) if cmp else None, zh=_zh(), fmt=fmt,
        action_form=ActionForm(), reason_form=ReasonForm(),
        documents=[lk for lk in product.document_links],
    )


@bp.route("/products/<int:pid>/documents/<int:doc_id>")
def product_document(pid, doc_id):
    product = _load(pid, policy.can_view_document)
    link = db.session.execute(select(ProductDocument).filter_by(product_id=product.id, document_id=doc_id)
                              ).scalar_one_or_none()
    if link is None:
        abort(404)
    path = document_path(link.document)
    if not path.exists():
        abort(404)
    return send_file(path, mimetype=link.document.content_type, as_attachment=True,
                     download_name=link.document.original_name or link.document.sha256)
