"""Figures of a project's orders read once and shared by the gates, the checklist, payments and
the loop-closure report: its live orders, the quantity accepted on site per order line (from the
deliveries: the one source of that figure), what each order is due and what was paid."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from core.extensions import db
from procurement.deliveries.models import Delivery
from procurement.deliveries.states import ACCEPTED, RECORDED, SAMPLING
from procurement.orders.models import Order
from procurement.orders.states import CANCELLED
from procurement.quantities import line_total_fen


def project_orders(project_id: int) -> list[Order]:
    """The project's orders that were not cancelled, oldest first."""
    return list(db.session.execute(select(Order).where(Order.project_id == project_id, Order.status != CANCELLED)
                                   .order_by(Order.id)).unique().scalars())


def accepted_by_order_line(project_id: int) -> dict[int, int]:
    """``{order line id: quantity accepted on site (milli)}``."""
    rows = db.session.execute(select(Delivery.order_line_id, func.sum(Delivery.quantity_milli))
                              .where(Delivery.project_id == project_id, Delivery.status == ACCEPTED)
                              .group_by(Delivery.order_line_id)).all()
    return {line_id: int(total) for line_id, total in rows}


def pending_deliveries(project_id: int) -> list[Delivery]:
    """Deliveries still waiting for the site manager's decision or a lab report."""
    return list(db.session.execute(select(Delivery).where(Delivery.project_id == project_id,
                                                          Delivery.status.in_((RECORDED, SAMPLING)))
                                   .order_by(Delivery.id)).unique().scalars())


def due_fen(order: Order, accepted: dict[int, int]) -> int:
    """What the supplier is due for the order: each line's accepted quantity at its unit price."""
    return sum(line_total_fen(accepted.get(line.id, 0), line.unit_price_fen) for line in order.lines)


@dataclass(frozen=True)
class Paid:
    amount_fen: int = 0
    retention_fen: int = 0
    paid_fen: int = 0


def paid_by_order(project_id: int) -> dict[int, Paid]:
    """``{order id: Paid}``: the sums of the payments recorded against each order."""
    from procurement.acceptance.models import SupplierPayment

    rows = db.session.execute(select(SupplierPayment.order_id, func.sum(SupplierPayment.amount_fen),
                                     func.sum(SupplierPayment.retention_fen), func.sum(SupplierPayment.paid_fen))
                              .where(SupplierPayment.project_id == project_id)
                              .group_by(SupplierPayment.order_id)).all()
    return {oid: Paid(int(a), int(r), int(p)) for oid, a, r, p in rows}
