"""`Delivery` (one consignment against one order line), `DeliverySample` (a sample of it sent
to a testing lab, with the lab's report) and `DeliveryRule` (the dated rule of the checks).

`delivered_on` is the China calendar day the goods arrived: the day the certificate or test
report must be valid on. `checks` are the automatic checks' results as stored messages
(``[{"name", "passed", "message": {key, params}}]``, `checks.Check.to_dict`).
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime, utcnow
from procurement.constraints import one_of
from procurement.deliveries.states import DELIVERY_STATES, EVIDENCE_KINDS, RECORDED, SAMPLE_STATES, SENT
from procurement.orders import models as _order_models  # noqa: F401  (foreign key targets)
from procurement.quantities import PURCHASE_UNITS


class Delivery(db.Model):
    """Goods delivered to the site against an order line, with what the supplier presented."""

    __tablename__ = "deliveries"
    __table_args__ = (
        CheckConstraint(one_of("status", DELIVERY_STATES), name="status"),
        CheckConstraint(one_of("evidence_kind", EVIDENCE_KINDS), name="evidence_kind"),
        CheckConstraint(one_of("unit", PURCHASE_UNITS), name="unit"),
        CheckConstraint("quantity_milli > 0", name="quantity_positive"),
        UniqueConstraint("reference", name="uq_deliveries_reference"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(40))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    product_id: Mapped[int] = mapped_column(Integer)  # catalog product (through catalog.interface)
    quantity_milli: Mapped[int] = mapped_column(BigInteger)
    unit: Mapped[str] = mapped_column(String(10))
    batch_number: Mapped[str] = mapped_column(String(80))
    delivered_on: Mapped[dt.date] = mapped_column(Date)
    delivery_note_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    evidence_kind: Mapped[str] = mapped_column(String(20))
    evidence_number: Mapped[str] = mapped_column(String(80))
    checks: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default=RECORDED, index=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")

    order = relationship("Order", lazy="joined")
    order_line = relationship("OrderLine", lazy="joined")
    delivery_note = relationship("Document", lazy="joined")
    supplier = relationship("Organisation", lazy="joined")
    samples: Mapped[list[DeliverySample]] = relationship(back_populates="delivery", order_by="DeliverySample.id")

    def snapshot(self) -> dict:
        return {"reference": self.reference, "order_id": self.order_id, "order_line_id": self.order_line_id,
                "product_id": self.product_id, "quantity_milli": self.quantity_milli, "unit": self.unit,
                "batch_number": self.batch_number, "delivered_on": self.delivered_on.isoformat(),
                "delivery_note_id": self.delivery_note_id, "evidence_kind": self.evidence_kind,
                "evidence_number": self.evidence_number, "status": self.status,
                "decision_reason": self.decision_reason}


class DeliverySample(db.Model):
    """A sample of a delivery sent to a testing lab; its report and result once recorded. A
    failed sample opens a rectification (`rectification_ref`: the inspections' id for it, or
    empty when none could be opened)."""

    __tablename__ = "delivery_samples"
    __table_args__ = (
        CheckConstraint(one_of("status", SAMPLE_STATES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    lab_name: Mapped[str] = mapped_column(String(200))
    sample_code: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), default=SENT, index=True)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    report_number: Mapped[str] = mapped_column(String(80), default="")
    report_document_id: Mapped[Optional[int]] = mapped_column(ForeignKey("documents.id"))
    findings: Mapped[str] = mapped_column(Text, default="")
    reported_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    reported_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    rectification_ref: Mapped[str] = mapped_column(String(80), default="")

    delivery: Mapped[Delivery] = relationship(back_populates="samples")

    def snapshot(self) -> dict:
        return {"delivery_id": self.delivery_id, "lab_name": self.lab_name, "sample_code": self.sample_code,
                "status": self.status, "report_number": self.report_number,
                "report_document_id": self.report_document_id, "findings": self.findings,
                "rectification_ref": self.rectification_ref}


class DeliveryRule(db.Model):
    """The dated rule of the delivery checks (national when `city_id` is NULL): how many days a
    third-party test report proves compliance after its issue day. Immutable: a change is a new
    row from a later day (`core.dated_rules.in_force`)."""

    __tablename__ = "delivery_rules"
    __table_args__ = (
        CheckConstraint("test_report_valid_days BETWEEN 1 AND 3650", name="test_report_valid_days"),
        Index("uq_delivery_rules_national", "effective_from", unique=True,
              sqlite_where=db.text("city_id IS NULL"), postgresql_where=db.text("city_id IS NULL")),
        Index("uq_delivery_rules_city", "city_id", "effective_from", unique=True,
              sqlite_where=db.text("city_id IS NOT NULL"), postgresql_where=db.text("city_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_id: Mapped[Optional[int]] = mapped_column(ForeignKey("cities.id"), index=True)
    effective_from: Mapped[dt.date] = mapped_column(Date)
    test_report_valid_days: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


@event.listens_for(DeliveryRule, "before_update")
def _refuse_edits(_mapper, _connection, target):  # part of the model: rows are append-only
    raise ValueError(f"delivery rule {target.id} is immutable; add a row with a later effective date")
