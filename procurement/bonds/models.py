"""`Bond`: one supplier's bid security for one lot; `StripeEvent`: provider events already
processed (a repeat is recognised by its id and ignored)."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime, utcnow
from procurement.bonds.states import BOND_STATES, FORFEIT_REASONS, LIVE_STATES, METHODS, PENDING, REFUND_CAUSES
from procurement.constraints import one_of
from procurement.tendering import models as _tendering_models  # noqa: F401  (Tender, Lot: relationship targets)

_LIVE = "status IN (" + ", ".join(repr(s) for s in LIVE_STATES) + ")"


class Bond(db.Model):
    """A bid bond. Amounts in fen (CNY). `held_at` is when the money or guarantee was secured:
    the provider's time of the successful payment, or the upload time of a guarantee that the
    centre later verified (`verified_at`); `bond_held(lot, org, at)` compares it with the deadline."""

    __tablename__ = "bonds"
    __table_args__ = (
        CheckConstraint(one_of("status", BOND_STATES), name="status"),
        CheckConstraint(one_of("method", METHODS), name="method"),
        CheckConstraint(f"forfeit_reason IS NULL OR {one_of('forfeit_reason', FORFEIT_REASONS)}",
                        name="forfeit_reason"),
        CheckConstraint(f"refund_cause IS NULL OR {one_of('refund_cause', REFUND_CAUSES)}", name="refund_cause"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        Index("uq_bonds_live_lot_supplier", "lot_id", "supplier_org_id", unique=True,
              sqlite_where=db.text(_LIVE), postgresql_where=db.text(_LIVE)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=PENDING, index=True)

    payment_intent_id: Mapped[Optional[str]] = mapped_column(String(100), unique=True)
    card_fingerprint: Mapped[Optional[str]] = mapped_column(String(100), index=True)
    guarantee_document_id: Mapped[Optional[int]] = mapped_column(ForeignKey("documents.id"))
    verified_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    reject_reason: Mapped[str] = mapped_column(Text, default="")

    held_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    refund_due_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    refund_overdue_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)  # flagged (once)
    refunded_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    refund_id: Mapped[Optional[str]] = mapped_column(String(100))
    # An automatic return was asked (tender cancelled, bid withdrawn...): the chronograph's
    # `bonds.refund` job makes it; until then the pages say "refund pending".
    refund_requested_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    refund_cause: Mapped[Optional[str]] = mapped_column(String(30))
    forfeited_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    forfeit_reason: Mapped[Optional[str]] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text, default="")

    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    tender = relationship("Tender")
    lot = relationship("Lot")
    supplier = relationship("Organisation")
    guarantee = relationship("Document")

    def snapshot(self) -> dict:
        def iso(t):
            return t.isoformat() if t else None
        return {"tender_id": self.tender_id, "lot_id": self.lot_id, "supplier_org_id": self.supplier_org_id,
                "amount_fen": self.amount_fen, "method": self.method, "status": self.status,
                "payment_intent_id": self.payment_intent_id, "guarantee_document_id": self.guarantee_document_id,
                "held_at": iso(self.held_at), "refund_due_on": iso(self.refund_due_on),
                "refunded_at": iso(self.refunded_at), "refund_id": self.refund_id,
                "refund_requested_at": iso(self.refund_requested_at), "refund_cause": self.refund_cause,
                "forfeited_at": iso(self.forfeited_at), "forfeit_reason": self.forfeit_reason}

    @property
    def refund_pending(self) -> bool:
        """An automatic return was asked and is not made yet."""
        return self.refund_requested_at is not None and self.status in LIVE_STATES

    def __repr__(self):
        return f"<Bond {self.id} lot={self.lot_id} org={self.supplier_org_id} {self.status}>"


class StripeEvent(db.Model):
    """A provider event that was processed (stored first, in the same transaction as its effect:
    a repeat finds its id and is ignored; a failure rolls both back and the provider retries)."""

    __tablename__ = "stripe_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    object_id: Mapped[Optional[str]] = mapped_column(String(100), index=True)
    outcome: Mapped[str] = mapped_column(String(30), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # the provider's time of the event
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
