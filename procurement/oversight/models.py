"""Oversight tables: `Target` (a city's annual targets, entered by platform staff),
`OversightRule` (dated thresholds: the lagging rule, red-flag thresholds, the longest dashboard
range) and `MonthlyFact` (the pre-aggregated figure of one metric, city and month)."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime, utcnow

# Shares are basis points (1 % = 100 bp): integers, like money in fen.
BP_COLUMNS = ("coverage_bp", "green_share_bp", "batch_share_bp", "prefab_share_bp")


class Target(db.Model):
    """A city's targets for one calendar year: the green-material procurement amount (fen) and
    four shares (bp): eligible projects covered, green share of materials, batch-procured share,
    prefabricated-construction share."""

    __tablename__ = "oversight_targets"
    __table_args__ = (
        UniqueConstraint("city_id", "year", name="uq_oversight_targets_city_year"),
        CheckConstraint("green_amount_fen >= 0", name="amount_not_negative"),
        *(CheckConstraint(f"{c} >= 0 AND {c} <= 10000", name=f"{c}_range") for c in BP_COLUMNS),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    green_amount_fen: Mapped[int] = mapped_column(BigInteger)
    coverage_bp: Mapped[int] = mapped_column(Integer)
    green_share_bp: Mapped[int] = mapped_column(Integer)
    batch_share_bp: Mapped[int] = mapped_column(Integer)
    prefab_share_bp: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    city = relationship("City")

    def snapshot(self) -> dict:
        return {"city_id": self.city_id, "year": self.year, "green_amount_fen": self.green_amount_fen,
                **{c: getattr(self, c) for c in BP_COLUMNS}, "note": self.note}


class OversightRule(db.Model):
    """Dated thresholds (national row: city_id NULL; a city's own overrides it from its date),
    looked up with `core.dated_rules.in_force`.

    - lagging: a city lags when a figure is below `lagging_share_bp` of its pro-rata target line;
      not before `lagging_from_month` (January figures are too thin to call anyone in);
    - red flags: a winning price at or above `near_ceiling_bp` of the ceiling; a firm winning
      `repeat_wins` or more lots of the same centre within `repeat_window_days`; a tender amendment
      moving a ceiling by more than `amendment_bp`;
    - the longest dashboard range, in years (`max_range_years`)."""

    __tablename__ = "oversight_rules"
    __table_args__ = (
        UniqueConstraint("city_id", "effective_from", name="uq_oversight_rules_city_from"),
        CheckConstraint("lagging_share_bp BETWEEN 0 AND 10000", name="lagging_share_range"),
        CheckConstraint("lagging_from_month BETWEEN 1 AND 12", name="lagging_from_range"),
        CheckConstraint("near_ceiling_bp BETWEEN 0 AND 10000", name="near_ceiling_range"),
        CheckConstraint("repeat_wins >= 2", name="repeat_wins_min"),
        CheckConstraint("repeat_window_days >= 1", name="repeat_window_min"),
        CheckConstraint("amendment_bp >= 0", name="amendment_not_negative"),
        CheckConstraint("max_range_years >= 1", name="max_range_min"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_id: Mapped[Optional[int]] = mapped_column(ForeignKey("cities.id"), index=True)
    effective_from: Mapped[dt.date] = mapped_column(Date)
    lagging_share_bp: Mapped[int] = mapped_column(Integer)
    lagging_from_month: Mapped[int] = mapped_column(Integer)
    near_ceiling_bp: Mapped[int] = mapped_column(Integer)
    repeat_wins: Mapped[int] = mapped_column(Integer)
    repeat_window_days: Mapped[int] = mapped_column(Integer)
    amendment_bp: Mapped[int] = mapped_column(Integer)
    max_range_years: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def snapshot(self) -> dict:
        return {c: getattr(self, c) for c in RULE_FIELDS} | {
            "city_id": self.city_id, "effective_from": self.effective_from.isoformat()}


RULE_FIELDS = ("lagging_share_bp", "lagging_from_month", "near_ceiling_bp", "repeat_wins", "repeat_window_days",
               "amendment_bp", "max_range_years")


class MonthlyFact(db.Model):
    """One pre-aggregated figure: `metric` of `city_id` in the month starting `month` (China
    calendar). Rewritten whole by each refresh of its source (`refresh.py`), so a refresh run twice
    gives the same rows."""

    __tablename__ = "oversight_monthly_facts"
    __table_args__ = (Index("ix_oversight_facts_month_city", "month", "city_id"),)

    metric: Mapped[str] = mapped_column(String(40), primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"), primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
    refreshed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
