"""The search outbox: one row per catalog change, written in the same transaction as the change.

Rows say only *which* product changed; the dispatcher reads the product's current state when it
sends it, and uses the row id as the document's external version, so out-of-order or repeated
deliveries can never put an older state over a newer one.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.timeutil import UTCDateTime, utcnow

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
_ID = BigInteger().with_variant(Integer, "sqlite")


class SearchOutbox(db.Model):
    """A change to send to the search index: pending (`processed_at` unset), delivered, or parked
    as failed (`failed_at` set, with `last_error`)."""

    __tablename__ = "search_outbox"
    __table_args__ = (
        Index("ix_search_outbox_pending", "processed_at", "next_attempt_at"),
        Index("ix_search_outbox_entity", "entity", "entity_id"),
        Index("ix_search_outbox_failed", "failed_at"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(16), default="product")
    entity_id: Mapped[int] = mapped_column(BigInteger)
    op: Mapped[str] = mapped_column(String(8), default="upsert")  # upsert | delete (a hint; state decides)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    processed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    last_error: Mapped[Optional[str]] = mapped_column(String(500))
    # Set when the row is parked: its document could not be built, or the engine rejected it
    # MAX_ATTEMPTS times. Parked rows are not retried automatically (`flask search retry`); a later
    # change of the same product writes a newer row whose delivery settles them.
    failed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    def __repr__(self):
        return f"<SearchOutbox {self.id} {self.entity}:{self.entity_id} {self.op}>"
