"""Awards (one per lot), the offers of an award to firms in ranking order, challenges (质疑)
against an award notice and complaints (投诉) to the finance office.

Times are UTC instants. A window of working days ends at the first moment of the China day after
its last day (`deadlines.window_end`): `challenge_until`, `answer_due_at`, `complaint_until`,
`decision_due_at`, `review_due_at`, `respond_by` are such instants; at that instant it is too late.
`opened_bid_id` is a plain integer (the opening's `opened_bids.id`), not a foreign key.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime, utcnow
from procurement.awards.states import (
    AWARD_STATES,
    CHALLENGE_STATES,
    COMPLAINT_STATES,
    FINANCE_REVIEW,
    LODGED,
    OFFER_STATES,
    WITHDRAWAL_KINDS,
)
from procurement.bids import models as _bid_models  # noqa: F401  (Bid: foreign key target)
from procurement.bonds import models as _bond_models  # noqa: F401  (Bond: foreign key target)
from procurement.constraints import one_of

_LIVE_OFFER = "status IN ('offered', 'accepted')"


class Award(db.Model):
    """The award of one lot: the evaluation's ranking as it stood when the centre sent the
    recommendation (`candidates`), the firm the award is currently for (`winner_*`; none while
    an offer is pending or after failure), the finance review, and the award notice with its
    windows."""

    __tablename__ = "awards"
    __table_args__ = (CheckConstraint(one_of("status", AWARD_STATES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=FINANCE_REVIEW, index=True)
    profile_id: Mapped[Optional[int]] = mapped_column(ForeignKey("procedure_profiles.id"))
    # [{"rank", "bid_id", "opened_bid_id", "supplier_org_id", "total_fen", "score", "excluded", "reason"}]
    candidates: Mapped[list] = mapped_column(JSON, default=list)

    winner_org_id: Mapped[Optional[int]] = mapped_column(ForeignKey("organisations.id"), index=True)
    winner_bid_id: Mapped[Optional[int]] = mapped_column(ForeignKey("bids.id"))
    winner_opened_bid_id: Mapped[Optional[int]] = mapped_column(Integer)
    winner_rank: Mapped[Optional[int]] = mapped_column(Integer)
    total_fen: Mapped[Optional[int]] = mapped_column(BigInteger)

    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    review_due_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    review_overdue_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    review_comment: Mapped[str] = mapped_column(Text, default="")

    notice_number: Mapped[int] = mapped_column(Integer, default=0)
    notice_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    notice_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    notice_until: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)       # announced until
    standstill_until: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    challenge_until: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    fail_reason: Mapped[Optional[dict]] = mapped_column(JSON)
    failed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    next_step: Mapped[Optional[str]] = mapped_column(String(40))
    next_step_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    tender = relationship("Tender", lazy="joined")
    lot = relationship("Lot", lazy="joined")
    winner = relationship("Organisation", lazy="joined")
    profile = relationship("ProcedureProfile")
    offers: Mapped[list[AwardOffer]] = relationship(order_by="AwardOffer.number", back_populates="award")

    def snapshot(self) -> dict:
        def iso(t):
            return t.isoformat() if t else None
        return {"lot_id": self.lot_id, "status": self.status, "winner_org_id": self.winner_org_id,
                "winner_bid_id": self.winner_bid_id, "winner_rank": self.winner_rank, "total_fen": self.total_fen,
                "notice_number": self.notice_number, "notice_at": iso(self.notice_at),
                "standstill_until": iso(self.standstill_until), "challenge_until": iso(self.challenge_until),
                "review_comment": self.review_comment, "next_step": self.next_step}


class AwardOffer(db.Model):
    """The award held by, or offered to, one firm. Number 1 is the recommended winner (accepted
    from the start); the next-ranked firms are offered it in turn when a holder gives it up."""

    __tablename__ = "award_offers"
    __table_args__ = (
        CheckConstraint(one_of("status", OFFER_STATES), name="status"),
        CheckConstraint(f"withdrawal_kind IS NULL OR {one_of('withdrawal_kind', WITHDRAWAL_KINDS)}",
                        name="withdrawal_kind"),
        UniqueConstraint("award_id", "number", name="uq_award_offers_number"),
        UniqueConstraint("award_id", "supplier_org_id", name="uq_award_offers_firm"),
        # At most one firm holds or is offered an award at a time.
        Index("uq_award_offers_live", "award_id", unique=True,
              sqlite_where=db.text(_LIVE_OFFER), postgresql_where=db.text(_LIVE_OFFER)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    rank: Mapped[int] = mapped_column(Integer)
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    bid_id: Mapped[Optional[int]] = mapped_column(ForeignKey("bids.id"))
    opened_bid_id: Mapped[Optional[int]] = mapped_column(Integer)
    total_fen: Mapped[Optional[int]] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20))
    offered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    respond_by: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    responded_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    responded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    withdrawal_kind: Mapped[Optional[str]] = mapped_column(String(20))
    bond_id: Mapped[Optional[int]] = mapped_column(ForeignKey("bonds.id"))
    bond_forfeited: Mapped[bool] = mapped_column(Boolean, default=False)

    award: Mapped[Award] = relationship(back_populates="offers")
    supplier = relationship("Organisation", lazy="joined")

    def snapshot(self) -> dict:
        return {"award_id": self.award_id, "number": self.number, "rank": self.rank,
                "supplier_org_id": self.supplier_org_id, "total_fen": self.total_fen, "status": self.status,
                "respond_by": self.respond_by.isoformat() if self.respond_by else None,
                "withdrawal_kind": self.withdrawal_kind, "bond_id": self.bond_id,
                "bond_forfeited": self.bond_forfeited}


class Challenge(db.Model):
    """A bidder's challenge (质疑) of an award notice, answered by the centre. Its text and the
    answer are private to the challenger, the centre and the finance office; the public sees its
    number, dates and status."""

    __tablename__ = "award_challenges"
    __table_args__ = (CheckConstraint(one_of("status", CHALLENGE_STATES), name="status"),
                      UniqueConstraint("award_id", "number", name="uq_award_challenges_number"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id", ondelete="CASCADE"), index=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    notice_number: Mapped[int] = mapped_column(Integer)
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    lodged_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=LODGED)
    lodged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    answer_due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    answer_overdue_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    complaint_until: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    award: Mapped[Award] = relationship()
    supplier = relationship("Organisation", lazy="joined")
    complaint: Mapped[Optional[Complaint]] = relationship(back_populates="challenge", uselist=False)

    def snapshot(self) -> dict:
        return {"award_id": self.award_id, "number": self.number, "notice_number": self.notice_number,
                "supplier_org_id": self.supplier_org_id, "status": self.status,
                "answer_due_at": self.answer_due_at.isoformat(), "complaint_until": self.complaint_until.isoformat(),
                "overdue": self.answer_overdue_at is not None}


class Complaint(db.Model):
    """The challenger's complaint (投诉) to the finance office of the tender's city about a
    challenge's answer (or its missing answer), decided by that office."""

    __tablename__ = "award_complaints"
    __table_args__ = (CheckConstraint(one_of("status", COMPLAINT_STATES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("award_challenges.id", ondelete="CASCADE"), unique=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id", ondelete="CASCADE"), index=True)
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    lodged_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=LODGED)
    lodged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    decision_due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    decision_overdue_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    decision: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    challenge: Mapped[Challenge] = relationship(back_populates="complaint")
    award: Mapped[Award] = relationship()

    def snapshot(self) -> dict:
        return {"award_id": self.award_id, "challenge_id": self.challenge_id, "status": self.status,
                "decision_due_at": self.decision_due_at.isoformat(), "overdue": self.decision_overdue_at is not None}
