"""Single-product edits by its supplier: create, update, and the evidence use cases
(certificate, test report, carbon declaration, document upload). One commit with its audit
event each; the validation and the changes themselves are `product_upsert.upsert_product`."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from core import audit as audit_log
from core.documents import Document, safe_filename, store_document
from core.errors import ValidationError
from core.extensions import db
from core.i18n import N_
from core.services import unit_of_work
from core.timeutil import utcnow

from catalog import policy
from catalog.models.products import DOCUMENT_KINDS, CarbonDeclaration, Certificate, Product, ProductDocument, TestReport
from catalog.product_states import REVIEWED_STATUSES
from catalog.services.product_access import product_for_edit, supplier_of
from catalog.services.product_lifecycle import move
from catalog.services.product_upsert import DUPLICATE_SKU, REOPENED_NOTE, upsert_product


def create_product(actor, data: dict) -> Product:
    """A supplier creates a draft product."""
    supplier = supplier_of(actor)
    with unit_of_work(DUPLICATE_SKU):
        product = upsert_product(supplier, data, actor, create_only=True)
    return product


def update_product(actor, product_id, data: dict) -> Product:
    """The owning supplier changes a product (changing what a reviewer checked reopens it)."""
    with unit_of_work(DUPLICATE_SKU):
        product = product_for_edit(actor, product_id)
        upsert_product(product.supplier, data, actor, product=product)
    return product


def _add_evidence(actor, product_id, part: str, data: dict, pick):
    """One use case for a piece of evidence: validated like any product change, one commit.

    `pick(product)` returns the row the caller asked for, read before the commit.
    """
    with unit_of_work():
        product = product_for_edit(actor, product_id)
        upsert_product(product.supplier, {part: data}, actor, product=product)
        return pick(product)


def add_certificate(actor, product_id, data: dict) -> Certificate:
    """Add (or, with a known number, update) a certificate."""
    number = str(data.get("number")).strip()
    return _add_evidence(actor, product_id, "certificate", data,
                         lambda product: next(c for c in product.certificates if c.number == number))


def add_test_report(actor, product_id, data: dict) -> TestReport:
    """Add (or, with a known number, update) a test report."""
    number = str(data.get("number")).strip()
    return _add_evidence(actor, product_id, "test_report", data,
                         lambda product: next(r for r in product.test_reports if r.number == number))


def add_carbon(actor, product_id, data: dict) -> CarbonDeclaration:
    """Record a new carbon declaration (the latest one counts)."""
    return _add_evidence(actor, product_id, "carbon", data, lambda product: product.current_carbon())


def _upload_budget(supplier) -> int | None:
    """Bytes a supplier firm may still upload: unlimited (None) once the platform verified it;
    before that at most `UNVERIFIED_SUPPLIER_UPLOAD_BYTES` and `UNVERIFIED_SUPPLIER_UPLOAD_DOCUMENTS`
    in all (distinct files linked to its products). `ValidationError` when the count is used up."""
    if policy.supplier_is_verified(supplier):
        return None
    max_docs, max_bytes = _quota()
    linked = (select(ProductDocument.document_id).join(Product, Product.id == ProductDocument.product_id)
              .where(Product.supplier_id == supplier.id).distinct().subquery())
    count, used = db.session.execute(
        select(func.count(Document.id), func.coalesce(func.sum(Document.size), 0))
        .where(Document.id.in_(select(linked.c.document_id)))).one()
    if count >= max_docs:
        raise _quota_error(max_docs, max_bytes)
    return max(0, max_bytes - int(used))


def _quota() -> tuple[int, int]:
    """(documents, bytes) an unverified supplier firm may upload in all (config.py)."""
    config = current_app.config
    return int(config["UNVERIFIED_SUPPLIER_UPLOAD_DOCUMENTS"]), int(config["UNVERIFIED_SUPPLIER_UPLOAD_BYTES"])


def _size_text(n: int) -> str:
    """Bytes for people, with a unit symbol that reads the same in both languages: 50 MB, 300 B."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} B"


def _quota_error(max_docs: int, max_bytes: int) -> ValidationError:
    message = N_("Until the platform verifies your organisation, it can upload at most %(documents)s documents "
                 "and %(size)s in all. Ask for verification to upload more.")
    params = {"documents": max_docs, "size": _size_text(max_bytes)}
    return ValidationError(message, {"file": (message, params)}, **params)


def _id_or_none(raw, field: str):
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ValidationError(N_("Please correct the highlighted fields."),
                              {field: N_("Must be a whole number.")}) from None


def attach_document(actor, product_id, stream, filename, kind="other", *, certificate_id=None,
                    test_report_id=None) -> ProductDocument:
    """Store an uploaded file (`core.documents`, deduplicated by hash) and link it to the product
    under the name its uploader gave (sanitised; never another uploader's name for the same bytes).

    New or changed evidence on a product a reviewer has checked (submitted, verified, listed,
    suspended) reopens it: back to draft, off the public catalogue until it is submitted and verified
    again, so nothing unreviewed is ever shown publicly. Before the platform verifies the
    supplier firm its uploads are capped (`_upload_budget`).
    """
    if kind not in DOCUMENT_KINDS:
        raise ValidationError(N_("Unknown document kind."), {"kind": N_("One of certificate, test_report, other.")})
    cert_id = _id_or_none(certificate_id, "certificate_id")
    report_id = _id_or_none(test_report_id, "test_report_id")
    name = safe_filename(filename)
    with unit_of_work():
        product = product_for_edit(actor, product_id)
        budget = _upload_budget(product.supplier)
        doc = store_document(stream, name, uploaded_by=actor, budget=budget,
                             over_budget=lambda: _quota_error(*_quota()))
        if doc.id is None:
            db.session.flush()
        changed = False
        link = next((lk for lk in product.document_links if lk.document_id == doc.id), None)
        if link is None:
            link = ProductDocument(document=doc, kind=kind, display_name=name)
            product.document_links.append(link)
            changed = True
        else:
            changed = link.kind != kind
            link.kind, link.display_name = kind, name
        for row in [*(c for c in product.certificates if c.id == cert_id),
                    *(r for r in product.test_reports if r.id == report_id)]:
            if row.document_id != doc.id:
                row.document_id = doc.id
                changed = True
        product.updated_at = utcnow()
        audit_log.record("product.attach_document", product,
                         after={"document": doc.sha256, "kind": kind, "name": name}, actor=actor)
        if changed and product.status in REVIEWED_STATUSES:
            db.session.flush()
            move(product, "reopen", actor, review_note=REOPENED_NOTE, suspended_reason=None, suspension_kind=None)
    return link
