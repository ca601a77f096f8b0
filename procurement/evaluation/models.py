"""Evaluation experts, the dated rule of their draws, evaluation panels and their members.

An expert's account is a `User` with the role `expert` in the city's expert-pool organisation
(kind `expert_pool`); `Expert` holds what the draw needs: specialities (catalogue category codes),
the employer (by unified social credit code when known) for conflicts, location, active flag.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
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
from procurement.evaluation.states import (
    DECLINE_REASONS,
    INVITED,
    MEMBER_STATES,
    PANEL_STATES,
    REQUESTED,
)


class Expert(db.Model):
    """An evaluation expert of a city's pool."""

    __tablename__ = "experts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    pool_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"), index=True)
    # Catalogue category codes the expert evaluates (read through catalog.interface).
    specialities: Mapped[list] = mapped_column(JSON, default=list)
    employer_name: Mapped[str] = mapped_column(String(200))
    employer_credit_code: Mapped[Optional[str]] = mapped_column(String(18), index=True)
    province: Mapped[str] = mapped_column(String(80), default="")
    locality: Mapped[str] = mapped_column(String(80), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    deactivated_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    # The last time the expert accepted a panel seat (the draw checks recent service per purchaser).
    last_served_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user = relationship("User", foreign_keys=[user_id], lazy="joined")
    city = relationship("City")

    @property
    def candidate_id(self) -> str:
        """The expert's id in draw snapshots."""
        return f"expert:{self.id}"

    def snapshot(self) -> dict:
        return {"user_id": self.user_id, "city_id": self.city_id, "specialities": list(self.specialities or []),
                "employer_name": self.employer_name, "employer_credit_code": self.employer_credit_code,
                "province": self.province, "locality": self.locality, "active": self.active}


class ExpertRule(db.Model):
    """The dated rule of expert draws (national when `city_id` is NULL): how many days an expert
    who served on a panel for a purchaser stays out of that purchaser's draws. Immutable: a
    change is a row with a later `effective_from`."""

    __tablename__ = "expert_draw_rules"
    __table_args__ = (
        CheckConstraint("recent_service_days BETWEEN 0 AND 3650", name="recent_service_days"),
        Index("uq_expert_draw_rules_national", "effective_from", unique=True,
              sqlite_where=db.text("city_id IS NULL"), postgresql_where=db.text("city_id IS NULL")),
        Index("uq_expert_draw_rules_city", "city_id", "effective_from", unique=True,
              sqlite_where=db.text("city_id IS NOT NULL"), postgresql_where=db.text("city_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_id: Mapped[Optional[int]] = mapped_column(ForeignKey("cities.id"), index=True)
    effective_from: Mapped[dt.date] = mapped_column(Date)
    recent_service_days: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


@event.listens_for(ExpertRule, "before_update")
def _refuse_edits(_mapper, _connection, target):  # part of the model: rows are append-only
    raise ValueError(f"expert draw rule {target.id} is immutable; add a row with a later effective date")


class Panel(db.Model):
    """An evaluation panel of a lot (or of a whole tender: `lot_id` NULL). `scope` ("lot:ID" or
    "tender:ID") is unique among live panels. `draw_id` is the first draw; a committed
    replacement draw waiting to be drawn is `pending_draw_id`."""

    __tablename__ = "evaluation_panels"
    __table_args__ = (
        CheckConstraint(one_of("status", PANEL_STATES), name="status"),
        CheckConstraint("size >= 1", name="size"),
        Index("uq_evaluation_panels_live_scope", "scope", unique=True,
              sqlite_where=db.text("status <> 'cancelled'"), postgresql_where=db.text("status <> 'cancelled'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[Optional[int]] = mapped_column(ForeignKey("lots.id"), index=True)
    scope: Mapped[str] = mapped_column(String(40))
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=REQUESTED, index=True)
    size: Mapped[int] = mapped_column(Integer)
    # The budget the size was decided on (the lot's ceiling, or the sum of the tender's lots).
    budget_fen: Mapped[int] = mapped_column(BigInteger)
    profile_id: Mapped[Optional[int]] = mapped_column(ForeignKey("procedure_profiles.id"))
    recent_service_days: Mapped[int] = mapped_column(Integer)
    draw_id: Mapped[int] = mapped_column(ForeignKey("draws.id"))
    pending_draw_id: Mapped[Optional[int]] = mapped_column(ForeignKey("draws.id"))
    evaluation_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    venue: Mapped[str] = mapped_column(String(300), default="")
    # Projects whose lines are in the lot(s), and their purchasers, at the request.
    project_ids: Mapped[list] = mapped_column(JSON, default=list)
    purchaser_org_ids: Mapped[list] = mapped_column(JSON, default=list)
    requested_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    drawn_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    completed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    tender = relationship("Tender", lazy="joined")
    lot = relationship("Lot")
    members: Mapped[list["PanelMember"]] = relationship(back_populates="panel",
                                                        order_by="[PanelMember.seat, PanelMember.id]")

    def snapshot(self) -> dict:
        return {"tender_id": self.tender_id, "lot_id": self.lot_id, "scope": self.scope, "status": self.status,
                "size": self.size, "budget_fen": self.budget_fen, "draw_id": self.draw_id,
                "pending_draw_id": self.pending_draw_id, "recent_service_days": self.recent_service_days}


class PanelMember(db.Model):
    """An expert drawn for a seat of a panel. A declined seat is taken by a new row (drawn by a
    replacement draw) that `replaces` it."""

    __tablename__ = "panel_members"
    __table_args__ = (
        CheckConstraint(one_of("status", MEMBER_STATES), name="status"),
        CheckConstraint(f"decline_reason_type IS NULL OR {one_of('decline_reason_type', DECLINE_REASONS)}",
                        name="decline_reason_type"),
        UniqueConstraint("panel_id", "expert_id", name="uq_panel_members_expert"),
        Index("uq_panel_members_seated", "panel_id", "seat", unique=True,
              sqlite_where=db.text("status IN ('invited', 'accepted')"),
              postgresql_where=db.text("status IN ('invited', 'accepted')")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("evaluation_panels.id", ondelete="CASCADE"), index=True)
    seat: Mapped[int] = mapped_column(Integer)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"), index=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("draws.id"))
    status: Mapped[str] = mapped_column(String(20), default=INVITED)
    replaces_id: Mapped[Optional[int]] = mapped_column(ForeignKey("panel_members.id"))
    invited_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    responded_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    decline_reason_type: Mapped[Optional[str]] = mapped_column(String(30))
    decline_reason: Mapped[str] = mapped_column(Text, default="")

    panel: Mapped[Panel] = relationship(back_populates="members")
    expert: Mapped[Expert] = relationship(lazy="joined")


# Every table of the package's neighbours (Tender, Lot and, through them, projects, budgets...) must
# be mapped before the mappers are configured, whoever imports this module first. Imported last so
# that `procurement.models` may list this module's classes too without an import cycle.
from procurement import models as _procurement_models  # noqa: E402,F401
