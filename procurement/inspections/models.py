"""Tables of inspections: the dated rule, inspectors' recorded ties, campaigns, inspections (one
per drawn target), team seats and rectification notices.

Inspectors are the users with the role `inspector` in the city's inspection authority
(organisation kind `inspection_authority`): that is the authority's inspector pool.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime, utcnow
from procurement.constraints import one_of
from procurement.inspections.states import (
    CAMPAIGN_STATES,
    INSPECTION_STATES,
    OPEN,
    PLANNED,
    RECTIFICATION_STATES,
    SEAT_ACTIVE,
    SEAT_STATES,
    TARGET_KINDS,
    TEAM_PENDING,
    TIE_REASONS,
)


class InspectionRule(db.Model):
    """The dated rule of inspection campaigns (national when `city_id` is NULL): how long a
    target inspected stays out of later draws, the largest share of a general item's pool that
    may be drawn, the smallest team and the publication period in working days. Immutable."""

    __tablename__ = "inspection_rules"
    __table_args__ = (
        CheckConstraint("recent_exclusion_days BETWEEN 0 AND 3650", name="recent_exclusion_days"),
        CheckConstraint("max_general_share_bp BETWEEN 1 AND 10000", name="max_general_share_bp"),
        CheckConstraint("min_team_size BETWEEN 2 AND 9", name="min_team_size"),
        CheckConstraint("publication_working_days BETWEEN 1 AND 60", name="publication_working_days"),
        Index("uq_inspection_rules_national", "effective_from", unique=True,
              sqlite_where=db.text("city_id IS NULL"), postgresql_where=db.text("city_id IS NULL")),
        Index("uq_inspection_rules_city", "city_id", "effective_from", unique=True,
              sqlite_where=db.text("city_id IS NOT NULL"), postgresql_where=db.text("city_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_id: Mapped[Optional[int]] = mapped_column(ForeignKey("cities.id"), index=True)
    effective_from: Mapped[dt.date] = mapped_column(Date)
    recent_exclusion_days: Mapped[int] = mapped_column(Integer)
    max_general_share_bp: Mapped[int] = mapped_column(Integer)
    min_team_size: Mapped[int] = mapped_column(Integer)
    publication_working_days: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


@event.listens_for(InspectionRule, "before_update")
def _refuse_edits(_mapper, _connection, target):  # part of the model: rows are append-only
    raise ValueError(f"inspection rule {target.id} is immutable; add a row with a later effective date")


class InspectorTie(db.Model):
    """A recorded tie between an inspector and an organisation: the inspector is never drawn for
    a target of that organisation."""

    __tablename__ = "inspector_ties"
    __table_args__ = (
        CheckConstraint(one_of("reason", TIE_REASONS), name="reason"),
        UniqueConstraint("inspector_id", "org_id", name="uq_inspector_ties_pair"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    reason: Mapped[str] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(String(300), default="")
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    inspector = relationship("User", foreign_keys=[inspector_id], lazy="joined")
    organisation = relationship("Organisation", lazy="joined")


class Campaign(db.Model):
    """A "double random, one open" campaign of a city's inspection authority. `items`: the check
    items ``[{code, name, class: key|general, target: project|firm|product, share_bp}]``; the
    rule's numbers are copied at opening (`recent_exclusion_days`, `min_team_size`,
    `publication_working_days`, `max_general_share_bp`)."""

    __tablename__ = "inspection_campaigns"
    __table_args__ = (
        CheckConstraint(one_of("status", CAMPAIGN_STATES), name="status"),
        CheckConstraint("team_size >= 2", name="team_size"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"), index=True)
    authority_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    items: Mapped[list] = mapped_column(JSON, default=list)
    team_size: Mapped[int] = mapped_column(Integer)
    rule_id: Mapped[Optional[int]] = mapped_column(ForeignKey("inspection_rules.id"))
    recent_exclusion_days: Mapped[int] = mapped_column(Integer)
    max_general_share_bp: Mapped[int] = mapped_column(Integer)
    min_team_size: Mapped[int] = mapped_column(Integer)
    publication_working_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=PLANNED, index=True)
    target_draw_id: Mapped[int] = mapped_column(ForeignKey("draws.id"))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    drawn_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    closed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    city = relationship("City")
    authority = relationship("Organisation", lazy="joined")
    inspections: Mapped[list["Inspection"]] = relationship(back_populates="campaign", order_by="Inspection.id")

    @property
    def scope(self) -> list[str]:
        """The target kinds the campaign's items cover."""
        return sorted({item["target"] for item in self.items or []})

    def snapshot(self) -> dict:
        return {"reference": self.reference, "city_id": self.city_id, "authority_org_id": self.authority_org_id,
                "title": self.title, "items": self.items, "team_size": self.team_size, "status": self.status,
                "recent_exclusion_days": self.recent_exclusion_days, "target_draw_id": self.target_draw_id,
                "starts_on": self.starts_on.isoformat(), "ends_on": self.ends_on.isoformat()}


