"""What the procurement package needs from the catalog's demand standards, in one place.

A project is fixed to the standard version in force in its city on its registration date; its
bill lines are judged by that version's rules (resolved for the city by the catalog's pure
compliance engine) and its mandatory/optional split.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from sqlalchemy import select

from catalog import compliance
from catalog.services import standards as catalog_standards
from catalog.models.standards import Category, CategoryRequirement, StandardVersion
from core.errors import ValidationError
from core.extensions import db
from procurement.share import to_fraction

MANDATORY = "mandatory"
OPTIONAL = "optional"


def edition_in_force(city, on: dt.date) -> StandardVersion:
    """The standard version in force on ``on`` (its edition is fixed on the project); ValidationError if none."""
    version = catalog_standards.applicable_version(at=on)
    if version is None:
        raise ValidationError(f"No demand standard is in force on {on.isoformat()}; a project cannot be "
                              "registered before one is.")
    return version


def edition_label(version: StandardVersion) -> dict:
    return {"edition": version.edition.code, "version": version.number, "version_id": version.id,
            "title": version.edition.title}


def _cache(project) -> dict:
    cache = project.__dict__.get("_std_cache")
    if cache is None:
        cache = {}
        project.__dict__["_std_cache"] = cache  # lives as long as the instance (one session)
    return cache


def current_version(project) -> StandardVersion | None:
    """The version of the project's (fixed) edition in force today: corrections to the edition apply."""
    cache = _cache(project)
    if "version" not in cache:
        cache["version"] = (catalog_standards.current_version(project.standard_edition, catalog_standards.today_cn())
                            or project.standard_version)
    return cache["version"]


def requirement_levels(project) -> dict[int, str]:
    """{category_id: 'mandatory'|'optional'} under the project's edition."""
    cache = _cache(project)
    if "levels" not in cache:
        version = current_version(project)
        rows = db.session.execute(
            select(CategoryRequirement.category_id, CategoryRequirement.requirement)
            .where(CategoryRequirement.version_id == version.id)).all()
        cache["levels"] = {cid: req for cid, req in rows}
    return cache["levels"]


def requirement_level(project, category) -> str | None:
    """``mandatory``, ``optional`` or None when the project's edition does not know the category."""
    if category is None:
        return None
    return requirement_levels(project).get(category.id)


def optional_share(project) -> Fraction:
    """The edition's minimum green share of optional kinds, exactly (0 when the edition has none)."""
    value = project.standard_edition.optional_green_share_min
    return Fraction(0) if value is None else to_fraction(value)


def rules_for_line(project, category) -> list[compliance.Rule]:
    """The city's rules for ``category`` under the project's edition (one per indicator key)."""
    cache = _cache(project)
    key = ("rules", category.id)
    if key not in cache:
        _version, rules = catalog_standards.rules_for(category, project.city, at=catalog_standards.today_cn(),
                                                      edition=project.standard_edition)
        cache[key] = list(rules)
    return cache[key]


def find_category(ref) -> Category | None:
    """A category by code (or numeric id)."""
    if ref is None:
        return None
    if isinstance(ref, int) and not isinstance(ref, bool):
        return db.session.get(Category, ref)
    text = str(ref).strip()
    cat = db.session.execute(select(Category).where(Category.code == text)).scalar_one_or_none()
    if cat is None and text.isdigit():
        cat = db.session.get(Category, int(text))
    return cat


def edition_categories(project) -> list[tuple[Category, str]]:
    """(category, level) for every category of the project's edition, in catalogue order."""
    levels = requirement_levels(project)
    if not levels:
        return []
    cats = db.session.execute(select(Category).where(Category.id.in_(list(levels)))
                              .order_by(Category.group_id, Category.position)).scalars().all()
    return [(c, levels[c.id]) for c in cats]
