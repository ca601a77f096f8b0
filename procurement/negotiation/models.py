"""Negotiations, their invited participants, their rounds (each with its own sealing key pair and,
once closed, the signed Merkle root over the offers' receipts) and the sealed offers.

An offer's amount is stored in clear only when its round closes (`total_fen` is NULL while the
offer is sealed): before that the platform holds the sealed envelope, its SHA-256 and a signed
receipt. The round's private key is kept wrapped (`procurement.opening.crypto`) and unwrapped
only by the close. `agreement_id` is a plain integer (a framework agreement of a later call-off).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime, utcnow
from procurement.constraints import one_of
from procurement.negotiation.states import (
    KINDS,
    NEGOTIATION_STATES,
    OFFER_STATES,
    OPEN,
    ROUND_OPEN,
    ROUND_STATES,
    SEALED,
    TIE_RULES,
)


def _iso(t):
    return t.isoformat() if t else None


class Negotiation(db.Model):
    """One negotiation among invited supplier firms for one subject (a lot, or a framework's
    call-off), with its published rules: the minimal step, the rounds before the final offers,
    the tie rule."""

    __tablename__ = "negotiations"
    __table_args__ = (CheckConstraint(one_of("status", NEGOTIATION_STATES), name="status"),
                      CheckConstraint(one_of("kind", KINDS), name="kind"),
                      CheckConstraint(one_of("tie_rule", TIE_RULES), name="tie_rule"),
                      CheckConstraint("ceiling_fen > 0 AND quantity_milli > 0", name="amounts"),
                      CheckConstraint("step_bp >= 0 AND step_bp <= 5000 AND step_min_fen >= 0", name="step"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default=OPEN, index=True)
    title: Mapped[str] = mapped_column(String(300))
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"), index=True)
    centre_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    tender_id: Mapped[int | None] = mapped_column(ForeignKey("tenders.id", ondelete="SET NULL"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id", ondelete="SET NULL"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(Integer, index=True)
    project_ids: Mapped[list] = mapped_column(JSON, default=list)
    quantity_milli: Mapped[int] = mapped_column(BigInteger)
    unit: Mapped[str] = mapped_column(String(20))
    ceiling_fen: Mapped[int] = mapped_column(BigInteger)
    # The minimal step: a new offer is at least max(step_min_fen, step_bp of the previous offer) below it.
    step_bp: Mapped[int] = mapped_column(Integer, default=0)
    step_min_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    min_rounds: Mapped[int] = mapped_column(Integer, default=1)   # improvement rounds before the final offers
    tie_rule: Mapped[str] = mapped_column(String(30))
    winner_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    winner_offer_id: Mapped[int | None] = mapped_column(Integer)
    total_fen: Mapped[int | None] = mapped_column(BigInteger)
    fail_reason: Mapped[dict | None] = mapped_column(JSON)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    concluded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    participants = relationship("NegotiationParticipant", back_populates="negotiation",
                                order_by="NegotiationParticipant.id", lazy="selectin")
    rounds = relationship("NegotiationRound", back_populates="negotiation", order_by="NegotiationRound.number",
                          lazy="selectin")

    def snapshot(self) -> dict:
        return {"reference": self.reference, "kind": self.kind, "status": self.status, "ceiling_fen": self.ceiling_fen,
                "step_bp": self.step_bp, "step_min_fen": self.step_min_fen, "min_rounds": self.min_rounds,
                "tie_rule": self.tie_rule, "winner_org_id": self.winner_org_id, "total_fen": self.total_fen,
                "concluded_at": _iso(self.concluded_at)}


class NegotiationParticipant(db.Model):
    """A supplier firm invited to the negotiation."""

    __tablename__ = "negotiation_participants"
    __table_args__ = (UniqueConstraint("negotiation_id", "supplier_org_id", name="uq_negotiation_participant"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    negotiation_id: Mapped[int] = mapped_column(ForeignKey("negotiations.id", ondelete="CASCADE"), index=True)
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    invited_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    negotiation = relationship("Negotiation", back_populates="participants")
    organisation = relationship("Organisation", lazy="joined")


class NegotiationRound(db.Model):
    """Round `number` (1..); `final` marks the final-offer round. The key pair seals the round's
    offers; the close publishes the signed Merkle root over their receipts, then opens them."""

    __tablename__ = "negotiation_rounds"
    __table_args__ = (UniqueConstraint("negotiation_id", "number", name="uq_negotiation_round_number"),
                      CheckConstraint(one_of("status", ROUND_STATES), name="status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    negotiation_id: Mapped[int] = mapped_column(ForeignKey("negotiations.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default=ROUND_OPEN)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    deadline_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    public_key: Mapped[str] = mapped_column(String(64))
    wrapped_private_key: Mapped[str | None] = mapped_column(Text)   # NULL once the round is opened
    key_salt: Mapped[str | None] = mapped_column(String(64))
    merkle_root: Mapped[str | None] = mapped_column(String(64))
    root_statement: Mapped[str | None] = mapped_column(Text)
    root_signature: Mapped[str | None] = mapped_column(String(200))
    best_total_fen: Mapped[int | None] = mapped_column(BigInteger)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    negotiation = relationship("Negotiation", back_populates="rounds")
    offers = relationship("NegotiationOffer", back_populates="round", order_by="NegotiationOffer.id", lazy="selectin")

    def snapshot(self) -> dict:
        return {"number": self.number, "final": self.final, "status": self.status,
                "deadline_at": _iso(self.deadline_at), "merkle_root": self.merkle_root,
                "best_total_fen": self.best_total_fen}


class NegotiationOffer(db.Model):
    """A firm's sealed offer in a round (one per firm and round; submitted offers are final).
    `total_fen` is filled in when the round closes and the envelope is opened."""

    __tablename__ = "negotiation_offers"
    __table_args__ = (UniqueConstraint("round_id", "supplier_org_id", name="uq_negotiation_offer_firm"),
                      CheckConstraint(one_of("status", OFFER_STATES), name="status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("negotiation_rounds.id", ondelete="CASCADE"), index=True)
    negotiation_id: Mapped[int] = mapped_column(ForeignKey("negotiations.id", ondelete="CASCADE"), index=True)
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=SEALED)
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
    envelope_sha256: Mapped[str] = mapped_column(String(64))
    receipt_statement: Mapped[str] = mapped_column(Text)
    receipt_signature: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    total_fen: Mapped[int | None] = mapped_column(BigInteger)
    void_reason: Mapped[dict | None] = mapped_column(JSON)

    round = relationship("NegotiationRound", back_populates="offers")
