"""`ProjectDocument`: a file attached to a project."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime, utcnow
from procurement.constraints import one_of

DOCUMENT_KINDS = ("budget_approval", "design_drawings", "design_review", "bill_of_quantities", "other")


class ProjectDocument(db.Model):
    """A file attached to a project (stored once in the shared document store, by hash).

    The attaching record carries the file's SHA-256, so the record chain pins its content.
    """

    __tablename__ = "project_documents"
    __table_args__ = (CheckConstraint(one_of("kind", DOCUMENT_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(20))
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    document = relationship("Document", lazy="joined")
    uploaded_by = relationship("User", lazy="joined")
