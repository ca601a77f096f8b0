"""`AcceptanceChecklist` (one per project: generated from the bill and the deliveries, signed off
by the acceptance inspector), its `ChecklistItem`s (one per bill line) and `SupplierPayment`s
(money paid to a supplier against an order, with the quality retention withheld)."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime, utcnow
from procurement.acceptance.states import CHECKLIST_STATES, DRAFT
from procurement.constraints import one_of
from procurement.orders import models as _order_models  # noqa: F401  (foreign key targets)


class AcceptanceChecklist(db.Model):
    """The completion-acceptance checklist of a project (regenerated until signed off)."""

    __tablename__ = "acceptance_checklists"
    __table_args__ = (CheckConstraint(one_of("status", CHECKLIST_STATES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=DRAFT)
    generated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    generated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    signed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    remarks: Mapped[str] = mapped_column(Text, default="")

    items: Mapped[list[ChecklistItem]] = relationship(back_populates="checklist", order_by="ChecklistItem.line_no",
                                                      cascade="all, delete-orphan")
    signed_by = relationship("User", foreign_keys=[signed_by_id])

    @property
    def all_passed(self) -> bool:
        return bool(self.items) and all(i.passed for i in self.items)

    def snapshot(self) -> dict:
        return {"status": self.status, "remarks": self.remarks,
                "items": [i.snapshot() for i in self.items]}


class ChecklistItem(db.Model):
    """One bill line on the checklist: the products delivered, and whether each was certified on
    its delivery day, compliant with the line's rules and clear of inspection findings.
    ``notes``: the reasons, as stored messages."""

    __tablename__ = "acceptance_checklist_items"
    __table_args__ = (UniqueConstraint("checklist_id", "bom_line_id", name="uq_checklist_items_line"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("acceptance_checklists.id", ondelete="CASCADE"), index=True)
    bom_line_id: Mapped[int] = mapped_column(ForeignKey("bom_lines.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    product_ids: Mapped[list] = mapped_column(JSON, default=list)
    ordered_milli: Mapped[int] = mapped_column(BigInteger, default=0)
    accepted_milli: Mapped[int] = mapped_column(BigInteger, default=0)
    delivered_in_full: Mapped[bool] = mapped_column(Boolean, default=False)
    certified: Mapped[bool] = mapped_column(Boolean, default=False)
    compliant: Mapped[bool] = mapped_column(Boolean, default=False)
    inspections_clear: Mapped[bool] = mapped_column(Boolean, default=False)
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[list] = mapped_column(JSON, default=list)

    checklist: Mapped[AcceptanceChecklist] = relationship(back_populates="items")
    category = relationship("Category", lazy="joined")

    def snapshot(self) -> dict:
        return {"line_no": self.line_no, "product_ids": list(self.product_ids or []),
                "ordered_milli": self.ordered_milli, "accepted_milli": self.accepted_milli,
                "delivered_in_full": self.delivered_in_full, "certified": self.certified,
                "compliant": self.compliant, "inspections_clear": self.inspections_clear, "passed": self.passed}


class SupplierPayment(db.Model):
    """A payment to the supplier of an order. ``amount_fen`` is the amount settled (gross);
    ``retention_fen`` the quality retention withheld from it (the agreement's ``retention_bp``);
    ``paid_fen`` what was transferred (amount - retention)."""

    __tablename__ = "supplier_payments"
    __table_args__ = (
        CheckConstraint("amount_fen > 0 AND retention_fen >= 0 AND paid_fen >= 0", name="amounts"),
        CheckConstraint("amount_fen = retention_fen + paid_fen", name="sum"),
        UniqueConstraint("order_id", "reference", name="uq_supplier_payments_reference"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    reference: Mapped[str] = mapped_column(String(80))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    retention_bp: Mapped[int] = mapped_column(Integer, default=0)
    retention_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_fen: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[dt.date] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    order = relationship("Order", lazy="joined")

    def snapshot(self) -> dict:
        return {"order_id": self.order_id, "reference": self.reference, "amount_fen": self.amount_fen,
                "retention_bp": self.retention_bp, "retention_fen": self.retention_fen, "paid_fen": self.paid_fen,
                "paid_on": self.paid_on.isoformat()}
