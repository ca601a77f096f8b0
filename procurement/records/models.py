"""`ProjectRecord`: one entry of a project's closed-loop record (append-only, hash-chained)."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime, utcnow
from procurement.projects.models import Project


class ProjectRecord(db.Model):
    """One entry of a project's closed-loop record: append-only, hash-chained per project,
    linked to the global audit event written in the same transaction."""

    __tablename__ = "project_records"
    __table_args__ = (UniqueConstraint("project_id", "seq", name="uq_project_records_project_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(60))
    stage: Mapped[Optional[str]] = mapped_column(String(20))
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    audit_event_id: Mapped[Optional[int]] = mapped_column(ForeignKey("audit_events.id"))

    project: Mapped[Project] = relationship()
    actor = relationship("User", lazy="joined")


def guard_append_only(session, flush_context, instances):
    """Refuse updates and deletes of project records through the ORM."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, ProjectRecord) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("project records are append-only")


def install() -> None:
    """Guard every session (idempotent; called by `procurement.register`)."""
    if not event.contains(Session, "before_flush", guard_append_only):
        event.listen(Session, "before_flush", guard_append_only)
