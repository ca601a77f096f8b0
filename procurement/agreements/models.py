"""`Agreement` (a contract or framework agreement signed on an awarded lot), its suppliers with
their unit prices, and the per-project quotas taken from the lot's pooled lines.

Quantities are integer thousandths of `unit`; money integer fen; `retention_bp` the share of each
payment withheld as quality retention, in basis points. `valid_from`/`valid_until` are China
calendar dates, both included. `ordered_quantity_milli` (agreement) and `ordered_milli` (quota)
are the running sums of the counting orders, kept by the orders' use cases under row locks; the
CHECK constraints make exceeding the total or a quota impossible even for a faulty caller.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime, utcnow
from procurement.agreements.states import AGREEMENT_STATES, DRAFT, KINDS, LIVE_STATES, MAX_RETENTION_BP
from procurement.awards import models as _award_models  # noqa: F401  (Award: foreign key target)
from procurement.constraints import one_of
from procurement.pooling import models as _pooling_models  # noqa: F401  (PooledLine: foreign key target)
from procurement.quantities import PURCHASE_UNITS

_LIVE = one_of("status", LIVE_STATES)


class Agreement(db.Model):
    """A contract (one supplier) or framework agreement (one or more) on one awarded lot."""

    __tablename__ = "agreements"
    __table_args__ = (
        CheckConstraint(one_of("status", AGREEMENT_STATES), name="status"),
        CheckConstraint(one_of("kind", KINDS), name="kind"),
        CheckConstraint(one_of("unit", PURCHASE_UNITS), name="unit"),
        CheckConstraint("total_quantity_milli > 0", name="total_positive"),
        CheckConstraint("ordered_quantity_milli >= 0 AND ordered_quantity_milli <= total_quantity_milli",
                        name="ordered_within_total"),
        CheckConstraint(f"retention_bp >= 0 AND retention_bp <= {MAX_RETENTION_BP}", name="retention"),
        CheckConstraint("valid_until >= valid_from", name="validity"),
        # One live agreement per lot: a second signing of the same lot is a 409.
        Index("uq_agreements_live_lot", "lot_id", unique=True,
              sqlite_where=db.text(_LIVE), postgresql_where=db.text(_LIVE)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id"), index=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"), index=True)
    centre_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=DRAFT, index=True)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    total_quantity_milli: Mapped[int] = mapped_column(BigInteger)
    ordered_quantity_milli: Mapped[int] = mapped_column(BigInteger, default=0)
    unit: Mapped[str] = mapped_column(String(10))
    retention_bp: Mapped[int] = mapped_column(Integer)

    sign_due_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    sign_overdue_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    signed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    signed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    publish_due_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    publish_overdue_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    published_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    published_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    ended_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    end_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    lot = relationship("Lot", lazy="joined")
    award = relationship("Award")
    city = relationship("City", lazy="joined")
    centre = relationship("Organisation", lazy="joined")
    suppliers: Mapped[list[AgreementSupplier]] = relationship(back_populates="agreement",
                                                              order_by="AgreementSupplier.rank")
    quotas: Mapped[list[AgreementQuota]] = relationship(back_populates="agreement", order_by="AgreementQuota.id")

    def snapshot(self) -> dict:
        def iso(t):
            return t.isoformat() if t else None
        return {"reference": self.reference, "lot_id": self.lot_id, "award_id": self.award_id, "kind": self.kind,
                "status": self.status, "valid_from": iso(self.valid_from), "valid_until": iso(self.valid_until),
                "total_quantity_milli": self.total_quantity_milli,
                "ordered_quantity_milli": self.ordered_quantity_milli, "unit": self.unit,
                "retention_bp": self.retention_bp, "signed_at": iso(self.signed_at),
                "published_at": iso(self.published_at), "end_reason": self.end_reason}


class AgreementSupplier(db.Model):
    """A supplier of the agreement, the product it offered and its unit price (from its bid)."""

    __tablename__ = "agreement_suppliers"
    __table_args__ = (
        UniqueConstraint("agreement_id", "supplier_org_id", name="uq_agreement_suppliers_firm"),
        CheckConstraint("unit_price_fen > 0", name="price_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"), index=True)
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    product_id: Mapped[int] = mapped_column(Integer, index=True)    # catalog product (through catalog.interface)
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    rank: Mapped[int] = mapped_column(Integer, default=1)
    bid_id: Mapped[Optional[int]] = mapped_column(ForeignKey("bids.id"))
    opened_bid_id: Mapped[Optional[int]] = mapped_column(Integer)

    agreement: Mapped[Agreement] = relationship(back_populates="suppliers")
    supplier = relationship("Organisation", lazy="joined")

    def snapshot(self) -> dict:
        return {"supplier_org_id": self.supplier_org_id, "product_id": self.product_id,
                "unit_price_fen": self.unit_price_fen, "rank": self.rank}


class AgreementQuota(db.Model):
    """One project's share of the agreement: the quantity of its pooled bill line in the lot."""

    __tablename__ = "agreement_quotas"
    __table_args__ = (
        UniqueConstraint("agreement_id", "bom_line_id", name="uq_agreement_quotas_line"),
        CheckConstraint("quantity_milli > 0", name="quantity_positive"),
        CheckConstraint("ordered_milli >= 0 AND ordered_milli <= quantity_milli", name="ordered_within_quota"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    bom_line_id: Mapped[int] = mapped_column(ForeignKey("bom_lines.id"), index=True)
    pooled_line_id: Mapped[Optional[int]] = mapped_column(ForeignKey("pooled_lines.id"))
    quantity_milli: Mapped[int] = mapped_column(BigInteger)
    ordered_milli: Mapped[int] = mapped_column(BigInteger, default=0)

    agreement: Mapped[Agreement] = relationship(back_populates="quotas")
    project = relationship("Project", lazy="joined")

    @property
    def remaining_milli(self) -> int:
        return self.quantity_milli - self.ordered_milli

    def snapshot(self) -> dict:
        return {"project_id": self.project_id, "bom_line_id": self.bom_line_id,
                "quantity_milli": self.quantity_milli, "ordered_milli": self.ordered_milli}
