"""Product lifecycle and evidence use cases; each commits once with its audit event.

Lifecycle::

    draft --submit--> submitted --verify--> verified --list--> listed
      ^                  |reject                                 |  certificate expired/revoked,
      |                  v                                       v  or a reviewer suspends
      +------------- rejected (edit, resubmit)               suspended --reinstate--> listed

Import these from `catalog.services.products` (which re-exports them).
"""
from __future__ import annotations

import datetime as dt

from core import audit as audit_log
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.services import unit_of_work
from core.timeutil import utcnow

from catalog import policy
from catalog.models.products import CarbonDeclaration, Certificate, Document, Product, ProductDocument, TestReport
from catalog.services.documents import store_document
from catalog.services.product_access import get_product, product_for_edit, product_for_review
from catalog.services.product_expiry import notify_supplier
from catalog.services.standards import today_cn
from catalog.services.verdicts import refresh_verdicts


def _transition(product, allowed, target, action, actor, **changes):
    if product.status not in allowed:
        raise Conflict(f"This action is not possible while the product is {product.status}.")
    before = {"status": product.status}
    product.status = target
    for key, value in changes.items():
        setattr(product, key, value)
    product.updated_at = utcnow()
    audit_log.record(action, product, before=before, after={"status": target, **{k: v for k, v in changes.items()
                                                                                if not isinstance(v, dt.datetime)}},
                 actor=actor)


def has_valid_evidence(product: Product, today: dt.date) -> bool:
    """A certificate valid today or a test report: what a listing needs."""
    return any(c.is_valid_on(today) for c in product.certificates) or bool(product.test_reports)


def submit_product(actor, product_id, *, today=None) -> Product:
    """draft/rejected -> submitted; needs a valid certificate or a test report."""
    today = today or today_cn()
    with unit_of_work():
        product = product_for_edit(actor, product_id)
        if product.status not in ("draft", "rejected"):
            raise Conflict(f"Only draft or rejected products can be submitted; this one is {product.status}.")
        if getattr(product.supplier, "status", "verified") != "verified":
            raise PermissionDenied("Your organisation must be verified by the platform before its products "
                                   "can be submitted for review.")
        missing = {}
        if not product.indicator_values:
            missing["indicators"] = "Declare the product's indicator values."
        if not has_valid_evidence(product, today):
            missing["certificate"] = "Add a valid certificate or a test report."
        if missing:
            raise ValidationError("The product is not ready for review.", missing)
        _transition(product, ("draft", "rejected"), "submitted", "product.submit", actor,
                    submitted_at=utcnow(), review_note=None)
    return product


def verify_product(actor, product_id, note=None) -> Product:
    """A platform reviewer accepts a submission."""
    with unit_of_work():
        product = product_for_review(actor, product_id)
        _transition(product, ("submitted",), "verified", "product.verify", actor,
                    verified_at=utcnow(), review_note=(note or "").strip()[:500] or None)
        refresh_verdicts(product)
    return product


def reject_product(actor, product_id, reason) -> Product:
    """A platform reviewer rejects a submission with a reason the supplier sees."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the product is rejected.", {"reason": "This field is required."})
    with unit_of_work():
        product = product_for_review(actor, product_id)
        _transition(product, ("submitted",), "rejected", "product.reject", actor, review_note=reason[:500])
        notify_supplier(product, "product_rejected", f"Product {product.sku} was rejected", reason)
    return product


def list_product(actor, product_id, *, today=None) -> Product:
    """verified -> listed (by the owner), only with valid evidence."""
    today = today or today_cn()
    with unit_of_work():
        product = product_for_edit(actor, product_id)
        if product.status == "verified" and not has_valid_evidence(product, today):
            raise ValidationError("The certificate is no longer valid.",
                                  {"certificate": "Add a valid certificate before listing."})
        _transition(product, ("verified",), "listed", "product.list", actor, listed_at=utcnow())
    return product


def suspend_product(actor, product_id, reason) -> Product:
    """A platform reviewer suspends a listed or verified product."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the product is suspended.", {"reason": "This field is required."})
    with unit_of_work():
        product = product_for_review(actor, product_id)
        _transition(product, ("listed", "verified"), "suspended", "product.suspend", actor,
                    suspended_reason=reason[:500], suspension_kind="review")
        notify_supplier(product, "product_suspended", f"Product {product.sku} was suspended", reason)
    return product


def reinstate_product(actor, product_id, *, today=None) -> Product:
    """suspended -> listed, by a reviewer or the owner, once the evidence is valid again."""
    today = today or today_cn()
    with unit_of_work():
        product = get_product(product_id, lock=True)
        if not (policy.is_reviewer(actor) or policy.can_edit_product(actor, product)):
            raise PermissionDenied("You cannot reinstate this product.")
        if product.status == "suspended" and not has_valid_evidence(product, today):
            raise ValidationError("The product has no valid certificate or test report.",
                                  {"certificate": "Add a valid certificate first."})
        if product.suspension_kind == "review" and not policy.is_reviewer(actor):
            raise PermissionDenied("A reviewer suspended this product; a reviewer must reinstate it.")
        _transition(product, ("suspended",), "listed", "product.reinstate", actor, suspended_reason=None,
                    suspension_kind=None)
    return product


def _add_evidence(actor, product_id, part: str, data: dict, pick):
    """One use case for a piece of evidence: validated like any product change, one commit.

    `pick(product)` returns the row the caller asked for, read before the commit.
    """
    from catalog.services.products import upsert_product

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


def set_certificate_status(actor, certificate_id, status, *, today=None) -> Certificate:
    """A reviewer records a certification body's decision (suspended, revoked, valid).

    A listed product left without a valid certificate is suspended, with a notice.
    """
    today = today or today_cn()
    if status not in ("valid", "suspended", "revoked", "expired"):
        raise ValidationError("Unknown certificate status.", {"status": "One of valid, suspended, revoked, expired."})
    if not policy.is_reviewer(actor):
        raise PermissionDenied("Only platform reviewers can change a certificate's status.")
    with unit_of_work():
        cert = db.session.get(Certificate, certificate_id)
        if cert is None:
            raise NotFound("No such certificate.")
        product = get_product(cert.product_id, lock=True)  # serialise with other changes to the product
        before = {"status": cert.status}
        cert.status = status
        cert.changed_on = today
        product.updated_at = utcnow()
        audit_log.record("certificate.status", cert, before=before, after={"status": status}, actor=actor)
        if product.status in ("listed", "verified") and not any(c.is_valid_on(today) for c in product.certificates):
            reason = f"Certificate {cert.number} {status}."
            _transition(product, (product.status,), "suspended", "product.suspend", actor, suspended_reason=reason,
                        suspension_kind="certificate")
            notify_supplier(product, "product_suspended", f"Product {product.sku} was suspended", reason)
    return cert


def attach_document(actor, product_id, stream, filename, kind="other", *, certificate_id=None,
                    test_report_id=None) -> Document:
    """Store an uploaded file (deduplicated by hash) and link it to the product."""
    if kind not in ("certificate", "test_report", "other"):
        raise ValidationError("Unknown document kind.", {"kind": "One of certificate, test_report, other."})
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
