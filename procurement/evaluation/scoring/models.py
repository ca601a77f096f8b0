"""Scoring plans and their criteria (set on a draft tender), the dated rules of abnormally low
prices, lot evaluations with their frozen reports, experts' score sheets, price flags and
report signatures.

Weights are basis points of the 100-point total (30 % = 3000); maximum scores and scores are
hundredths of a point (10 points = 1000). Scores are combined in exact fractions
(`arithmetic.py`), never in floating point.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime, utcnow
from procurement.constraints import one_of
from procurement.evaluation import models as _panel_models  # noqa: F401  (Panel: relationship target)
from procurement.evaluation.scoring.states import (
    AWAITING,
    EVALUATION_STATES,
    FLAG_STATES,
    GOODS,
    LOWEST_PRICE,
    MAX_SCORE_CP,
    METHODS,
    SCORING,
    SUBJECTS,
)
from procurement.opening import models as _opening_models  # noqa: F401  (OpenedBid: relationship target)


class ScoringPlan(db.Model):
    """How a tender (`lot_id` NULL) or one of its lots is evaluated. A lot without its own plan
    follows the tender's; a tender without a plan is evaluated at the lowest price."""

    __tablename__ = "scoring_plans"
    __table_args__ = (
        CheckConstraint(one_of("method", METHODS), name="method"),
        CheckConstraint(one_of("subject", SUBJECTS), name="subject"),
        CheckConstraint("price_weight_bp BETWEEN 0 AND 10000", name="price_weight"),
        Index("uq_scoring_plans_tender", "tender_id", unique=True,
              sqlite_where=db.text("lot_id IS NULL"), postgresql_where=db.text("lot_id IS NULL")),
        Index("uq_scoring_plans_lot", "lot_id", unique=True,
              sqlite_where=db.text("lot_id IS NOT NULL"), postgresql_where=db.text("lot_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[Optional[int]] = mapped_column(ForeignKey("lots.id", ondelete="CASCADE"))
    method: Mapped[str] = mapped_column(String(20), default=LOWEST_PRICE)
    subject: Mapped[str] = mapped_column(String(10), default=GOODS)
    price_weight_bp: Mapped[int] = mapped_column(Integer, default=10000)
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    criteria: Mapped[list["ScoringCriterion"]] = relationship(order_by="ScoringCriterion.position",
                                                              cascade="all, delete-orphan", back_populates="plan")
    lot = relationship("Lot")

    def snapshot(self) -> dict:
        return {"tender_id": self.tender_id, "lot_id": self.lot_id, "method": self.method, "subject": self.subject,
                "price_weight_bp": self.price_weight_bp, "criteria": [c.snapshot() for c in self.criteria]}


class ScoringCriterion(db.Model):
    """A criterion the experts score (not the price, which the platform scores): its share of the
    100 points (`weight_bp`) and the scale experts use (0 .. `max_score_cp`)."""

    __tablename__ = "scoring_criteria"
    __table_args__ = (
        UniqueConstraint("plan_id", "position", name="uq_scoring_criteria_position"),
        CheckConstraint("weight_bp BETWEEN 1 AND 10000", name="weight"),
        CheckConstraint(f"max_score_cp BETWEEN 1 AND {MAX_SCORE_CP}", name="max_score"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("scoring_plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    weight_bp: Mapped[int] = mapped_column(Integer)
    max_score_cp: Mapped[int] = mapped_column(Integer)

    plan: Mapped[ScoringPlan] = relationship(back_populates="criteria")

    def snapshot(self) -> dict:
        return {"id": self.id, "position": self.position, "name": self.name, "description": self.description,
                "weight_bp": self.weight_bp, "max_score_cp": self.max_score_cp}


class AbnormalPriceRule(db.Model):
    """When a bid's price is abnormally low (national when `city_id` is NULL), from a date: below
    `below_average_bp` of the average of the other valid bids, or below `below_ceiling_bp` of the
    lot's ceiling (NULL: that trigger is off); the bidder then has `justification_working_days`
    to justify it. Immutable: a change is a row with a later `effective_from`."""

    __tablename__ = "abnormal_price_rules"
    __table_args__ = (
        CheckConstraint("below_average_bp IS NULL OR below_average_bp BETWEEN 1 AND 10000", name="below_average"),
        CheckConstraint("below_ceiling_bp IS NULL OR below_ceiling_bp BETWEEN 1 AND 10000", name="below_ceiling"),
        CheckConstraint("justification_working_days BETWEEN 1 AND 30", name="justification_days"),
        Index("uq_abnormal_price_rules_national", "effective_from", unique=True,
              sqlite_where=db.text("city_id IS NULL"), postgresql_where=db.text("city_id IS NULL")),
        Index("uq_abnormal_price_rules_city", "city_id", "effective_from", unique=True,
              sqlite_where=db.text("city_id IS NOT NULL"), postgresql_where=db.text("city_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_id: Mapped[Optional[int]] = mapped_column(ForeignKey("cities.id"), index=True)
    effective_from: Mapped[dt.date] = mapped_column(Date)
    below_average_bp: Mapped[Optional[int]] = mapped_column(Integer)
    below_ceiling_bp: Mapped[Optional[int]] = mapped_column(Integer)
    justification_working_days: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    city = relationship("City")

    def snapshot(self) -> dict:
        return {"id": self.id, "city_id": self.city_id, "effective_from": self.effective_from.isoformat(),
                "below_average_bp": self.below_average_bp, "below_ceiling_bp": self.below_ceiling_bp,
                "justification_working_days": self.justification_working_days}


@event.listens_for(AbnormalPriceRule, "before_update")
def _refuse_edits(_mapper, _connection, target):  # part of the model: rows are append-only
    raise ValueError(f"abnormal price rule {target.id} is immutable; add a row with a later effective date")


class LotEvaluation(db.Model):
    """The evaluation of one lot. The method, price weight and criteria are copied from the plan
    at the start; `report` is the frozen report (JSON, exact scores as "n/d" text) from its issue,
    `report_sha256` its hash, which every member's signature names."""

    __tablename__ = "lot_evaluations"
    __table_args__ = (CheckConstraint(one_of("status", EVALUATION_STATES), name="status"),
                      CheckConstraint(one_of("method", METHODS), name="method"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id", ondelete="CASCADE"), unique=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("evaluation_panels.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=SCORING)
    method: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(10))
    price_weight_bp: Mapped[int] = mapped_column(Integer)
    criteria: Mapped[list] = mapped_column(JSON, default=list)   # ScoringCriterion snapshots
    rule_id: Mapped[Optional[int]] = mapped_column(ForeignKey("abnormal_price_rules.id"))
    justification_due_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    started_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    report_version: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[Optional[dict]] = mapped_column(JSON)
    report_sha256: Mapped[Optional[str]] = mapped_column(String(64))
    report_issued_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    report_issued_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    member_user_ids: Mapped[list] = mapped_column(JSON, default=list)   # who signs this version
    signed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    reopen_reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    lot = relationship("Lot", lazy="joined")
    panel = relationship("Panel")
    rule = relationship("AbnormalPriceRule")
    flags: Mapped[list["PriceFlag"]] = relationship(order_by="PriceFlag.id", back_populates="evaluation")
    sheets: Mapped[list["ScoreSheet"]] = relationship(order_by="ScoreSheet.id", back_populates="evaluation")

    def snapshot(self) -> dict:
        return {"lot_id": self.lot_id, "status": self.status, "method": self.method, "subject": self.subject,
                "price_weight_bp": self.price_weight_bp, "criteria": [c["id"] for c in self.criteria or []],
                "rule_id": self.rule_id, "report_version": self.report_version, "report_sha256": self.report_sha256}


class ScoreSheet(db.Model):
    """One expert's submitted scores for a lot: every bid on every criterion, at once and final."""

    __tablename__ = "score_sheets"
    __table_args__ = (UniqueConstraint("evaluation_id", "expert_user_id", name="uq_score_sheets_expert"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("lot_evaluations.id", ondelete="CASCADE"), index=True)
    expert_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    evaluation: Mapped[LotEvaluation] = relationship(back_populates="sheets")
    expert = relationship("User", lazy="joined")
    scores: Mapped[list["Score"]] = relationship(order_by="Score.id", cascade="all, delete-orphan")


class Score(db.Model):
    """One expert's score of one bid on one criterion, in hundredths of a point."""

    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("sheet_id", "opened_bid_id", "criterion_id", name="uq_scores_cell"),
                      CheckConstraint(f"score_cp BETWEEN 0 AND {MAX_SCORE_CP}", name="score"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("score_sheets.id", ondelete="CASCADE"), index=True)
    opened_bid_id: Mapped[int] = mapped_column(ForeignKey("opened_bids.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("scoring_criteria.id"))
    score_cp: Mapped[int] = mapped_column(Integer)


class PriceFlag(db.Model):
    """An abnormally low price: why (stored messages), the bidder's justification and the panel's
    decision with its reason."""

    __tablename__ = "price_flags"
    __table_args__ = (CheckConstraint(one_of("status", FLAG_STATES), name="status"),
                      UniqueConstraint("evaluation_id", "opened_bid_id", name="uq_price_flags_bid"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("lot_evaluations.id", ondelete="CASCADE"), index=True)
    opened_bid_id: Mapped[int] = mapped_column(ForeignKey("opened_bids.id"))
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=AWAITING)
    reasons: Mapped[list] = mapped_column(JSON, default=list)     # message payloads
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    justification: Mapped[str] = mapped_column(Text, default="")
    justified_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    justified_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    evaluation: Mapped[LotEvaluation] = relationship(back_populates="flags")
    opened_bid = relationship("OpenedBid", lazy="joined")
    supplier = relationship("Organisation")

    def snapshot(self) -> dict:
        return {"opened_bid_id": self.opened_bid_id, "supplier_org_id": self.supplier_org_id, "status": self.status,
                "due_at": self.due_at.isoformat() if self.due_at else None,
                "decision_reason": self.decision_reason}


class ReportSignature(db.Model):
    """A panel member's confirmation of one version of a lot's evaluation report."""

    __tablename__ = "report_signatures"
    __table_args__ = (UniqueConstraint("evaluation_id", "version", "expert_user_id", name="uq_report_signatures"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("lot_evaluations.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    expert_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    report_sha256: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    expert = relationship("User", lazy="joined")
