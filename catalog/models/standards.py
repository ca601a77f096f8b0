"""Categories and demand standards as data.

* ``CategoryGroup`` / ``Category``: the 51 certification categories in 6 groups (stable codes).
* ``StandardEdition``: an edition of the demand standard (2022, 2025) with its effective date and
  edition-wide parameters such as the minimum green share of optional material kinds.
* ``StandardVersion``: a numbered version of an edition. Once published (``in_force``, later
  ``superseded``) a version and its rules are immutable: a change is a new version with its own
  effective date, so every stored evaluation can name the exact version it used.
* ``CategoryRequirement``: per version and category, ``mandatory`` or ``optional``.
* ``IndicatorRule``: per version and category, one indicator requirement; ``climate_zone`` or
  ``city_code`` restrict it (city beats climate zone beats base, see ``catalog.compliance``).
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import JSON, CheckConstraint, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.extensions import db
from core.timeutil import UTCDateTime, utcnow

from catalog.rule_validation import scope_of

VERSION_STATUSES = ("draft", "in_force", "superseded")
PUBLISHED_STATUSES = ("in_force", "superseded")
REQUIREMENTS = ("mandatory", "optional")
RULE_KINDS = ("green", "quality")
RULE_COMPARISONS = ("<=", ">=", "=", "in", "at_least", "bool")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ImmutableVersionError(RuntimeError):
    """Raised on flush when a published standard version (or its rules) would change."""


class CategoryGroup(db.Model):
    __tablename__ = "category_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)

    categories: Mapped[list["Category"]] = relationship(back_populates="group", order_by="Category.position")

    def __repr__(self):
        return f"<CategoryGroup {self.code}>"


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("category_groups.id"), index=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    default_unit: Mapped[str] = mapped_column(String(32), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    group: Mapped[CategoryGroup] = relationship(back_populates="categories", lazy="joined")

    @property
    def name(self) -> str:
        return self.name_en or self.name_zh

    def snapshot(self) -> dict:
        return {"code": self.code, "name_en": self.name_en, "name_zh": self.name_zh,
                "default_unit": self.default_unit, "group_id": self.group_id}

    def __repr__(self):
        return f"<Category {self.code}>"


class StandardEdition(db.Model):
    __tablename__ = "standard_editions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    title_zh: Mapped[str] = mapped_column(String(300), default="")
    effective_from: Mapped[dt.date] = mapped_column(Date)
    # 2025 edition: green products must cover at least this share of the optional material
    # kinds used in a project (0.40). None: no optional/mandatory distinction in this edition.
    optional_green_share_min: Mapped[Optional[float]] = mapped_column(Float)
    notes: Mapped[str] = mapped_column(Text, default="")

    versions: Mapped[list["StandardVersion"]] = relationship(back_populates="edition", order_by="StandardVersion.number")

    def __repr__(self):
        return f"<StandardEdition {self.code}>"


class StandardVersion(db.Model):
    __tablename__ = "standard_versions"
    __table_args__ = (
        UniqueConstraint("edition_id", "number", name="uq_standard_versions_edition_number"),
        CheckConstraint(_in("status", VERSION_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("standard_editions.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    note: Mapped[str] = mapped_column(Text, default="")
    based_on_id: Mapped[Optional[int]] = mapped_column(ForeignKey("standard_versions.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    edition: Mapped[StandardEdition] = relationship(back_populates="versions", lazy="joined")
    rules: Mapped[list["IndicatorRule"]] = relationship(back_populates="version", order_by="IndicatorRule.position")
    requirements: Mapped[list["CategoryRequirement"]] = relationship(back_populates="version")

    @property
    def is_published(self) -> bool:
        return self.status in PUBLISHED_STATUSES

    @property
    def label(self) -> str:
        return f"{self.edition.code} v{self.number}"

    def __repr__(self):
        return f"<StandardVersion {self.edition_id} v{self.number} {self.status}>"


class CategoryRequirement(db.Model):
    __tablename__ = "category_requirements"
    __table_args__ = (
        UniqueConstraint("version_id", "category_id", name="uq_category_requirements_version_category"),
        CheckConstraint(_in("requirement", REQUIREMENTS), name="requirement"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("standard_versions.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    requirement: Mapped[str] = mapped_column(String(16))

    version: Mapped[StandardVersion] = relationship(back_populates="requirements")
    category: Mapped[Category] = relationship(lazy="joined")


class IndicatorRule(db.Model):
    __tablename__ = "indicator_rules"
    __table_args__ = (
        # `scope` ("base", "zone:cold_a", "city:qingdao") makes the uniqueness hold even though
        # climate_zone/city_code are NULL for base rules (NULLs never collide in UNIQUE).
        UniqueConstraint("version_id", "category_id", "key", "scope", name="uq_indicator_rules_version_category_key_scope"),
        CheckConstraint(_in("kind", RULE_KINDS), name="kind"),
        CheckConstraint(_in("comparison", RULE_COMPARISONS), name="comparison"),
        Index("ix_indicator_rules_version_category", "version_id", "category_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("standard_versions.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    name_zh: Mapped[str] = mapped_column(String(200), default="")
    unit: Mapped[str] = mapped_column(String(32), default="")
    kind: Mapped[str] = mapped_column(String(16))
    comparison: Mapped[str] = mapped_column(String(16))
    limit: Mapped[Any] = mapped_column("limit_value", JSON)
    scale: Mapped[Optional[list]] = mapped_column(JSON)
    test_standard: Mapped[str] = mapped_column(String(200), default="")
    climate_zone: Mapped[Optional[str]] = mapped_column(String(20))
    city_code: Mapped[Optional[str]] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(String(64), default="base")
    confidence: Mapped[str] = mapped_column(String(8), default="")
    source: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    version: Mapped[StandardVersion] = relationship(back_populates="rules")
    category: Mapped[Category] = relationship()

    def to_rule(self):
        """The pure `catalog.rules.Rule` for this row."""
        from catalog.rules import Rule

        return Rule(
            key=self.key, comparison=self.comparison, limit=self.limit, unit=self.unit or "", kind=self.kind,
            name_en=self.name_en, name_zh=self.name_zh, scale=tuple(self.scale) if self.scale else None,
            test_standard=self.test_standard, climate_zone=self.climate_zone, city_code=self.city_code, id=self.id,
        )

    def as_data(self) -> dict:
        """Plain data (seed JSON shape) used for copying and audit records."""
        d = {"key": self.key, "name_en": self.name_en, "name_zh": self.name_zh, "kind": self.kind,
             "comparison": self.comparison, "limit": self.limit, "unit": self.unit, "test_standard": self.test_standard,
             "confidence": self.confidence}
        if self.scale:
            d["scale"] = list(self.scale)
        if self.climate_zone:
            d["climate_zone"] = self.climate_zone
        if self.city_code:
            d["city_code"] = self.city_code
        if self.source:
            d["source"] = self.source
        return d


@event.listens_for(IndicatorRule, "before_insert")
@event.listens_for(IndicatorRule, "before_update")
def _set_scope(_mapper, _conn, target: IndicatorRule):
    target.scope = scope_of(target.climate_zone, target.city_code)


def _published_version_of(session: Session, obj) -> StandardVersion | None:
    version = obj.version
    if version is None and obj.version_id is not None:
        version = session.get(StandardVersion, obj.version_id)
    return version


def _committed_status(version: StandardVersion) -> str | None:
    from sqlalchemy import inspect

    hist = inspect(version).attrs.status.history
    if hist.deleted:
        return hist.deleted[0]
    return version.status if inspect(version).persistent else None


def install_guard() -> None:
    """Refuse, in every session, changes to published versions (called by `catalog.register`;
    idempotent)."""
    if not event.contains(Session, "before_flush", _guard_published_versions):
        event.listen(Session, "before_flush", _guard_published_versions)


def _guard_published_versions(session: Session, _ctx, _instances):
    """Published versions are immutable: refuse changes to them or to their rules/requirements."""
    from sqlalchemy import inspect

    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, (IndicatorRule, CategoryRequirement)):
            if obj in session.dirty and not session.is_modified(obj):
                continue
            version = _published_version_of(session, obj)
            if version is not None and _committed_status(version) in PUBLISHED_STATUSES:
                raise ImmutableVersionError(
                    f"standard version {version.id} is published; create a new version to change its rules")
        elif isinstance(obj, StandardVersion) and obj in session.dirty and session.is_modified(obj):
            before = _committed_status(obj)
            if before not in PUBLISHED_STATUSES:
                continue
            state = inspect(obj)
            changed = {a.key for a in state.attrs if a.history.has_changes()}
            allowed = {"status"}
            if changed - allowed or (obj.status not in PUBLISHED_STATUSES) or (before == "superseded" and obj.status != "superseded"):
                raise ImmutableVersionError(
                    f"standard version {obj.id} is published; only in_force -> superseded is allowed")
        elif isinstance(obj, StandardVersion) and obj in session.deleted:
            if _committed_status(obj) in PUBLISHED_STATUSES:
                raise ImmutableVersionError(f"standard version {obj.id} is published and cannot be deleted")
