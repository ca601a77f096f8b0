"""Demand standards and categories: which rules apply where and when (lookups, no writes).

New versions are `catalog.services.standard_versions`; category edits `category_admin`.

Dates are China calendar dates: an edition "effective 2025-01-01" starts at midnight in Beijing,
so "today" is computed in Asia/Shanghai. A version applies from its ``effective_from`` until a
later published version of the same edition takes over; editions take over from each other in
the same way. Drafts never apply.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.errors import NotFound, ValidationError
from core.extensions import db
from core.i18n import N_
from core.models import City
from core.timeutil import parse_date, today_cn

from catalog import compliance
from catalog.models.standards import (
    PUBLISHED_STATUSES,
    Category,
    CategoryGroup,
    CategoryRequirement,
    IndicatorRule,
    StandardEdition,
    StandardVersion,
)
from catalog.rules import Rule

DATE_FORMAT = N_("Dates are written YYYY-MM-DD.")


def as_date(at) -> dt.date:
    """A China date from a date, datetime or ``YYYY-MM-DD`` text (today when None);
    `ValidationError` otherwise."""
    if at is None:
        return today_cn()
    try:
        return parse_date(at)
    except ValueError:
        raise ValidationError(DATE_FORMAT, {"at": DATE_FORMAT}) from None


# --------------------------------------------------------------------------- lookups


def list_groups() -> list[CategoryGroup]:
    """Category groups in catalogue order, categories loaded."""
    groups = db.session.execute(select(CategoryGroup).order_by(CategoryGroup.position)).scalars().all()
    return list(groups)


def list_categories() -> list[Category]:
    return list(db.session.execute(
        select(Category).join(CategoryGroup).order_by(CategoryGroup.position, Category.position)).unique().scalars())


def get_category(category) -> Category:
    """A Category from an instance, an id or a code; NotFound otherwise."""
    if isinstance(category, Category):
        return category
    found = None
    if isinstance(category, int):
        found = db.session.get(Category, category)
    elif isinstance(category, str):
        found = db.session.execute(select(Category).filter_by(code=category.strip())).unique().scalar_one_or_none()
    if found is None:
        raise NotFound(N_("No category %(category)s."), category=repr(category)[:70])
    return found


def get_city(city) -> City:
    if isinstance(city, City):
        return city
    found = None
    if isinstance(city, int):
        found = db.session.get(City, city)
    elif isinstance(city, str):
        found = db.session.execute(select(City).filter_by(code=city.strip().lower())).scalar_one_or_none()
    if found is None:
        raise NotFound(N_("No city %(city)s."), city=repr(city)[:50])
    return found


def list_editions() -> list[StandardEdition]:
    return list(db.session.execute(select(StandardEdition).order_by(StandardEdition.effective_from)).scalars())


def get_edition(code: str) -> StandardEdition:
    edition = db.session.execute(select(StandardEdition).filter_by(code=str(code))).scalar_one_or_none()
    if edition is None:
        raise NotFound(N_("No standard edition %(code)s."), code=repr(code)[:30])
    return edition


def current_version(edition_code: str | StandardEdition, at=None) -> StandardVersion | None:
    """The published version of an edition in force on date ``at`` (default: today in China).

    The latest ``effective_from`` not after ``at`` wins; between equal dates the higher number.
    """
    edition = edition_code if isinstance(edition_code, StandardEdition) else get_edition(edition_code)
    day = as_date(at)
    return db.session.execute(
        select(StandardVersion)
        .where(StandardVersion.edition_id == edition.id, StandardVersion.status.in_(PUBLISHED_STATUSES),
               StandardVersion.effective_from <= day)
        .order_by(StandardVersion.effective_from.desc(), StandardVersion.number.desc())
        .limit(1)
    ).unique().scalar_one_or_none()


def latest_version(edition: StandardEdition) -> StandardVersion | None:
    """The highest-numbered version of an edition, published or draft."""
    return db.session.execute(
        select(StandardVersion).where(StandardVersion.edition_id == edition.id)
        .order_by(StandardVersion.number.desc()).limit(1)).unique().scalar_one_or_none()


def applicable_version(at=None, edition=None) -> StandardVersion | None:
    """The version in force on ``at``: of ``edition`` if given, else of the newest edition in force."""
    if edition is not None:
        return current_version(edition, at)
    day = as_date(at)
    for ed in sorted(list_editions(), key=lambda e: e.effective_from, reverse=True):
        if ed.effective_from <= day:
            version = current_version(ed, day)
            if version is not None:
                return version
    return None


def version_rules(version: StandardVersion, category: Category) -> list[Rule]:
    """All rules of a version for a category (every scope, unresolved), in seed order."""
    rows = db.session.execute(
        select(IndicatorRule).where(IndicatorRule.version_id == version.id, IndicatorRule.category_id == category.id)
        .order_by(IndicatorRule.position, IndicatorRule.id)).scalars()
    return [r.to_rule() for r in rows]


def rules_for(category, city, at=None, edition=None, *, on=None) -> tuple[StandardVersion | None, list[Rule]]:
    """(version, rules) that apply to ``category`` in ``city`` on date ``at`` (``on`` is an alias).

    Rules are resolved for the city (city override > climate-zone override > base). Without a
    version in force the result is ``(None, [])``. ``category``/``city`` may be objects, ids or codes.
    """
    cat = get_category(category)
    place = get_city(city)
    version = applicable_version(at if at is not None else on, edition)
    if version is None:
        return None, []
    return version, compliance.resolve_rules(version_rules(version, cat), place.code, place.climate_zone)


def requirement_for(category, at=None, edition=None) -> str | None:
    """``mandatory`` / ``optional`` for a category under the version in force (None: not listed)."""
    cat = get_category(category)
    version = applicable_version(at, edition)
    if version is None:
        return None
    return db.session.execute(
        select(CategoryRequirement.requirement).where(CategoryRequirement.version_id == version.id,
                                                      CategoryRequirement.category_id == cat.id)).scalar_one_or_none()


def requirements(version: StandardVersion) -> dict[str, str]:
    """``{category code: mandatory|optional}`` for a version."""
    rows = db.session.execute(
        select(Category.code, CategoryRequirement.requirement).join(Category, Category.id == CategoryRequirement.category_id)
        .where(CategoryRequirement.version_id == version.id)).all()
    return {code: req for code, req in rows}


def optional_green_share_min(at=None, edition=None) -> float | None:
    """The edition-wide minimum green share of optional material kinds (0.40 in 2025), if any."""
    version = applicable_version(at, edition)
    return None if version is None else version.edition.optional_green_share_min


def rule_units(category, at=None, edition=None) -> dict[str, str]:
    """``{indicator key: unit}`` over every scope of the applicable version (for input checks)."""
    cat = get_category(category)
    version = applicable_version(at, edition)
    if version is None:
        return {}
    out: dict[str, str] = {}
    for rule in version_rules(version, cat):
        out.setdefault(rule.key, rule.unit)
    return out
