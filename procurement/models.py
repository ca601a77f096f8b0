"""Projects, their budgets, bills of materials and append-only records."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text,
                        UniqueConstraint, event)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime, utcnow
from procurement import stages
from procurement.chain import GENESIS_HASH
from procurement.quantities import MAX_FLOOR_AREA_M2, PURCHASE_UNITS, format_fen

BUILDING_TYPES = ("school", "hospital", "office", "complex", "exhibition_centre", "stadium",
                  "affordable_housing", "urban_renewal")
BUDGET_STATUSES = ("submitted", "approved", "returned")
FUNDING_KINDS = ("general_budget", "government_fund", "special_bond", "central_transfer", "self_raised", "other")
PERSON_ROLES = ("project_manager", "designer", "finance_contact", "site_manager", "supervisor")
DOCUMENT_KINDS = ("budget_approval", "design_drawings", "design_review", "bill_of_quantities", "other")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Project(db.Model):
    """A public construction project run through the closed loop (see ``procurement.stages``)."""

    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint(_in("building_type", BUILDING_TYPES), name="building_type"),
        CheckConstraint(_in("stage", stages.STAGES), name="stage"),
        CheckConstraint(f"floor_area_m2 > 0 AND floor_area_m2 <= {MAX_FLOOR_AREA_M2}", name="floor_area"),
        CheckConstraint("green_star_target BETWEEN 0 AND 3", name="star_target"),
        CheckConstraint("record_count >= 0", name="record_count"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    purchaser_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"), index=True)
    building_type: Mapped[str] = mapped_column(String(30))
    floor_area_m2: Mapped[int] = mapped_column(Integer)
    green_star_target: Mapped[int] = mapped_column(Integer, default=1)
    registered_on: Mapped[dt.date] = mapped_column(Date)
    # The demand-standard edition in force on the registration date; fixed for the project's life.
    standard_edition_id: Mapped[int] = mapped_column(ForeignKey("standard_editions.id"))
    # ... and the version of that edition in force then: its rules are the project's rules.
    standard_version_id: Mapped[int] = mapped_column(ForeignKey("standard_versions.id"))
    stage: Mapped[str] = mapped_column(String(20), default=stages.BUDGET, index=True)
    stage_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Head of the per-project record chain (count and last hash), so a removed tail is noticed.
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    record_head_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    purchaser = relationship("Organisation", lazy="joined")
    city = relationship("City", lazy="joined")
    standard_edition = relationship("StandardEdition", lazy="joined")
    standard_version = relationship("StandardVersion", lazy="joined")
    people: Mapped[list["ProjectPerson"]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectPerson.id")
    budget: Mapped[Optional["Budget"]] = relationship(back_populates="project", uselist=False)
    bom_lines: Mapped[list["BomLine"]] = relationship(back_populates="project", order_by="BomLine.line_no")

    def snapshot(self) -> dict:
        return {
            "code": self.code, "name": self.name, "purchaser_org_id": self.purchaser_org_id,
            "city_id": self.city_id, "building_type": self.building_type, "floor_area_m2": self.floor_area_m2,
            "green_star_target": self.green_star_target, "registered_on": self.registered_on.isoformat(),
            "standard_edition_id": self.standard_edition_id,
            "standard_version_id": self.standard_version_id, "stage": self.stage,
            "description": self.description,
            "people": [p.snapshot() for p in self.people],
        }

    def __repr__(self):
        return f"<Project {self.code} {self.stage}>"


class ProjectPerson(db.Model):
    """A person responsible for part of the project (not necessarily a platform user)."""

    __tablename__ = "project_people"
    __table_args__ = (CheckConstraint(_in("role", PERSON_ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(40), default="")
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    project: Mapped[Project] = relationship(back_populates="people")

    def snapshot(self) -> dict:
        return {"role": self.role, "name": self.name, "phone": self.phone, "user_id": self.user_id}


class Budget(db.Model):
    """The project budget: submitted by the purchaser, approved or returned by the city's finance office.

    One row per project; each resubmission bumps ``revision`` (the history lives in the records).
    """

    __tablename__ = "project_budgets"
    __table_args__ = (
        CheckConstraint(_in("status", BUDGET_STATUSES), name="status"),
        CheckConstraint("total_fen > 0", name="total_positive"),
        CheckConstraint("green_share_bp BETWEEN 0 AND 10000", name="green_share"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), unique=True)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    green_share_bp: Mapped[int] = mapped_column(Integer)  # share of the budget for green materials, 1/100 %
    status: Mapped[str] = mapped_column(String(20), default="submitted")
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

    def snapshot(self) -> dict:
        return {
            "total_fen": self.total_fen, "green_share_bp": self.green_share_bp, "status": self.status,
            "revision": self.revision, "review_comment": self.review_comment,
            "funding_sources": [f.snapshot() for f in self.funding_sources],
        }


class FundingSource(db.Model):
    __tablename__ = "project_funding_sources"
    __table_args__ = (
        CheckConstraint(_in("kind", FUNDING_KINDS), name="kind"),
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
        CheckConstraint(_in("unit", PURCHASE_UNITS), name="unit"),
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
        from procurement.quantities import line_total_fen

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


class ProjectDocument(db.Model):
    """A file attached to a project (stored once in the catalog's document store, by hash).

    The attaching record carries the file's SHA-256, so the record chain pins its content.
    """

    __tablename__ = "project_documents"
    __table_args__ = (CheckConstraint(_in("kind", DOCUMENT_KINDS), name="kind"),)

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

    def to_dict(self) -> dict:
        return {
            "seq": self.seq, "kind": self.kind, "stage": self.stage, "actor_id": self.actor_id,
            "actor": getattr(self.actor, "name", None), "created_at": self.created_at.isoformat(),
            "payload": self.payload, "prev_hash": self.prev_hash, "hash": self.hash,
            "audit_event_id": self.audit_event_id,
        }


@event.listens_for(Session, "before_flush")
def _records_are_append_only(session, flush_context, instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, ProjectRecord) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("project records are append-only")
