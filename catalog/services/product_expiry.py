"""Automatic suspension when a product's certificate expires or is revoked.

Two paths, same outcome: the daily job (`run_daily`: `suspend_expired_products(today)` and
the warning `warn_expiring_certificates(today)`, CLI `flask catalog expire`), and a check on read (`enforce_expiry_on_read`) so a listed product
whose certificate lapsed is never shown as listed even before the job runs. Both move the
product to `suspended` with the product machine's conditional UPDATE (only one of two racing
callers wins), write the audit event and notify the supplier.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm.attributes import set_committed_value

from core import audit as audit_log
from core.extensions import db
from core.i18n import N_
from core.services import unit_of_work
from core.statemachine import IllegalMove
from core.timeutil import today_cn, utcnow

from catalog.models.products import Certificate, Product
from catalog.product_states import PRODUCT, SUSPENDED, WATCHED_STATUSES
from catalog.services.product_notices import notify_supplier

SUSPENDED_BY_CERTIFICATE = "certificate"
#: Suppliers are warned this many days before a certificate of a listed product expires.
EXPIRY_WARNING_DAYS = 30


def lapsed(product: Product, today: dt.date) -> bool:
    """The product relies on certificates and none is valid today."""
    return bool(product.certificates) and not any(c.is_valid_on(today) for c in product.certificates)


def effective_status(product: Product, today: dt.date | None = None) -> str:
    """The status to show: a listed/verified product whose certificates lapsed counts as suspended."""
    today = today or today_cn()
    if product.status in WATCHED_STATUSES and lapsed(product, today):
        return SUSPENDED
    return product.status


def suspension_message(product: Product) -> tuple[str, dict] | None:
    """Why a suspended product is suspended, as a translatable message: the reviewer's words,
    or (certificate lapsed or revoked) which certificates are no longer valid. None otherwise."""
    if product.status != SUSPENDED:
        return None
    if product.suspension_kind == SUSPENDED_BY_CERTIFICATE:
        numbers = ", ".join(c.number for c in product.certificates) or "-"
        return N_("No valid certificate (%(certificates)s)."), {"certificates": numbers}
    return (product.suspended_reason or "", {})


def _reason(product: Product, today: dt.date) -> str:
    numbers = []
    for cert in product.certificates:
        state = cert.effective_status(today)
        numbers.append(f"{cert.number} ({state}{', expired ' + cert.expires_on.isoformat() if state == 'expired' else ''})")
    return "No valid certificate: " + "; ".join(numbers)


def _expire(cert: Certificate, today: dt.date) -> bool:
    """Mark a lapsed certificate expired (conditionally: a racing caller does it only once)."""
    result = db.session.execute(
        update(Certificate).where(Certificate.id == cert.id, Certificate.status == "valid")
        .values(status="expired", changed_on=today).execution_options(synchronize_session=False))
    set_committed_value(cert, "status", "expired")
    set_committed_value(cert, "changed_on", today)
    if result.rowcount != 1:
        return False
    cert.product.updated_at = utcnow()  # the product's public data changed (search reindexes it)
    audit_log.record("certificate.expire", cert, before={"status": "valid"},
                     after={"status": "expired", "expires_on": cert.expires_on})
    return True


def _suspend(product: Product, today: dt.date, actor=None) -> bool:
    """Conditionally suspend one product in the current transaction; True if this call did it."""
    for cert in product.certificates:
        if cert.status == "valid" and cert.expires_on < today:
            _expire(cert, today)
    old = product.status
    reason = _reason(product, today)[:500]
    try:
        PRODUCT.apply(Product, product.id, "suspend", suspended_reason=reason,
                      suspension_kind=SUSPENDED_BY_CERTIFICATE, updated_at=utcnow())
    except IllegalMove:
        return False  # another request suspended (or otherwise moved) it first
    audit_log.record("product.auto_suspend", product, before={"status": old},
                     after={"status": SUSPENDED, "reason": reason}, actor=actor)
    notify_supplier(product, "product_suspended",
                    N_("Product %(sku)s was suspended: no valid certificate (%(certificates)s). Renew the "
                       "certificate, then reinstate the product."),
                    sku=product.sku, certificates=", ".join(c.number for c in product.certificates))
    return True


def not_lapsed_clause(today: dt.date):
    """SQL condition: the product has no certificate, or one valid today (for public listings)."""
    has_cert = exists().where(Certificate.product_id == Product.id)
    has_valid = exists().where(and_(Certificate.product_id == Product.id, Certificate.status == "valid",
                                    Certificate.expires_on >= today))
    return ~has_cert | has_valid


def suspend_expired_products(today: dt.date | None = None) -> int:
    """The daily job: suspend every listed or verified product without a valid certificate.

    Returns how many products were suspended. Safe to run twice on the same day.
    """
    today = today or today_cn()
    has_cert = exists().where(Certificate.product_id == Product.id)
    has_valid = exists().where(and_(Certificate.product_id == Product.id, Certificate.status == "valid",
                                    Certificate.expires_on >= today))
    ids = db.session.execute(
        select(Product.id).where(Product.status.in_(WATCHED_STATUSES), has_cert, ~has_valid).order_by(Product.id)
    ).scalars().all()
    count = 0
    # Commit in batches so a large backlog neither holds one huge transaction nor loses work.
    for start in range(0, len(ids), 200):
        with unit_of_work():
            for product in db.session.execute(
                    select(Product).where(Product.id.in_(ids[start:start + 200]))).unique().scalars():
                if product.status in WATCHED_STATUSES and lapsed(product, today) and _suspend(product, today):
                    count += 1
    # Certificates past expiry on products that were not watched still get their status corrected.
    with unit_of_work():
        for cert in db.session.execute(
                select(Certificate).where(Certificate.status == "valid", Certificate.expires_on < today)).scalars().all():
            _expire(cert, today)
    return count


def warn_expiring_certificates(today: dt.date | None = None, *, days: int = EXPIRY_WARNING_DAYS) -> int:
    """Warn the supplier's people once per certificate (and expiry date) that a certificate of a
    listed or verified product expires within `days`. Idempotent: the certificate remembers the
    expiry date it was warned about (`expiry_notice_for`, set by a conditional UPDATE), so a
    second run, or two processes at once, send nothing more; a renewal with a new expiry date is
    warned again. Returns how many certificates were warned about."""
    today = today or today_cn()
    not_warned = (Certificate.expiry_notice_for.is_(None)) | (Certificate.expiry_notice_for != Certificate.expires_on)
    rows = db.session.execute(
        select(Certificate.id).join(Product, Product.id == Certificate.product_id)
        .where(Certificate.status == "valid", Certificate.expires_on >= today,
               Certificate.expires_on <= today + dt.timedelta(days=days),
               Product.status.in_(WATCHED_STATUSES), not_warned).order_by(Certificate.id)).scalars().all()
    count = 0
    for start in range(0, len(rows), 200):
        with unit_of_work():
            batch = db.session.execute(
                select(Certificate, Product).join(Product, Product.id == Certificate.product_id)
                .where(Certificate.id.in_(rows[start:start + 200]))).unique().all()
            for cert, product in batch:
                claimed = db.session.execute(
                    update(Certificate).where(Certificate.id == cert.id, not_warned)
                    .values(expiry_notice_for=Certificate.expires_on).execution_options(synchronize_session=False))
                if claimed.rowcount != 1:
                    continue  # warned meanwhile by another run
                notify_supplier(product, "certificate_expiring",
                                N_("Certificate %(number)s of product %(sku)s expires on %(date)s. Record the renewed "
                                   "certificate so that the product stays listed."),
                                number=cert.number, sku=product.sku, date=cert.expires_on.isoformat())
                count += 1
    return count


def run_daily(today: dt.date | None = None) -> tuple[int, int]:
    """The daily job: suspend lapsed products, then warn about certificates expiring soon.
    Returns (products suspended, certificates warned about)."""
    today = today or today_cn()
    return suspend_expired_products(today), warn_expiring_certificates(today)


def enforce_expiry_on_read(product: Product, today: dt.date | None = None) -> Product:
    """Check on read: persist the suspension (with notice) if the job has not yet run."""
    today = today or today_cn()
    if product.status in WATCHED_STATUSES and lapsed(product, today):
        with unit_of_work():
            _suspend(product, today)
    return product
