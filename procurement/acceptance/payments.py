"""Payments to suppliers, recorded by the project's purchaser against an order.

A payment settles an amount of what the order is due (each line's accepted quantity at its unit
price); the agreement's quality retention (``Agreement.retention_bp``) is withheld from it,
rounded half up to the fen, and the rest is what was transferred. The settled amounts of an
order never exceed what it is due: the order row is locked, so two payments recorded at the same
moment cannot both take the last part.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.extensions import db
from core.i18n import N_
from core.money import MAX_FEN, format_fen
from core.services import unit_of_work
from core.timeutil import CHINA, utcnow
from core.validation import FIRST_DATE, Errors, date, integer, text
from procurement.acceptance import figures, policy
from procurement.acceptance.models import SupplierPayment
from procurement.acceptance.states import BP
from procurement.orders.fulfilment import lock_order
from procurement.orders.models import Order
from procurement.records.services import append_record, lock_project


def retention_of(amount_fen: int, retention_bp: int) -> int:
    """The retention withheld from `amount_fen` at `retention_bp` basis points, half up to the fen."""
    return (amount_fen * retention_bp * 2 + BP) // (2 * BP)


def order_payments(order_id: int) -> list[SupplierPayment]:
    return list(db.session.execute(select(SupplierPayment).where(SupplierPayment.order_id == order_id)
                                   .order_by(SupplierPayment.paid_on, SupplierPayment.id)).unique().scalars())


def project_payments(project_id: int) -> list[SupplierPayment]:
    return list(db.session.execute(select(SupplierPayment).where(SupplierPayment.project_id == project_id)
                                   .order_by(SupplierPayment.paid_on, SupplierPayment.id)).unique().scalars())


def clean_payment(data, *, today: dt.date) -> dict:
    if not isinstance(data, dict):
        raise ValidationError(N_("Send the payment as a JSON object."))
    errors = Errors()
    out = {"amount_fen": integer(data, "amount_fen", errors, minimum=1, maximum=MAX_FEN),
           "reference": text(data, "reference", errors, max_len=80),
           "paid_on": date(data, "paid_on", errors, first=FIRST_DATE, last=today)}
    errors.raise_if_any(N_("The payment was not recorded: check the marked fields."))
    return out


def record_payment(actor, order_id, data, *, now: dt.datetime | None = None) -> SupplierPayment:
    """Record a payment to the order's supplier (the retention is computed, not entered)."""
    now = now or utcnow()
    fields = clean_payment(data, today=now.astimezone(CHINA).date())
    with unit_of_work(N_("A payment with this reference is already recorded for the order.")):
        try:
            oid = int(order_id)
        except (TypeError, ValueError):
            raise NotFound(N_("No such order.")) from None
        project_id = db.session.execute(select(Order.project_id).where(Order.id == oid)).scalar()
        if project_id is None:
            raise NotFound(N_("No such order."))
        project = lock_project(project_id)
        if not policy.can_view_report(actor, project):
            raise NotFound(N_("No such order."))
        if not policy.can_record_payment(actor, project):
            raise PermissionDenied(N_("Only the project's purchaser records payments to its suppliers, during "
                                      "construction and acceptance."))
        order = lock_order(oid)
        due = figures.due_fen(order, figures.accepted_by_order_line(project.id))
        settled = sum(p.amount_fen for p in order_payments(order.id))
        if settled + fields["amount_fen"] > due:
            raise Conflict(N_("The payment of %(amount)s would settle more than order %(order)s is due: %(due)s for "
                              "the quantities accepted, %(settled)s settled already."),
                           amount=format_fen(fields["amount_fen"]), order=order.reference, due=format_fen(due),
                           settled=format_fen(settled))
        bp = order.agreement.retention_bp or 0
        retention = retention_of(fields["amount_fen"], bp)
        payment = SupplierPayment(project_id=project.id, order_id=order.id, supplier_org_id=order.supplier_org_id,
                                  reference=fields["reference"], amount_fen=fields["amount_fen"], retention_bp=bp,
                                  retention_fen=retention, paid_fen=fields["amount_fen"] - retention,
                                  paid_on=fields["paid_on"], recorded_at=now, recorded_by_id=actor.id)
        db.session.add(payment)
        db.session.flush()
        append_record(project, "supplier_paid",
                      {"order": order.reference, "reference": payment.reference, "amount_fen": payment.amount_fen,
                       "retention_fen": retention, "paid_fen": payment.paid_fen,
                       "paid_on": payment.paid_on.isoformat()},
                      actor=actor, action="acceptance.payment", after=payment.snapshot())
    return payment
