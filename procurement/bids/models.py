"""Sealed bids, their signed receipts, opening keys and key holders, and the Merkle roots
published at the deadline.

Nothing here holds a bid in clear: `Bid.sealed_envelope` is an X25519 sealed box to the tender's
opening public key; the matching private key is stored nowhere, only as Shamir shares each sealed
to a key holder's own public key, whose private key is wrapped with that holder's passphrase.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime, utcnow
from procurement.bids.states import BID_STATES, RECEIPT_KINDS, SUBMITTED
from procurement.constraints import one_of
from procurement.tendering import models as _tendering_models  # noqa: F401  (Tender, Lot: relationship targets)


class KeyHolder(db.Model):
    """An opening officer (procurement centre) or finance-office person enrolled as an opening
    key holder. The passphrase is never stored: it derives (argon2id, `salt`) the key that wraps
    (SecretBox) the holder's own X25519 private key; `public_key` receives shares."""

    __tablename__ = "bid_key_holders"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    public_key: Mapped[str] = mapped_column(String(64))
    wrapped_private_key: Mapped[str] = mapped_column(Text)   # base64 SecretBox(nonce + ciphertext)
    salt: Mapped[str] = mapped_column(String(64))             # base64 argon2id salt
    opslimit: Mapped[int] = mapped_column(Integer)
    memlimit: Mapped[int] = mapped_column(Integer)
    enrolled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User", lazy="joined")


class OpeningKey(db.Model):
    """A tender's opening public key (published); the private key exists only as shares."""

    __tablename__ = "tender_opening_keys"
    __table_args__ = (CheckConstraint("k >= 2 AND n >= k", name="threshold"),)

    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))
    k: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    shares: Mapped[list[KeyShare]] = relationship(order_by="KeyShare.x")


class KeyShare(db.Model):
    """Share number `x` of a tender's opening private key, sealed to the holder's public key."""

    __tablename__ = "tender_key_shares"
    __table_args__ = (UniqueConstraint("tender_id", "holder_user_id", name="uq_tender_key_shares_holder"),
                      UniqueConstraint("tender_id", "x", name="uq_tender_key_shares_x"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender_opening_keys.tender_id", ondelete="CASCADE"), index=True)
    holder_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    x: Mapped[int] = mapped_column(Integer)
    sealed_share: Mapped[str] = mapped_column(Text)   # base64 SealedBox to the holder's public key

    holder = relationship("User", lazy="joined")


class Bid(db.Model):
    """One sealed bid of a supplier firm on a lot. Replacing it makes a new row (`sequence` + 1)
    and marks this one replaced; at most one live bid per firm and lot."""

    __tablename__ = "bids"
    __table_args__ = (
        CheckConstraint(one_of("status", BID_STATES), name="status"),
        UniqueConstraint("supplier_org_id", "idempotency_key", name="uq_bids_idempotency"),
        Index("uq_bids_live_supplier_lot", "lot_id", "supplier_org_id", unique=True,
              sqlite_where=db.text("status IN ('submitted', 'needs_reconfirmation')"),
              postgresql_where=db.text("status IN ('submitted', 'needs_reconfirmation')")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sequence: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(30), default=SUBMITTED, index=True)
    sealed_envelope: Mapped[bytes] = mapped_column(LargeBinary)
    envelope_sha256: Mapped[str] = mapped_column(String(64))
    # True when the client sealed the envelope itself (the server never saw the product or
    # price: compliance and the ceiling are screened at opening).
    client_sealed: Mapped[bool] = mapped_column(Boolean, default=False)
    idempotency_key: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("bids.id"))
    # The submitter's network address (request.remote_addr): oversight flags bidders sharing one.
    client_address: Mapped[str | None] = mapped_column(String(45))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    receipts: Mapped[list[BidReceipt]] = relationship(order_by="BidReceipt.id", back_populates="bid")
    lot = relationship("Lot", lazy="joined")
    tender = relationship("Tender")


class BidReceipt(db.Model):
    """A signed receipt: the canonical JSON `statement` ({bid, tender, lot, sha256, received_at,
    action, key_id}) and its Ed25519 signature by the platform key."""

    __tablename__ = "bid_receipts"
    __table_args__ = (CheckConstraint(one_of("kind", RECEIPT_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    statement: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    bid: Mapped[Bid] = relationship(back_populates="receipts")


class BidRoot(db.Model):
    """The Merkle root over a tender's live commitments, computed at the deadline and published."""

    __tablename__ = "tender_bid_roots"

    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), primary_key=True)
    root: Mapped[str] = mapped_column(String(64))
    leaf_count: Mapped[int] = mapped_column(Integer)
    # The receipt ids in leaf order (JSON list as text) and the signed statement of the root.
    leaves: Mapped[str] = mapped_column(Text)
    statement: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(100))
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