class Inspection(db.Model):
    """The inspection of one drawn target (``target_ref`` "project:ID", "firm:ID", "product:ID")
    on the items it was drawn for. Results are recorded by its team; `publish_due_on` is the last
    day of publication (20 working days after `ended_on` by the default rule)."""

    __tablename__ = "inspections"
    __table_args__ = (
        CheckConstraint(one_of("status", INSPECTION_STATES), name="status"),
        CheckConstraint(one_of("target_kind", TARGET_KINDS), name="target_kind"),
        UniqueConstraint("campaign_id", "target_ref", name="uq_inspections_target"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("inspection_campaigns.id", ondelete="CASCADE"), index=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"), index=True)
    target_kind: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column(Integer)
    target_ref: Mapped[str] = mapped_column(String(40), index=True)
    target_name: Mapped[str] = mapped_column(String(300))
    # The organisation inspected: the project's purchaser, the firm, the product's supplier.
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    project_id: Mapped[Optional[int]] = mapped_column(ForeignKey("projects.id"), index=True)
    item_codes: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default=TEAM_PENDING, index=True)
    team_draw_id: Mapped[int] = mapped_column(ForeignKey("draws.id"))
    pending_draw_id: Mapped[Optional[int]] = mapped_column(ForeignKey("draws.id"))
    items_checked: Mapped[list] = mapped_column(JSON, default=list)
    samples: Mapped[list] = mapped_column(JSON, default=list)
    findings: Mapped[str] = mapped_column(Text, default="")
    compliant: Mapped[Optional[bool]] = mapped_column(db.Boolean)
    ended_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    publish_due_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    recorded_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    published_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    # Set by the chronograph when the publication day passed unpublished (pages also decide by the clock).
    overdue_flagged_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="inspections", lazy="joined")
    organisation = relationship("Organisation", lazy="joined")
    seats: Mapped[list["TeamSeat"]] = relationship(back_populates="inspection", order_by="[TeamSeat.seat, TeamSeat.id]")
    rectifications: Mapped[list["Rectification"]] = relationship(back_populates="inspection",
                                                                 order_by="Rectification.id")

    def snapshot(self) -> dict:
        return {"campaign_id": self.campaign_id, "target_ref": self.target_ref, "status": self.status,
                "item_codes": self.item_codes, "team_draw_id": self.team_draw_id,
                "pending_draw_id": self.pending_draw_id, "compliant": self.compliant,
                "samples": len(self.samples or []),
                "ended_on": self.ended_on.isoformat() if self.ended_on else None,
                "publish_due_on": self.publish_due_on.isoformat() if self.publish_due_on else None}


class TeamSeat(db.Model):
    """An inspector drawn for a seat of an inspection's team. A recused seat is taken by a new
    row drawn by a replacement draw."""

    __tablename__ = "inspection_team_seats"
    __table_args__ = (
        CheckConstraint(one_of("status", SEAT_STATES), name="status"),
        UniqueConstraint("inspection_id", "inspector_id", name="uq_inspection_team_seats_inspector"),
        Index("uq_inspection_team_seats_active", "inspection_id", "seat", unique=True,
              sqlite_where=db.text("status = 'active'"), postgresql_where=db.text("status = 'active'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    seat: Mapped[int] = mapped_column(Integer)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("draws.id"))
    status: Mapped[str] = mapped_column(String(20), default=SEAT_ACTIVE)
    replaces_id: Mapped[Optional[int]] = mapped_column(ForeignKey("inspection_team_seats.id"))
    recusal_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    recused_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    inspection: Mapped[Inspection] = relationship(back_populates="seats")
    inspector = relationship("User", foreign_keys=[inspector_id], lazy="joined")


class Rectification(db.Model):
    """A rectification notice to the inspected organisation: required actions by a deadline; the
    target answers with evidence (documents of `core.documents`); a re-inspection closes or
    escalates it. It arises from exactly one of: an inspection of a campaign (`inspection_id`)
    or a delivery sample that failed at the testing lab (`delivery_sample_id`, issued to the
    supplier)."""

    __tablename__ = "rectifications"
    __table_args__ = (CheckConstraint(one_of("status", RECTIFICATION_STATES), name="status"),
                      CheckConstraint("(inspection_id IS NULL) <> (delivery_sample_id IS NULL)", name="one_origin"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    inspection_id: Mapped[Optional[int]] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"),
                                                         index=True)
    delivery_sample_id: Mapped[Optional[int]] = mapped_column(ForeignKey("delivery_samples.id", ondelete="CASCADE"),
                                                              unique=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    project_id: Mapped[Optional[int]] = mapped_column(ForeignKey("projects.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=OPEN, index=True)
    required_actions: Mapped[str] = mapped_column(Text)
    deadline: Mapped[dt.date] = mapped_column(Date)
    issued_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    response: Mapped[str] = mapped_column(Text, default="")
    evidence_document_ids: Mapped[list] = mapped_column(JSON, default=list)
    responded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    responded_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    reinspection_note: Mapped[str] = mapped_column(Text, default="")
    reinspected_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    reinspected_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    deadline_passed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    inspection: Mapped[Optional[Inspection]] = relationship(back_populates="rectifications", lazy="joined")
    delivery_sample = relationship("DeliverySample", lazy="joined")
    organisation = relationship("Organisation", lazy="joined")
    project = relationship("Project")

    def snapshot(self) -> dict:
        return {"reference": self.reference, "inspection_id": self.inspection_id,
                "delivery_sample_id": self.delivery_sample_id, "org_id": self.org_id,
                "project_id": self.project_id, "status": self.status, "deadline": self.deadline.isoformat(),
                "evidence_document_ids": list(self.evidence_document_ids or [])}


from procurement import models as _procurement_models  # noqa: E402,F401  (neighbours mapped first)
from procurement.deliveries import models as _delivery_models  # noqa: E402,F401  (delivery_samples mapped)
