"""`Order` (a project's call-off order against an agreement, to one of its suppliers) and its
`OrderLine`s (one per bill line, at the agreement's unit price).

`request_id` is the client's idempotency key: the same request placed twice (a double click, a
retry at the same moment) finds the first order instead of making a second one (unique per
project). `delivered_milli` on a line is the accepted quantity so far (`fulfilment`).
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime, utcnow
from procurement.agreements import models as _agreement_models  # noqa: F401  (foreign key targets)
from procurement.constraints import one_of
from procurement.orders.states import DIRECT, ORDER_STATES, PLACED, SELECTION_METHODS
from procurement.quantities import PURCHASE_UNITS


class Order(db.Model):
    """A call-off order: placed by the project's purchaser, confirmed by the supplier, delivered
    (DEL's deliveries call `fulfilment.note_fulfilment`), accepted by the purchaser."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(one_of("status", ORDER_STATES), name="status"),
        CheckConstraint(one_of("selection_method", SELECTION_METHODS), name="selection_method"),
        UniqueConstraint("project_id", "request_id", name="uq_orders_request"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=PLACED, index=True)
    request_id: Mapped[str] = mapped_column(String(64))
    selection_method: Mapped[str] = mapped_column(String(20), default=DIRECT)
    selection_note: Mapped[str] = mapped_column(Text, default="")
    # The concluded mini-competition (procurement.negotiation) that chose the supplier; a plain
    # integer: the negotiation tables live in another migration branch.
    negotiation_id: Mapped[Optional[int]] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    placed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    placed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    delivered_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    accepted_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    agreement = relationship("Agreement", lazy="joined")
    project = relationship("Project", lazy="joined")
    supplier = relationship("Organisation", lazy="joined")
    lines: Mapped[list[OrderLine]] = relationship(back_populates="order", order_by="OrderLine.id")

    def snapshot(self) -> dict:
        def iso(t):
            return t.isoformat() if t else None
        return {"reference": self.reference, "agreement_id": self.agreement_id, "project_id": self.project_id,
                "supplier_org_id": self.supplier_org_id, "status": self.status,
                "selection_method": self.selection_method, "total_fen": self.total_fen,
                "placed_at": iso(self.placed_at), "cancel_reason": self.cancel_reason,
                "lines": [line.snapshot() for line in self.lines]}


class OrderLine(db.Model):
    """One bill line's quantity in an order, at the agreement's unit price."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint(one_of("unit", PURCHASE_UNITS), name="unit"),
        CheckConstraint("quantity_milli > 0", name="quantity_positive"),
        CheckConstraint("unit_price_fen > 0 AND amount_fen >= 0", name="amounts"),
        CheckConstraint("delivered_milli >= 0", name="delivered"),
        UniqueConstraint("order_id", "bom_line_id", name="uq_order_lines_line"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    quota_id: Mapped[Optional[int]] = mapped_column(ForeignKey("agreement_quotas.id"), index=True)
    bom_line_id: Mapped[int] = mapped_column(ForeignKey("bom_lines.id"), index=True)
    product_id: Mapped[int] = mapped_column(Integer)
    quantity_milli: Mapped[int] = mapped_column(BigInteger)
    unit: Mapped[str] = mapped_column(String(10))
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    delivered_milli: Mapped[int] = mapped_column(BigInteger, default=0)

    order: Mapped[Order] = relationship(back_populates="lines")

    def snapshot(self) -> dict:
        return {"bom_line_id": self.bom_line_id, "product_id": self.product_id,
                "quantity_milli": self.quantity_milli, "unit": self.unit,
                "unit_price_fen": self.unit_price_fen, "amount_fen": self.amount_fen,
                "delivered_milli": self.delivered_milli}
