"""`OcdsRelease`: one published OCDS release, stored once and never changed.

A later change to a process makes a new release (its own id and date); history is never
rewritten. `key` names the event the release publishes within its process (``tender``,
``amendment-2``, ``award-7-1``, ``update-3``...): (ocid, key) is unique, so publishing the same
event twice is a no-op.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.timeutil import UTCDateTime, utcnow


class OcdsRelease(db.Model):
    """A release as published: `data` is the OCDS release JSON, `sha256` its canonical digest."""

    __tablename__ = "ocds_releases"
    __table_args__ = (UniqueConstraint("ocid", "key", name="uq_ocds_releases_ocid_key"),
                      Index("ix_ocds_releases_process", "process_type", "process_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ocid: Mapped[str] = mapped_column(String(120), index=True)
    key: Mapped[str] = mapped_column(String(80))
    release_id: Mapped[str] = mapped_column(String(200), unique=True)
    date: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    # The process's source row: a tender ("tender") or a call-off order under a framework
    # agreement ("order"). No foreign key: a release outlives any change to its source.
    process_type: Mapped[str] = mapped_column(String(20))
    process_id: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self):
        return f"<OcdsRelease {self.release_id}>"


class OcdsFeed(db.Model):
    """Where publication stands in the audit trail: the last audit event (`seq`) whose
    process has been looked at. One row (id 1)."""

    __tablename__ = "ocds_feed"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_audit_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
