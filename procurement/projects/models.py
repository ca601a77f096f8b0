"""`Project` and its responsible people."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Optional

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.hashchain import GENESIS_HASH
from core.timeutil import UTCDateTime, utcnow
from procurement.constraints import one_of
from procurement.machine.stages import BUDGET, STAGES
from procurement.quantities import MAX_FLOOR_AREA_M2

if TYPE_CHECKING:  # the budget and design capabilities map these classes
    from procurement.budget.models import Budget
    from procurement.design.models import BomLine

BUILDING_TYPES = ("school", "hospital", "office", "complex", "exhibition_centre", "stadium",
                  "affordable_housing", "urban_renewal")
PERSON_ROLES = ("project_manager", "designer", "finance_contact", "site_manager", "supervisor")


class Project(db.Model):
    """A public construction project run through the closed loop (see ``procurement.machine``)."""

    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint(one_of("building_type", BUILDING_TYPES), name="building_type"),
        CheckConstraint(one_of("stage", STAGES), name="stage"),
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
    stage: Mapped[str] = mapped_column(String(20), default=BUDGET, index=True)
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
    __table_args__ = (CheckConstraint(one_of("role", PERSON_ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(40), default="")
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    project: Mapped[Project] = relationship(back_populates="people")

    def snapshot(self) -> dict:
        return {"role": self.role, "name": self.name, "phone": self.phone, "user_id": self.user_id}
