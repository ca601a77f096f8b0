"""Product lifecycle use cases: submit, verify, reject, list, suspend, reinstate, and a
certificate decision that may suspend. Each commits once with its audit event; the batch
versions (`submit_many`, `verify_many`, `reject_many`) run the single use case per product and
report which failed and why.

Moves follow the transition table in `catalog.product_states`: a use case loads the product
(FOR UPDATE on PostgreSQL), checks the move for a clear 409, checks its own conditions, and
applies the move with `PRODUCT.apply` (a conditional UPDATE), so a concurrent request that
moved the product first makes this one fail with a 409 on SQLite too. Who may do what is
`catalog.policy`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import update

from core import audit as audit_log
from core.errors import Conflict, NotFound, PermissionDenied, ServiceError, ValidationError
from core.extensions import db
from core.i18n import N_, Term
from core.services import unit_of_work
from core.timeutil import today_cn, utcnow

from catalog import policy
from catalog.models.products import Certificate, Product
from catalog.product_states import CERTIFICATE, CERTIFICATE_STATUSES, PRODUCT, WATCHED_STATUSES
from catalog.services.product_access import MAX_ID, get_product, product_for_edit, product_for_review
from catalog.services.product_notices import notify_supplier
from catalog.services.verdicts import refresh_verdicts

SUSPENDED_BY_CERTIFICATE = "certificate"


def move(product: Product, action: str, actor, *, audit_action: str | None = None, **changes) -> None:
    """Apply `action` of the product machine to `product` (in the caller's transaction), with
    `changes` to other columns, and record the audit event. `IllegalMove` (409) if the product
    is no longer in a state the move starts from."""
    before = product.status
    target = PRODUCT.move(action).target
    PRODUCT.apply(Product, product.id, action, updated_at=utcnow(), **changes)  # also updates `product`
    audit_log.record(audit_action or f"product.{action}", product, before={"status": before},
                     after={"status": target, **{k: v for k, v in changes.items() if not isinstance(v, dt.datetime)}},
                     actor=actor)


def has_valid_evidence(product: Product, today: dt.date) -> bool:
    """A certificate valid today or a test report: what a listing needs."""
    return any(c.is_valid_on(today) for c in product.certificates) or bool(product.test_reports)


def _valid_id(raw) -> bool:
    try:
        return 0 < int(raw) <= MAX_ID
    except (TypeError, ValueError):
        return False


def _reason(reason, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(message, {"reason": N_("This field is required.")})
    return reason[:500]


def submit_product(actor, product_id, *, today=None) -> Product:
    """draft/rejected -> submitted: the supplier firm is verified, values are declared and a
    certificate valid today or a test report is on file."""
    today = today or today_cn()
    with unit_of_work():
        product = product_for_edit(actor, product_id)
        PRODUCT.check(product.status, "submit")
        if not policy.supplier_is_verified(product.supplier):
            raise PermissionDenied(N_("Your organisation must be verified by the platform before its products "
                                      "can be submitted for review."))
        missing = {}
        if not product.indicator_values:
            missing["indicators"] = N_("Declare the product's indicator values.")
        if not has_valid_evidence(product, today):
            missing["certificate"] = N_("Add a valid certificate or a test report.")
        if missing:
            raise ValidationError(N_("The product is not ready for review."), missing)
        move(product, "submit", actor, submitted_at=utcnow(), review_note=None)
    return product


def verify_product(actor, product_id, note=None) -> Product:
    """A platform reviewer accepts a submission."""
    with unit_of_work():
        product = product_for_review(actor, product_id)
        PRODUCT.check(product.status, "verify")
        move(product, "verify", actor, verified_at=utcnow(), review_note=(note or "").strip()[:500] or None)
        refresh_verdicts(product)
        notify_supplier(product, "product_verified",
                        N_("Product %(sku)s was verified; you can now list it on the platform."), sku=product.sku)
    return product


def reject_product(actor, product_id, reason) -> Product:
    """A platform reviewer rejects a submission with a reason the supplier sees."""
    reason = _reason(reason, N_("Say why the product is rejected."))
    with unit_of_work():
        product = product_for_review(actor, product_id)
        PRODUCT.check(product.status, "reject")
        move(product, "reject", actor, review_note=reason)
        notify_supplier(product, "product_rejected", N_("Product %(sku)s was rejected: %(reason)s"),
                        sku=product.sku, reason=reason)
    return product


def list_product(actor, product_id, *, today=None) -> Product:
    """verified -> listed (by its supplier), only with valid evidence."""
    today = today or today_cn()
    with unit_of_work():
        product = product_for_edit(actor, product_id)
        PRODUCT.check(product.status, "list")
        if not has_valid_evidence(product, today):
            raise ValidationError(N_("The certificate is no longer valid."),
                                  {"certificate": N_("Add a valid certificate before listing.")})
        move(product, "list", actor, listed_at=utcnow())
    return product


def suspend_product(actor, product_id, reason) -> Product:
    """A platform reviewer suspends a listed or verified product."""
    reason = _reason(reason, N_("Say why the product is suspended."))
    with unit_of_work():
        product = product_for_review(actor, product_id)
        PRODUCT.check(product.status, "suspend")
        move(product, "suspend", actor, suspended_reason=reason, suspension_kind=policy.SUSPENDED_BY_REVIEW)
        notify_supplier(product, "product_suspended", N_("Product %(sku)s was suspended: %(reason)s"),
                        sku=product.sku, reason=reason)
    return product


def reinstate_product(actor, product_id, *, today=None) -> Product:
    """suspended -> listed, by a reviewer or (after an automatic suspension) its supplier, once
    the evidence is valid again."""
    today = today or today_cn()
    with unit_of_work():
        product = get_product(product_id, lock=True)
        if not policy.can_reinstate_product(actor, product):
            if policy.owns_product(actor, product):
                raise PermissionDenied(N_("A reviewer suspended this product; a reviewer must reinstate it."))
            raise PermissionDenied(N_("You cannot reinstate this product."))
        PRODUCT.check(product.status, "reinstate")
        if not has_valid_evidence(product, today):
            raise ValidationError(N_("The product has no valid certificate or test report."),
                                  {"certificate": N_("Add a valid certificate first.")})
        move(product, "reinstate", actor, suspended_reason=None, suspension_kind=None)
    return product


def set_certificate_status(actor, certificate_id, status, *, today=None, expected=None) -> Certificate:
    """A reviewer records a certification body's decision (suspended, revoked, valid, expired).

    The decision is a move of `CERTIFICATE`, applied only if the certificate still has the status
    the reviewer decided on (`expected`, default: the status read here): one conditional UPDATE,
    so of two reviewers deciding at once one wins and the other gets a 409. Recording the status
    it already has changes nothing. A listed or verified product left without a valid
    certificate is suspended, with a notice.
    """
    today = today or today_cn()
    if status not in CERTIFICATE_STATUSES:
        raise ValidationError(N_("Unknown certificate status."),
                              {"status": N_("One of valid, suspended, revoked, expired.")})
    if not policy.can_review_product(actor):
        raise PermissionDenied(N_("Only platform reviewers can change a certificate's status."))
    with unit_of_work():
        cert = db.session.get(Certificate, certificate_id) if _valid_id(certificate_id) else None
        if cert is None:
            raise NotFound(N_("No such certificate."))
        product = get_product(cert.product_id, lock=True)  # serialise with other changes to the product
        seen = expected or cert.status
        if seen == status and cert.status == status:
            return cert
        CERTIFICATE.check(seen, status)
        result = db.session.execute(
            update(Certificate).where(Certificate.id == cert.id, Certificate.status == seen)
            .values(status=status, changed_on=today).execution_options(synchronize_session="fetch"))
        if result.rowcount != 1:
            db.session.refresh(cert)
            raise Conflict(N_("The certificate's status was changed meanwhile to “%(status)s”; reload the page."),
                           status=Term(cert.status))
        product.updated_at = utcnow()
        audit_log.record("certificate.status", cert, before={"status": seen}, after={"status": status}, actor=actor)
        if product.status in WATCHED_STATUSES and not any(c.is_valid_on(today) for c in product.certificates):
            db.session.flush()
            move(product, "suspend", actor, suspended_reason=f"Certificate {cert.number} {status}.",
                 suspension_kind=SUSPENDED_BY_CERTIFICATE)
            notify_supplier(product, "product_suspended",
                            N_("Product %(sku)s was suspended: certificate %(number)s is %(status)s."),
                            sku=product.sku, number=cert.number, status=Term(status))
    return cert


# --------------------------------------------------------------------------- batches


@dataclass
class BatchResult:
    """What a batch did: the ids of the products moved, and per product that was not, its id and
    the error (translatable: `error.template` / `error.params`, `error.fields`)."""

    done: list = field(default_factory=list)
    failed: list = field(default_factory=list)  # [(product id, ServiceError)]


MAX_BATCH = 200


def _each(product_ids, use_case) -> BatchResult:
    """Run `use_case(product_id)` (one transaction each) for every id; collect the outcomes."""
    ids = []
    for raw in product_ids:
        if _valid_id(raw) and int(raw) not in ids:
            ids.append(int(raw))
    if not ids:
        raise ValidationError(N_("Select at least one product."), {"ids": N_("Select at least one product.")})
    if len(ids) > MAX_BATCH:
        raise ValidationError(N_("Select at most %(max)s products at once."), {"ids": N_("Too many products.")},
                              max=MAX_BATCH)
    result = BatchResult()
    for pid in ids:
        try:
            use_case(pid)
        except ServiceError as exc:
            result.failed.append((pid, exc))
        else:
            result.done.append(pid)
    return result


def submit_many(actor, product_ids, *, today=None) -> BatchResult:
    """A supplier submits many drafts (e.g. just imported) at once; each is checked on its own."""
    return _each(product_ids, lambda pid: submit_product(actor, pid, today=today))


def verify_many(actor, product_ids) -> BatchResult:
    """A reviewer verifies the selected submissions."""
    return _each(product_ids, lambda pid: verify_product(actor, pid))


def reject_many(actor, product_ids, reason) -> BatchResult:
    """A reviewer rejects the selected submissions, all with the same reason."""
    _reason(reason, N_("Say why the products are rejected."))
    return _each(product_ids, lambda pid: reject_product(actor, pid, reason))
