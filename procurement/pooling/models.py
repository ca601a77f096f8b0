"""`PoolingRound`, its categories, and `PooledLine` (one project's bill line in a round)."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.statemachine import Move, StateMachine
from core.timeutil import UTCDateTime, utcnow
from procurement.constraints import one_of
from procurement.quantities import PURCHASE_UNITS

ROUND_OPEN, ROUND_CLOSED, ROUND_TENDERED, ROUND_CANCELLED = "open", "closed", "tendered", "cancelled"
ROUND_STATES = (ROUND_OPEN, ROUND_CLOSED, ROUND_TENDERED, ROUND_CANCELLED)

#: A round collects lines while open; after it closes the centre builds a tender from it.
ROUND = StateMachine("pooling round", ROUND_STATES, [
    Move("close", (ROUND_OPEN,), ROUND_CLOSED),
    Move("tender", (ROUND_CLOSED,), ROUND_TENDERED),
    Move("reopen", (ROUND_TENDERED,), ROUND_CLOSED),  # its tender was cancelled or failed
    Move("cancel", (ROUND_OPEN, ROUND_CLOSED), ROUND_CANCELLED),
], final=(ROUND_CANCELLED,))

LINE_CONTRIBUTED, LINE_ASSIGNED, LINE_WITHDRAWN, LINE_RELEASED = "contributed", "assigned", "withdrawn", "released"
LINE_STATES = (LINE_CONTRIBUTED, LINE_ASSIGNED, LINE_WITHDRAWN, LINE_RELEASED)
#: A bill line is in at most one live pooled line at a time (partial unique index below).
LIVE_LINE_STATES = (LINE_CONTRIBUTED, LINE_ASSIGNED)

#: contributed (purchaser confirmed) -> assigned (in a lot) -> released (its tender ended without
#: it being bought); a contributed line may be withdrawn, an assigned one goes back when its lot
#: is taken apart in a draft tender.
POOLED_LINE = StateMachine("pooled line", LINE_STATES, [
    Move("assign", (LINE_CONTRIBUTED,), LINE_ASSIGNED),
    Move("unassign", (LINE_ASSIGNED,), LINE_CONTRIBUTED),
    Move("withdraw", (LINE_CONTRIBUTED,), LINE_WITHDRAWN),
    Move("release", (LINE_CONTRIBUTED, LINE_ASSIGNED), LINE_RELEASED),
], final=(LINE_WITHDRAWN, LINE_RELEASED))

pooling_round_categories = Table(
    "pooling_round_categories", db.metadata,
    Column("round_id", ForeignKey("pooling_rounds.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id"), primary_key=True),
)


class PoolingRound(db.Model):
    """A centre's call for demand in some categories, open from `opens_at` until `closes_at`."""

    __tablename__ = "pooling_rounds"
    __table_args__ = (
        CheckConstraint(one_of("status", ROUND_STATES), name="status"),
        CheckConstraint("closes_at > opens_at", name="window"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"), index=True)
    centre_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=ROUND_OPEN, index=True)
    opens_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    city = relationship("City", lazy="joined")
    centre = relationship("Organisation", lazy="joined")
    categories = relationship("Category", secondary=pooling_round_categories, order_by="Category.position")
    lines: Mapped[list["PooledLine"]] = relationship(back_populates="round", order_by="PooledLine.id")

    def snapshot(self) -> dict:
        return {"reference": self.reference, "title": self.title, "city_id": self.city_id,
                "centre_org_id": self.centre_org_id, "status": self.status,
                "opens_at": self.opens_at.isoformat(), "closes_at": self.closes_at.isoformat(),
                "category_ids": sorted(c.id for c in self.categories)}


class PooledLine(db.Model):
    """One project's bill line contributed to a round; in a lot once the centre groups it.

    Quantity, unit and estimated amount are copied at contribution: the lot is built from what
    the purchaser confirmed, and the bill line cannot change while the project is in procurement.
    """

    __tablename__ = "pooled_lines"
    __table_args__ = (
        CheckConstraint(one_of("status", LINE_STATES), name="status"),
        CheckConstraint(one_of("unit", PURCHASE_UNITS), name="unit"),
        CheckConstraint("quantity_milli > 0 AND est_amount_fen >= 0", name="amounts"),
        Index("uq_pooled_lines_live_bom_line", "bom_line_id", unique=True,
              sqlite_where=db.text("status IN ('contributed', 'assigned')"),
              postgresql_where=db.text("status IN ('contributed', 'assigned')")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("pooling_rounds.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    bom_line_id: Mapped[int] = mapped_column(ForeignKey("bom_lines.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    specification: Mapped[str] = mapped_column(String(300))
    quantity_milli: Mapped[int] = mapped_column(BigInteger)
    unit: Mapped[str] = mapped_column(String(10))
    est_unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    est_amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default=LINE_CONTRIBUTED, index=True)
    lot_id: Mapped[Optional[int]] = mapped_column(ForeignKey("lots.id"), index=True)
    contributed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    contributed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    round: Mapped[PoolingRound] = relationship(back_populates="lines")
    project = relationship("Project", lazy="joined")
    bom_line = relationship("BomLine")
    category = relationship("Category", lazy="joined")
    lot = relationship("Lot", back_populates="lines")

    def snapshot(self) -> dict:
        return {"round_id": self.round_id, "project_id": self.project_id, "bom_line_id": self.bom_line_id,
                "category_id": self.category_id, "specification": self.specification,
                "quantity_milli": self.quantity_milli, "unit": self.unit,
                "est_unit_price_fen": self.est_unit_price_fen, "est_amount_fen": self.est_amount_fen,
                "status": self.status, "lot_id": self.lot_id}
