"""Public product page (certificate status, compliance matrix for the pilot cities, carbon
against the category) and evidence downloads."""
from __future__ import annotations

from flask import abort, render_template, send_file
from flask_babel import gettext as _
from sqlalchemy import select

from core.documents import document_path, safe_filename
from core.extensions import db
from core.forms import ConfirmForm
from core.timeutil import today_cn

from catalog import bp, policy
from catalog.forms.products import ReasonForm
from catalog.models.products import ProductDocument
from catalog.services.product_access import MAX_ID
from catalog.services.product_expiry import enforce_expiry_on_read, suspension_message
from catalog.services.carbon import carbon_chart, carbon_comparison
from catalog.services.verdicts import evaluate_for_city, pilot_cities, verdicts_by_city
from catalog.views.common import is_zh, load_product, moves_from


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
        name_en, name_zh = sample.get("name_en") or "", sample.get("name_zh") or ""
        rows.append({"key": key, "name_en": name_en or name_zh or key, "name_zh": name_zh or name_en or key,
                     "kind": sample.get("kind"),
                     "cells": {c.code: per_city[c.code].get(key) for c in cities}})
    return {"cities": cities, "rows": rows, "verdicts": verdict}


@bp.route("/products/<int:pid>")
def product_page(pid):
    product = load_product(pid, policy.can_view_product, hide=True)
    enforce_expiry_on_read(product)
    today = today_cn()
    cmp = carbon_comparison(product)
    return render_template(
        "catalog/products/show.html", product=product, today=today, matrix=compliance_matrix(product),
        carbon=cmp, chart=carbon_chart(cmp) if cmp else None, zh=is_zh(), fmt=fmt,
        action_form=ConfirmForm(), reason_form=ReasonForm(), moves=moves_from(product),
        suspension=suspension_message(product), documents=list(product.document_links),
    )


@bp.route("/products/<int:pid>/documents/<int:doc_id>")
def product_document(pid, doc_id):
    product = load_product(pid, policy.can_view_document, hide=True)
    if doc_id > MAX_ID:
        abort(404)
    link = db.session.execute(select(ProductDocument).filter_by(product_id=product.id, document_id=doc_id)
                              ).scalar_one_or_none()
    if link is None:
        abort(404)
    path = document_path(link.document)
    if not path.exists():
        abort(404)
    return send_file(path, mimetype=link.document.content_type, as_attachment=True,
                     download_name=safe_filename(link.name))
