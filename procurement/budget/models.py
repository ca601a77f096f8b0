"""`Budget` and its `FundingSource` rows."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime, utcnow
from procurement.constraints import one_of
from procurement.projects.models import Project

SUBMITTED, APPROVED, RETURNED = "submitted", "approved", "returned"
BUDGET_STATUSES = (SUBMITTED, APPROVED, RETURNED)
FUNDING_KINDS = ("general_budget", "government_fund", "special_bond", "central_transfer", "self_raised", "other")


class Budget(db.Model):
    """The project budget: submitted by the purchaser, approved or returned by the city's finance office.

    One row per project; each resubmission bumps ``revision`` (the history lives in the records).
    """

    __tablename__ = "project_budgets"
    __table_args__ = (
        CheckConstraint(one_of("status", BUDGET_STATUSES), name="status"),
        CheckConstraint("total_fen > 0", name="total_positive"),
        CheckConstraint("green_share_bp BETWEEN 0 AND 10000", name="green_share"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), unique=True)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    green_share_bp: Mapped[int] = mapped_column(Integer)  # share of the budget for green materials, 1/100 %
    status: Mapped[str] = mapped_column(String(20), default=SUBMITTED)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    submitted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    review_comment: Mapped[str] = mapped_column(Text, default="")

    project: Mapped[Project] = relationship(back_populates="budget")
    funding_sources: Mapped[list["FundingSource"]] = relationship(
        back_populates="budget", cascade="all, delete-orphan", order_by="FundingSource.id")

    @property
    def funding_total_fen(self) -> int:
        return sum(f.amount_fen for f in self.funding_sources)

    @property
    def is_approved(self) -> bool:
        return self.status == APPROVED

    def snapshot(self) -> dict:
        return {
            "total_fen": self.total_fen, "green_share_bp": self.green_share_bp, "status": self.status,
            "revision": self.revision, "review_comment": self.review_comment,
            "funding_sources": [f.snapshot() for f in self.funding_sources],
        }


class FundingSource(db.Model):
    __tablename__ = "project_funding_sources"
    __table_args__ = (
        CheckConstraint(one_of("kind", FUNDING_KINDS), name="kind"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("project_budgets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(String(200), default="")
    amount_fen: Mapped[int] = mapped_column(BigInteger)

    budget: Mapped[Budget] = relationship(back_populates="funding_sources")

    def snapshot(self) -> dict:
        return {"kind": self.kind, "description": self.description, "amount_fen": self.amount_fen}
