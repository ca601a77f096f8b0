"""A batch `Tender`, its `Lot`s, published documents, clarification `Question`s, `Amendment`s
and followers."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime, utcnow
from procurement.constraints import one_of
from procurement.pooling import models as _pooling_models  # noqa: F401  (PoolingRound, PooledLine: relationship targets)
from procurement.profiles.models import METHODS, TRACKS
from procurement.quantities import PURCHASE_UNITS
from procurement.tendering.states import (CANCEL_REASONS, DRAFT, LOT_ACTIVE, LOT_STATES, QUESTION_OPEN,
                                          QUESTION_STATES, TENDER_STATES)


class Tender(db.Model):
    """A batch tender run by a city's procurement centre.

    Times are UTC. `bid_deadline_at` is when tendering closes (server clock, no grace);
    `clarification_cutoff_at` is the last moment for questions and for amendments that leave the
    deadline where it is; `documents_until` ends the document availability period. The profile is
    the procedure profile in force for the city on the day of submission (checked again at
    publication).
    """

    __tablename__ = "tenders"
    __table_args__ = (
        CheckConstraint(one_of("status", TENDER_STATES), name="status"),
        CheckConstraint(one_of("method", METHODS), name="method"),
        CheckConstraint(one_of("track", TRACKS), name="track"),
        CheckConstraint(f"cancel_reason_type IS NULL OR {one_of('cancel_reason_type', CANCEL_REASONS)}",
                        name="cancel_reason_type"),
        CheckConstraint("amendment_count >= 0", name="amendment_count"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"), index=True)
    centre_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    pooling_round_id: Mapped[Optional[int]] = mapped_column(ForeignKey("pooling_rounds.id"), index=True)
    method: Mapped[str] = mapped_column(String(40))
    track: Mapped[str] = mapped_column(String(10))
    profile_id: Mapped[Optional[int]] = mapped_column(ForeignKey("procedure_profiles.id"))
    status: Mapped[str] = mapped_column(String(20), default=DRAFT, index=True)

    bid_deadline_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime, index=True)
    clarification_cutoff_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    documents_until: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    submitted_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    review_comment: Mapped[str] = mapped_column(Text, default="")
    # The finance office's checks at the last review: [{"check", "ok", "message": payload}]
    review_checks: Mapped[list] = mapped_column(JSON, default=list)
    published_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    published_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    cancel_reason_type: Mapped[Optional[str]] = mapped_column(String(40))
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    amendment_count: Mapped[int] = mapped_column(Integer, default=0)

    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    city = relationship("City", lazy="joined")
    centre = relationship("Organisation", lazy="joined")
    profile = relationship("ProcedureProfile")
    pooling_round = relationship("PoolingRound")
    lots: Mapped[list["Lot"]] = relationship(back_populates="tender", order_by="Lot.number",
                                             cascade="all, delete-orphan")
    documents: Mapped[list["TenderDocument"]] = relationship(back_populates="tender", order_by="TenderDocument.id")
    questions: Mapped[list["Question"]] = relationship(back_populates="tender", order_by="Question.id")
    amendments: Mapped[list["Amendment"]] = relationship(back_populates="tender", order_by="Amendment.number")

    def snapshot(self) -> dict:
        """The fields an amendment may change and records carry (times as ISO text)."""
        def iso(t):
            return t.isoformat() if t else None
        return {"reference": self.reference, "title": self.title, "description": self.description,
                "method": self.method, "track": self.track, "status": self.status,
                "profile_id": self.profile_id, "bid_deadline_at": iso(self.bid_deadline_at),
                "clarification_cutoff_at": iso(self.clarification_cutoff_at),
                "documents_until": iso(self.documents_until),
                "lots": [lot.snapshot() for lot in self.lots]}

    def __repr__(self):
        return f"<Tender {self.reference} {self.status}>"


class Lot(db.Model):
    """One lot: a category and specification, the pooled quantity, its ceiling and bid bond.

    `requirements` are the strictest of its lines' requirements, as rule dicts
    (``{"key", "comparison", "limit", "unit", "kind", "name_en", "name_zh", "scale"}``).
    """

    __tablename__ = "lots"
    __table_args__ = (
        UniqueConstraint("tender_id", "number", name="uq_lots_tender_number"),
        CheckConstraint(one_of("status", LOT_STATES), name="status"),
        CheckConstraint(one_of("unit", PURCHASE_UNITS), name="unit"),
        CheckConstraint("quantity_milli > 0", name="quantity_positive"),
        CheckConstraint("ceiling_fen > 0 AND bond_fen >= 0", name="money"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    specification: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(10))
    quantity_milli: Mapped[int] = mapped_column(BigInteger)
    ceiling_fen: Mapped[int] = mapped_column(BigInteger)
    bond_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    requirements: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default=LOT_ACTIVE)

    tender: Mapped[Tender] = relationship(back_populates="lots")
    category = relationship("Category", lazy="joined")
    lines = relationship("PooledLine", back_populates="lot", order_by="PooledLine.id")

    def snapshot(self) -> dict:
        return {"number": self.number, "title": self.title, "category_id": self.category_id,
                "specification": self.specification, "unit": self.unit, "quantity_milli": self.quantity_milli,
                "ceiling_fen": self.ceiling_fen, "bond_fen": self.bond_fen,
                "requirements": list(self.requirements or []), "status": self.status}


class TenderDocument(db.Model):
    """A file published with the tender (stored once by SHA-256 in `core.documents`)."""

    __tablename__ = "tender_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    title: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(255), default="")
    amendment_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tender_amendments.id"))
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    added_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    tender: Mapped[Tender] = relationship(back_populates="documents")
    document = relationship("Document", lazy="joined")


class Question(db.Model):
    """A clarification question. The asker is known only to the procurement centre; the answer
    is published to everyone."""

    __tablename__ = "tender_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[Optional[int]] = mapped_column(ForeignKey("lots.id"))
    number: Mapped[int] = mapped_column(Integer)
    asker_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    asker_user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default=QUESTION_OPEN)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    # Set when the question was still unanswered at the clarification cut-off.
    flagged_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    tender: Mapped[Tender] = relationship(back_populates="questions")
    lot = relationship("Lot")

    __table_args__ = (CheckConstraint(one_of("status", QUESTION_STATES), name="status"),
                      UniqueConstraint("tender_id", "number", name="uq_tender_questions_number"))


class Amendment(db.Model):
    """A change to a published tender, with its rationale and what changed
    (``changes``: [{"field", "lot", "before", "after"}]) and the deadline before and after."""

    __tablename__ = "tender_amendments"
    __table_args__ = (UniqueConstraint("tender_id", "number", name="uq_tender_amendments_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    rationale: Mapped[str] = mapped_column(Text)
    changes: Mapped[list] = mapped_column(JSON, default=list)
    deadline_before: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    deadline_after: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    # True when the amendment came after the cut-off and the deadline was moved because of it.
    deadline_moved: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    tender: Mapped[Tender] = relationship(back_populates="amendments")


class TenderFollow(db.Model):
    """A user following a tender for its deadlines and changes."""

    __tablename__ = "tender_follows"

    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

