"""`BomLine`: one line of the design's bill of materials."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.money import format_fen
from core.timeutil import UTCDateTime, utcnow
from procurement.constraints import one_of
from procurement.projects.models import Project
from procurement.quantities import PURCHASE_UNITS, line_total_fen


class BomLine(db.Model):
    """One line of the design's bill of materials.

    The line's requirements are the city's standard rules for its category under the project's
    edition, with ``tightenings`` ({rule key: stricter limit as text}) applied by the designer.
    """

    __tablename__ = "bom_lines"
    __table_args__ = (
        UniqueConstraint("project_id", "line_no", name="uq_bom_lines_project_line"),
        CheckConstraint("quantity_milli > 0", name="quantity_positive"),
        CheckConstraint("est_unit_price_fen >= 0", name="price_nonnegative"),
        CheckConstraint(one_of("unit", PURCHASE_UNITS), name="unit"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    specification: Mapped[str] = mapped_column(String(300))
    quantity_milli: Mapped[int] = mapped_column(BigInteger)
    unit: Mapped[str] = mapped_column(String(10))
    est_unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    green_required: Mapped[bool] = mapped_column(Boolean, default=True)
    tightenings: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    project: Mapped[Project] = relationship(back_populates="bom_lines")
    category = relationship("Category", lazy="joined")

    @property
    def total_fen(self) -> int:
        return line_total_fen(self.quantity_milli, self.est_unit_price_fen)

    def snapshot(self) -> dict:
        return {
            "line_no": self.line_no, "category_id": self.category_id, "specification": self.specification,
            "quantity_milli": self.quantity_milli, "unit": self.unit,
            "est_unit_price_fen": self.est_unit_price_fen, "green_required": self.green_required,
            "tightenings": dict(self.tightenings or {}),
        }

    def __repr__(self):
        return f"<BomLine {self.project_id}#{self.line_no} {format_fen(self.total_fen)}>"
