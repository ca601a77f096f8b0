"""Single-product edits by its supplier: create, update, and the evidence use cases
(certificate, test report, carbon declaration, document upload). One commit with its audit
event each; the validation and the changes themselves are `product_upsert.upsert_product`."""
from __future__ import annotations

from core import audit as audit_log
from core.documents import Document, store_document
from core.errors import ValidationError
from core.extensions import db
from core.i18n import N_
from core.services import unit_of_work
from core.timeutil import utcnow

from catalog.models.products import DOCUMENT_KINDS, CarbonDeclaration, Certificate, Product, ProductDocument, TestReport
from catalog.services.product_access import product_for_edit, supplier_of
from catalog.services.product_upsert import DUPLICATE_SKU, upsert_product


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


def attach_document(actor, product_id, stream, filename, kind="other", *, certificate_id=None,
                    test_report_id=None) -> Document:
    """Store an uploaded file (`core.documents`, deduplicated by hash) and link it to the product."""
    if kind not in DOCUMENT_KINDS:
        raise ValidationError(N_("Unknown document kind."), {"kind": N_("One of certificate, test_report, other.")})
    with unit_of_work():
        product = product_for_edit(actor, product_id)
        doc = store_document(stream, filename, uploaded_by=actor)
        if doc.id is None:
            db.session.flush()
        link = next((lk for lk in product.document_links if lk.document_id == doc.id), None)
        if link is None:
            link = ProductDocument(document=doc, kind=kind)
            product.document_links.append(link)
        else:
            link.kind = kind
        for cert in product.certificates:
            if certificate_id is not None and cert.id == int(certificate_id):
                cert.document_id = doc.id
        for rep in product.test_reports:
            if test_report_id is not None and rep.id == int(test_report_id):
                rep.document_id = doc.id
        product.updated_at = utcnow()
        audit_log.record("product.attach_document", product,
                         after={"document": doc.sha256, "kind": kind, "name": doc.original_name}, actor=actor)
    return doc
