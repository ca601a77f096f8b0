"""Opening sessions, unlocked shares, opened bids (with their documents), qualification results
and lot outcomes.

Secrets: `UnlockedShare.sealed_share` is a key holder's share sealed to the session's own X25519
public key, whose private key (`OpeningSession.wrapped_private_key`) is wrapped with a key derived
from the `OPENING_SESSION_KEY` setting; both are wiped (set to NULL) when the bids are opened or
the session expires. The opening private key itself is never stored.
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
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime, utcnow
from procurement.bids import models as _bid_models  # noqa: F401  (Bid: relationship target)
from procurement.constraints import one_of
from procurement.opening.states import (
    CHECKS,
    COLLECTING,
    LOT_OUTCOMES,
    OPENED_BID_STATES,
    QUALIFYING,
    SESSION_STATES,
)


class OpeningSession(db.Model):
    """The opening of one tender's bids. `attempt` counts restarts after expiry; the session key
    pair is new for each attempt."""

    __tablename__ = "opening_sessions"
    __table_args__ = (CheckConstraint(one_of("status", SESSION_STATES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=COLLECTING)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    public_key: Mapped[str] = mapped_column(String(64))                     # base64 X25519
    wrapped_private_key: Mapped[Optional[str]] = mapped_column(Text)        # base64 SecretBox; NULL once wiped
    key_salt: Mapped[Optional[str]] = mapped_column(String(64))             # base64, derives the wrapping key
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    opened_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    tender = relationship("Tender")


class UnlockedShare(db.Model):
    """A key holder's unlock in one attempt of a session: who, when, and (until wiped) the share
    re-sealed to the session key."""

    __tablename__ = "opening_unlocked_shares"
    __table_args__ = (UniqueConstraint("session_id", "attempt", "holder_user_id", name="uq_opening_unlocked_holder"),
                      UniqueConstraint("session_id", "attempt", "x", name="uq_opening_unlocked_x"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("opening_sessions.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    holder_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    x: Mapped[int] = mapped_column(Integer)
    sealed_share: Mapped[Optional[str]] = mapped_column(Text)   # NULL once wiped
    unlocked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    wiped_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    holder = relationship("User", lazy="joined")


class OpenedBid(db.Model):
    """A bid as opened: valid (its envelope matched its commitment and opened to well-formed
    contents) or void with the reason (a stored message: key and parameters)."""

    __tablename__ = "opened_bids"
    __table_args__ = (CheckConstraint(one_of("status", OPENED_BID_STATES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id"), unique=True)
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    void_reason: Mapped[Optional[dict]] = mapped_column(JSON)
    product_id: Mapped[Optional[int]] = mapped_column(Integer)   # as the bidder wrote it (may name no product)
    unit_price_fen: Mapped[Optional[int]] = mapped_column(BigInteger)
    total_fen: Mapped[Optional[int]] = mapped_column(BigInteger)
    envelope_sha256: Mapped[str] = mapped_column(String(64))      # of the envelope as found at opening
    committed_sha256: Mapped[Optional[str]] = mapped_column(String(64))  # from the signed receipt
    client_sealed: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    supplier = relationship("Organisation", lazy="joined")
    bid = relationship("Bid")
    documents: Mapped[list[OpenedBidDocument]] = relationship(order_by="OpenedBidDocument.position",
                                                              cascade="all, delete-orphan")
    results: Mapped[list[QualificationResult]] = relationship(order_by="QualificationResult.id",
                                                              cascade="all, delete-orphan")


class OpenedBidDocument(db.Model):
    """A technical document that travelled inside a bid's envelope (stored at opening)."""

    __tablename__ = "opened_bid_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    opened_bid_id: Mapped[int] = mapped_column(ForeignKey("opened_bids.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class QualificationResult(db.Model):
    """One automatic check of one opened bid, with its reason (a stored message), and the
    override if any (`passed` then differs from `auto_passed`; the reason is required)."""

    __tablename__ = "qualification_results"
    __table_args__ = (CheckConstraint(one_of("check_name", CHECKS), name="check_name"),
                      UniqueConstraint("opened_bid_id", "check_name", name="uq_qualification_results_check"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    opened_bid_id: Mapped[int] = mapped_column(ForeignKey("opened_bids.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    check_name: Mapped[str] = mapped_column(String(20))
    auto_passed: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[dict] = mapped_column(JSON)
    passed: Mapped[bool] = mapped_column(Boolean)
    override_reason: Mapped[str] = mapped_column(Text, default="")
    overridden_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    overridden_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    opened_bid: Mapped[OpenedBid] = relationship(back_populates="results")

    def snapshot(self) -> dict:
        return {"opened_bid_id": self.opened_bid_id, "check": self.check_name, "auto_passed": self.auto_passed,
                "passed": self.passed, "override_reason": self.override_reason}


class LotOpening(db.Model):
    """What opening decided for one lot: its valid and qualified bid counts against the profile's
    minimum, and, when it failed, the centre's choice of the next step."""

    __tablename__ = "lot_openings"
    __table_args__ = (CheckConstraint(one_of("status", LOT_OUTCOMES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id", ondelete="CASCADE"), unique=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=QUALIFYING)
    valid_bids: Mapped[int] = mapped_column(Integer)
    qualified_bids: Mapped[Optional[int]] = mapped_column(Integer)
    min_bidders: Mapped[int] = mapped_column(Integer)
    fail_reason: Mapped[Optional[dict]] = mapped_column(JSON)
    next_step: Mapped[Optional[str]] = mapped_column(String(40))
    next_step_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    lot = relationship("Lot", lazy="joined")

    def snapshot(self) -> dict:
        return {"lot_id": self.lot_id, "status": self.status, "valid_bids": self.valid_bids,
                "qualified_bids": self.qualified_bids, "min_bidders": self.min_bidders,
                "next_step": self.next_step, "next_step_reason": self.next_step_reason}
